"""Python's garbage collector on the window's schedule (the approach Anki takes).

Left automatic, a full collection runs whenever allocation counts say so, on whichever thread
allocates, and holds the interpreter lock throughout: with Qt, SQLAlchemy and pydantic loaded
that is long enough to freeze the window in the middle of an import.
Here the young generations are collected every second on the GUI thread, and a full
collection only runs when the window has nothing in flight. Objects alive once the window has
settled (modules, classes, Qt wrappers) are frozen out of full collections: they live as long
as the app anyway."""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

log = logging.getLogger(__name__)

YOUNG_INTERVAL_MS = 1000
FULL_EVERY_S = 60.0
FULL_AT_LEAST_S = 600.0  # even when always busy: cyclic garbage must not pile up for ever


class GcScheduler(QObject):
    def __init__(self, busy: Callable[[], bool], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._busy = busy
        self._last_full = time.monotonic()
        self._frozen = False
        self._running = False
        self._timer = QTimer(self)
        self._timer.setInterval(YOUNG_INTERVAL_MS)
        self._timer.timeout.connect(self._collect)

    def start(self) -> None:
        if not self._running:
            self._running = True
            gc.disable()
            self._timer.start()

    def settled(self) -> None:
        """The window has loaded: what exists now stays, keep it out of full collections."""
        if self._running and not self._frozen:
            self._frozen = True
            gc.freeze()

    def stop(self) -> None:
        if self._running:
            self._running = False
            self._timer.stop()
            gc.enable()

    def _collect(self) -> None:
        since = time.monotonic() - self._last_full
        if since >= FULL_AT_LEAST_S or (since >= FULL_EVERY_S and not self._busy()):
            started = time.perf_counter()
            gc.collect()
            self._last_full = time.monotonic()
            log.debug("full garbage collection in %.0f ms", (time.perf_counter() - started) * 1e3)
        else:
            gc.collect(1)
