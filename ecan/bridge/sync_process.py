"""The desktop app's sync engine, in a process of its own (`ecan sync-service`, see
ecan.sync.service). Same signals and methods as SyncWorker, so the window cannot tell them
apart; the difference is that uploads never compete with the GUI thread for the interpreter.

QProcess delivers the child's output on the GUI thread without a reader thread. The window's
sign-in state follows the child through the pipe: whenever the app's auth generation changes
(sign-in, sign-out, expiry) the session is read (off the GUI thread: a keyring can be slow) and
sent before any later command, so a "wake" after signing in never overtakes its session."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import deque
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

from ecan.bridge.children import ecan_command, helper_folder
from ecan.bridge.sync_worker import SyncSignals
from ecan.logsetup import redact
from ecan.pipe import MAX_LINE, encode_line
from ecan.sync.events import from_wire

if TYPE_CHECKING:
    from ecan.app import App

log = logging.getLogger(__name__)

_RESTART_MAX_S = 60.0


class SyncProcess(SyncSignals):
    """SyncSignals' signals, plus restarting(int): the sync process stopped unexpectedly and
    starts again in that many seconds (the window says so; details are in the log)."""

    restarting = Signal(int)
    _session_read = Signal(int, object)  # from the reading thread to the GUI thread

    def __init__(self, app: App, parent: QObject | None = None,
                 command: list[str] | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._command = command or ecan_command("sync-service")
        self._proc: QProcess | None = None
        self._out = bytearray()
        self._err: deque[str] = deque(maxlen=20)
        self._queue: list[dict[str, Any]] = []  # commands waiting behind a session being read
        self._reading_session = False
        self._sent_generation: int | None = None
        self._stopping = False
        self._crashes = 0
        self._restart = QTimer(self)
        self._restart.setSingleShot(True)
        self._restart.timeout.connect(self._launch)
        self._session_read.connect(self._send_session)

    # ---- the SyncWorker interface -----------------------------------------------------------
    def start(self) -> None:
        self._stopping = False
        self._launch()

    def stop(self, timeout: float = 5.0, *, wait: bool = True) -> None:
        """Let in-flight uploads finish for up to `timeout` (unfinished ones resume next time),
        then make sure the process is gone: now (`wait`, at quit) or in the background."""
        self._stopping = True
        self._restart.stop()
        proc, self._proc = self._proc, None
        if proc is None or proc.state() == QProcess.ProcessState.NotRunning:
            return
        proc.write(encode_line({"op": "stop", "timeout": timeout}).encode())
        proc.closeWriteChannel()
        grace_ms = int(timeout * 1000) + 3000
        if not wait:
            QTimer.singleShot(grace_ms, proc, proc.kill)
            return
        if not proc.waitForFinished(grace_ms):
            log.warning("the sync process did not stop in time; ending it")
            proc.kill()
            proc.waitForFinished(2000)

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

    # ---- process life -------------------------------------------------------------------------
    def _launch(self) -> None:
        if self._stopping:
            return
        proc = QProcess(self)
        env = QProcessEnvironment()
        for key, value in self._app.env.items():
            env.insert(key, value)
        # It starts in a fixed folder: the library and config it uses are named absolutely.
        env.insert("ECAN_HOME", str(self._app.paths.ecan_home))
        if self._app.env.get("ECAN_CONFIG"):
            env.insert("ECAN_CONFIG", os.path.abspath(self._app.env["ECAN_CONFIG"]))
        proc.setProcessEnvironment(env)
        proc.setWorkingDirectory(helper_folder())
        proc.readyReadStandardOutput.connect(self._read_events)
        proc.readyReadStandardError.connect(self._read_errors)
        proc.finished.connect(self._finished)
        proc.errorOccurred.connect(self._error)
        self._out.clear()
        self._proc = proc
        self._sent_generation = None  # a new process has no session yet
        self._queue.clear()
        proc.start(self._command[0], self._command[1:])
        self._command_after_session(None)

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._gone(f"could not start {self._command[0]}")

    def _finished(self, code: int, _status: QProcess.ExitStatus) -> None:
        self._gone(f"exit code {code}")

    def _gone(self, why: str) -> None:
        if self._stopping or self.sender() is not self._proc:
            return
        self._crashes += 1
        delay = min(_RESTART_MAX_S, 2.0 ** min(self._crashes, 6))
        log.warning("the sync process stopped unexpectedly (%s); restarting in %.0f s. "
                    "Its last words: %s", why, delay, " | ".join(self._err) or "none")
        self.restarting.emit(int(delay))
        self._proc = None
        self._restart.start(int(delay * 1000))

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
        proc = self._proc
        if proc is not None and proc.state() != QProcess.ProcessState.NotRunning:
            proc.write(encode_line(cmd).encode())

    # ---- events -------------------------------------------------------------------------------
    def _read_events(self) -> None:
        proc = self._proc
        if proc is None:
            return
        self._out += proc.readAllStandardOutput().data()
        *lines, rest = bytes(self._out).split(b"\n")
        self._out = bytearray(rest)
        if len(self._out) > MAX_LINE:  # no newline in sight: not an event stream
            log.warning("the sync process wrote %d bytes without a line end; dropped",
                        len(self._out))
            self._out.clear()
        for line in lines:
            if not line.strip():
                continue
            try:
                event = from_wire(json.loads(line))
            except ValueError as e:  # json's errors are ValueErrors too
                log.warning("ignored a malformed event from the sync process: %s", e)
                continue
            self._crashes = 0  # it works again
            self.deliver(event)

    def _read_errors(self) -> None:
        proc = self._proc
        if proc is None:
            return
        text = bytes(proc.readAllStandardError().data()).decode("utf-8", "replace")
        for line in text.splitlines():
            if line.strip():
                # Masked before it is cut short: a cut secret no longer looks like one.
                self._err.append(redact(line.strip())[:300])
