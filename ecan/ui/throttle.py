"""A call made at most once per interval, for bursts of changes (uploads finishing by the dozen,
import batches): the first request starts the clock, later ones ride along.

Not a debounce: restarting the wait on every request puts the call off for as long as requests
keep coming, and the gallery once stayed unchanged for a whole import that way."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer


class Throttle(QTimer):
    def __init__(self, interval_ms: int, fn: Callable[[], object], parent: QObject) -> None:
        super().__init__(parent)
        self.setSingleShot(True)
        self.setInterval(interval_ms)
        self.timeout.connect(fn)

    def request(self) -> None:
        """Call `fn` when the current interval ends (starting one if none is running)."""
        if not self.isActive():
            self.start()
