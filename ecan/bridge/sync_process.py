"""The desktop app's sync engine, in a process of its own (`ecan sync-service`, see
ecan.sync.service). Same signals and methods as SyncWorker, so the window cannot tell them
apart; the difference is that uploads never compete with the GUI thread for the interpreter.

QProcess delivers the child's output on the GUI thread without a reader thread. The window's
sign-in state follows the child through the pipe: whenever the app's auth generation changes
(sign-in, sign-out, expiry) the session is read (off the GUI thread: a keyring can be slow) and
sent before any later command, so a "wake" after signing in never overtakes its session."""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from ecan.bridge.supervisor import Backoff, HelperProcess, ecan_command
from ecan.bridge.sync_worker import SyncSignals
from ecan.pipe import Frame
from ecan.sync.events import from_wire

if TYPE_CHECKING:
    from ecan.app import App

log = logging.getLogger(__name__)

_BACKOFF = Backoff(base=2.0, cap=60.0)


class SyncProcess(SyncSignals):
    """SyncSignals' signals, plus restarting(int): the sync process stopped unexpectedly and
    starts again in that many seconds (the window says so; details are in the log)."""

    restarting = Signal(int)
    _session_read = Signal(int, object)  # from the reading thread to the GUI thread

    def __init__(self, app: App, parent: QObject | None = None,
                 command: list[str] | None = None) -> None:
        super().__init__(parent)
        self._app = app
        env = dict(app.env)
        # It starts in a fixed folder: the library and config it uses are named absolutely.
        env["ECAN_HOME"] = str(app.paths.home)
        if app.env.get("ECAN_CONFIG"):
            env["ECAN_CONFIG"] = os.path.abspath(app.env["ECAN_CONFIG"])
        self.helper = HelperProcess("the sync process", command or ecan_command("sync-service"),
                                     _BACKOFF, env=env, parent=self)
        self.helper.launched.connect(self._launched)
        self.helper.received.connect(self._received)
        self.helper.garbled.connect(
            lambda why: log.warning("ignored a malformed event from the sync process: %s", why))
        self.helper.died.connect(lambda _why, delay: self.restarting.emit(int(delay)))
        self._queue: list[dict[str, Any]] = []  # commands waiting behind a session being read
        self._reading_session = False
        self._sent_generation: int | None = None
        self._session_read.connect(self._send_session)

    # ---- the SyncWorker interface -----------------------------------------------------------
    def start(self) -> None:
        self.helper.start()

    def stop(self, timeout: float = 5.0, *, wait: bool = True) -> None:
        """Let in-flight uploads finish for up to `timeout` (unfinished ones resume next time),
        then make sure the process is gone: now (`wait`, at quit) or in the background."""
        self.helper.stop({"op": "stop", "timeout": timeout}, timeout + 3.0, wait=wait)

    def wake(self) -> None:
        """New work, signed in, or pause/bandwidth saved: the service looks again now."""
        self._command_after_session({"op": "wake"})

    def pause(self) -> None:
        self.wake()  # the pause itself is a saved setting (sync.pause); the service reloads it

    def resume(self) -> None:
        self.wake()

    def session_changed(self) -> None:
        """Sign-in or sign-out happened in the window: pass it on (no wake by itself)."""
        self._command_after_session(None)

    def _launched(self) -> None:
        self._sent_generation = None  # a new process has no session yet
        self._queue.clear()
        self._command_after_session(None)

    def _received(self, frame: Frame) -> None:
        try:
            event = from_wire(frame.message)
        except ValueError as e:
            log.warning("ignored a malformed event from the sync process: %s", e)
            return
        self.helper.healthy()  # it works again
        self.deliver(event)

    # ---- commands -----------------------------------------------------------------------------
    def _command_after_session(self, cmd: dict[str, Any] | None) -> None:
        """Send `cmd` (None: just the session), first the session when it changed."""
        if cmd is not None:
            self._queue.append(cmd)
        if self._reading_session:
            return
        auth = self._app.auth
        generation = auth.generation()
        if generation == self._sent_generation:
            self._flush()
            return
        self._reading_session = True

        def read() -> None:
            try:
                blob = auth.export_session()
            except Exception:  # a keyring failure: the service runs signed out
                log.warning("could not read the session for the sync process", exc_info=True)
                blob = None
            self._session_read.emit(generation, blob)

        threading.Thread(target=read, name="ecan-session", daemon=True).start()

    def _send_session(self, generation: int, blob: str | None) -> None:
        self._reading_session = False
        self._write({"op": "session", "session": blob})
        self._sent_generation = generation
        # Signed in again while reading: read once more, the later commands wait for it.
        self._command_after_session(None)

    def _flush(self) -> None:
        queued, self._queue = self._queue, []
        for cmd in queued:
            self._write(cmd)

    def _write(self, cmd: dict[str, Any]) -> None:
        self.helper.write(cmd)

