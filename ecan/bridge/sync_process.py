"""The desktop window's sync: the engine runs in a process of its own (`ecan sync-service`, see
ecan.sync.service), kept running by the window's supervisor (ecan.bridge.supervisor), and
`SyncProcess` is the window's one handle on it: a SyncControl (ecan.sync.control) whose calls
go over the pipe and wait for their reply, and the engine's events as Qt signals. The window
keeps no copy of the engine's state; it asks, and listens.

The window's sign-in state follows the process through the pipe: whenever the app's auth
generation changes (sign-in, sign-out, expiry) the session is read (off the GUI thread: a
keyring can be slow) and sent before any later message, so a call made after signing in
(a restore, a wake) never overtakes its session."""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from ecan.bridge.supervisor import Backoff, HelperProcess, ecan_command
from ecan.errors import UserFacingError
from ecan.pipe import Frame
from ecan.sync.events import (
    JobFailed,
    JobFinished,
    JobStarted,
    Progress,
    Pulled,
    StateChanged,
    SyncEvent,
    from_wire,
)

if TYPE_CHECKING:
    from ecan.app import App

log = logging.getLogger(__name__)

_BACKOFF = Backoff(base=2.0, cap=60.0)
CALL_TIMEOUT_S = 30.0  # status, pause, retry...: a few SQL statements over there


def _not_running() -> UserFacingError:
    return UserFacingError("sync_unavailable", "Syncing is not running right now.",
                           "It starts again by itself; try again in a moment. Nothing is lost.")


class SyncProcess(QObject):
    """The sync process, seen from the window. SyncControl's methods may be called from any
    thread but the GUI thread (the handlers' worker threads call them); they block until the
    engine answers. `wake()`, `pull()`, `reload_config()` and `session_changed()` return at once.

    Signals:
        job_started(JobStarted): a worker took a job.
        progressed(Progress): overall items/bytes/speed of the current run (at most ~10/s).
        job_finished(JobFinished): a job is done (an avatar synced, deleted, or agents saved).
        job_failed(JobFailed): a job failed; `retry_at` None means it waits for the user's
            retry (show `message` and `hint`), else it retries by itself at `retry_at`.
        state_changed(StateChanged): online / paused / auth_required / signed_in changed
            (auth_required: ask the user to sign in, then wake()).
        pulled(Pulled): a pull changed this library (avatars added, changed or trashed,
            agents saved or deleted): what shows them refreshes.
        restarting(int): the process stopped unexpectedly and starts again in that many
            seconds (the window says so; details are in the log).
    """

    job_started = Signal(object)
    progressed = Signal(object)
    job_finished = Signal(object)
    job_failed = Signal(object)
    state_changed = Signal(object)
    pulled = Signal(object)
    restarting = Signal(int)
    _session_read = Signal(int, object)  # from the reading thread to the GUI thread
    _send_requested = Signal(object)  # a message from any thread, written on the GUI thread
    _relaunch_requested = Signal(object)  # a new environment for the process, from any thread

    def __init__(self, app: App, parent: QObject | None = None,
                 command: list[str] | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._env = self._child_env()
        self.helper = HelperProcess("the sync process", command or ecan_command("sync-service"),
                                    _BACKOFF, env=self._env, parent=self)
        self.helper.launched.connect(self._launched)
        self.helper.received.connect(self._received)
        self.helper.garbled.connect(
            lambda why: log.warning("ignored a malformed message from the sync process: %s", why))
        self.helper.died.connect(self._died)
        self._started = False
        self._queue: list[dict[str, Any]] = []  # messages waiting behind a session being read
        self._reading_session = False
        self._sent_generation: int | None = None
        self._session_read.connect(self._send_session)
        self._send_requested.connect(self._send)
        self._relaunch_requested.connect(self._relaunch)
        self._calls: dict[int, Future[Any]] = {}
        self._calls_lock = threading.Lock()
        self._last_call = 0

    def _child_env(self) -> dict[str, str]:
        app = self._app
        env = dict(app.env)
        # It starts in a fixed folder: the library and config it uses are named absolutely.
        env["ECAN_HOME"] = str(app.paths.ecan_home)
        if app.env.get("ECAN_CONFIG"):
            env["ECAN_CONFIG"] = os.path.abspath(app.env["ECAN_CONFIG"])
        # The secrets typed in Settings are in the window's keyring, which the sync process
        # never reads: it is given those the config took from there (proxy password, keys).
        env.update(app.kept_env())
        return env

    # ---- life ---------------------------------------------------------------------------------
    def start(self) -> None:
        self._started = True
        self.helper.start()

    def stop(self, timeout: float = 5.0, *, wait: bool = True) -> None:
        """Let in-flight uploads finish for up to `timeout` (unfinished ones resume next time),
        then make sure the process is gone: now (`wait`, at quit) or in the background."""
        self._started = False
        self.helper.stop({"op": "stop", "timeout": timeout}, timeout + 3.0, wait=wait)
        self._fail_calls(_not_running())

    def session_changed(self) -> None:
        """Sign-in or sign-out happened in the window: pass it on (no wake by itself)."""
        self._after_session(None)

    # ---- SyncControl ---------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        return dict(self._call("status"))

    def pause(self, until: float | None = None) -> None:
        self._call("pause", until=until)

    def resume(self) -> None:
        self._call("resume")

    def wake(self) -> None:
        self._send_requested.emit({"op": "call", "id": 0, "method": "wake", "args": {}})

    def pull(self) -> None:
        self._send_requested.emit({"op": "call", "id": 0, "method": "pull", "args": {}})

    def reload_config(self) -> None:
        # Like wake, no waiting: a process started meanwhile reads the new config anyway.
        env = self._child_env()
        if env != self._env:
            # A secret it holds in its environment changed (typed or removed in Settings): only
            # a new process can hold the new one.
            self._relaunch_requested.emit(env)
            return
        self._send_requested.emit({"op": "call", "id": 0, "method": "reload_config", "args": {}})

    def _relaunch(self, env: dict[str, str]) -> None:
        self._env = env
        log.info("the secrets the sync process uses changed: starting it again")
        self.helper.relaunch(env, {"op": "stop", "timeout": 5.0}, 8.0)

    def retry_failed(self, avatar_id: str | None = None) -> int:
        return int(self._call("retry_failed", avatar_id=avatar_id))

    def set_bandwidth_limit(self, kbps: int) -> None:
        self._call("set_bandwidth_limit", kbps=kbps)

    def restore(self, *, only_if_empty: bool = False) -> dict[str, Any]:
        # As long as it takes: the process's death or stop() ends the wait.
        return dict(self._call("restore", timeout=None, only_if_empty=only_if_empty))

    def _call(self, method: str, timeout: float | None = CALL_TIMEOUT_S, **args: Any) -> Any:
        if threading.current_thread() is threading.main_thread():
            # Its reply arrives through the GUI thread's event loop: waiting here would hang.
            raise RuntimeError(f"sync {method}: a blocking call on the window's own thread")
        if not self._started:
            raise _not_running()
        future: Future[Any] = Future()
        with self._calls_lock:
            self._last_call += 1
            call_id = self._last_call
            self._calls[call_id] = future
        self._send_requested.emit({"op": "call", "id": call_id, "method": method, "args": args})
        try:
            return future.result(timeout)
        except FutureTimeout:
            raise UserFacingError("sync_busy", "Syncing did not answer in time.",
                                  "Try again in a moment.") from None
        finally:
            with self._calls_lock:
                self._calls.pop(call_id, None)

    def _fail_calls(self, error: UserFacingError) -> None:
        with self._calls_lock:
            waiting, self._calls = self._calls, {}
        for future in waiting.values():
            if not future.done():
                future.set_exception(error)

    # ---- the pipe ------------------------------------------------------------------------------
    def _launched(self) -> None:
        self._sent_generation = None  # a new process has no session yet
        self._queue.clear()
        self._after_session(None)

    def _died(self, _why: str, delay: float) -> None:
        self._fail_calls(UserFacingError(
            "sync_restarting", "Syncing stopped unexpectedly and is starting again.",
            "Try again in a moment; nothing is lost."))
        self.restarting.emit(int(delay))

    def _send(self, message: dict[str, Any]) -> None:
        if not self.helper.running():
            if message.get("id"):
                self._fail_calls(_not_running())
            return
        self._after_session(message)

    def _after_session(self, message: dict[str, Any] | None) -> None:
        """Send `message` (None: just the session), first the session when it changed."""
        if message is not None:
            self._queue.append(message)
        if self._reading_session:
            return
        auth = self._app.auth
        generation = auth.generation()
        if generation == self._sent_generation:
            queued, self._queue = self._queue, []
            for queued_message in queued:
                self.helper.write(queued_message)
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
        self.helper.write({"op": "session", "session": blob})
        self._sent_generation = generation
        # Signed in again while reading: read once more, the later messages wait for it.
        self._after_session(None)

    def _received(self, frame: Frame) -> None:
        message = frame.message
        if "reply" in message:
            self.helper.healthy()
            self._replied(message)
            return
        try:
            event = from_wire(message)
        except ValueError as e:
            log.warning("ignored a malformed event from the sync process: %s", e)
            return
        self.helper.healthy()  # it works again
        self.deliver(event)

    def _replied(self, message: dict[str, Any]) -> None:
        with self._calls_lock:
            future = self._calls.get(message["reply"]) if isinstance(message["reply"], int) \
                else None
        if future is None or future.done():
            return  # a wake's, or one whose caller gave up waiting
        if message.get("ok") is True:
            future.set_result(message.get("data"))
            return
        error = message.get("error")
        fields = error if isinstance(error, dict) else {}
        future.set_exception(UserFacingError(
            str(fields.get("code") or "sync_error")[:60],
            str(fields.get("message") or "Syncing could not do that.")[:500],
            str(fields.get("hint") or "")[:500]))

    def deliver(self, event: SyncEvent) -> None:
        """Emit `event` on its signal."""
        if isinstance(event, Progress):
            self.progressed.emit(event)
        elif isinstance(event, JobStarted):
            self.job_started.emit(event)
        elif isinstance(event, JobFinished):
            self.job_finished.emit(event)
        elif isinstance(event, JobFailed):
            self.job_failed.emit(event)
        elif isinstance(event, StateChanged):
            self.state_changed.emit(event)
        elif isinstance(event, Pulled):
            self.pulled.emit(event)
