"""The operations bridge (the Anki model): `run(method, payload, on_success, on_failure)` calls a
handler on a QThreadPool and hands its result, and the set of things it changed, back on the GUI
thread. Nothing a handler does (SQLite, files, Pillow, network) ever runs on the GUI thread."""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from ecan.bridge.messages import translate_error

log = logging.getLogger(__name__)

SuccessFn = Callable[[Any], None]
FailureFn = Callable[[dict[str, Any]], None]


class HandlerClient(Protocol):
    """What the bridge needs of the handler layer (ecan.handlers.Handlers has it)."""

    def call(self, method: Any, payload: Any = None) -> dict[str, Any]: ...


@dataclass
class _Pending:
    method: str
    on_success: SuccessFn | None
    on_failure: FailureFn | None


class _Relay(QObject):
    """Lives on the GUI thread; a worker emits on it and Qt queues the call to the GUI thread."""

    finished = Signal(int, object)


class _Job(QRunnable):
    def __init__(self, job_id: int, work: Callable[[], dict[str, Any]], relay: _Relay) -> None:
        super().__init__()
        self._id = job_id
        self._work = work
        self._relay = relay

    def run(self) -> None:
        try:
            response = self._work()
        except Exception:  # a bug in plain (non-handler) work: logged, reported as one line
            log.exception("background task failed")
            response = {"ok": False, "error": {
                "code": "internal_error", "message": "Something went wrong in a background task.",
                "hint": "Details are in the log."}}
        self._relay.finished.emit(self._id, response)


class Bridge(QObject):
    """Runs handler calls off the GUI thread.

    Signals:
        changed(set): after a successful call, what it changed ("avatars", "agents", "sync",
            "auth", "settings", "tasks"); screens decide whether to refresh.
        changed_by(str, set): the same, with the method that made the change, for a screen
            that keeps up with some calls' results itself.
        failed(dict): a call failed and the caller gave no `on_failure`; the window shows it.
        busy_changed(int): the number of calls in flight.
        handlers_replaced(): `set_handlers` swapped the app under the bridge (demo cloud start).
    """

    changed = Signal(object)
    changed_by = Signal(str, object)
    failed = Signal(object)
    busy_changed = Signal(int)
    handlers_replaced = Signal()

    def __init__(self, handlers: HandlerClient, parent: QObject | None = None,
                 max_threads: int = 4) -> None:
        super().__init__(parent)
        self._handlers = handlers
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._relay = _Relay(self)
        self._relay.finished.connect(self._deliver)
        self._pending: dict[int, _Pending] = {}
        self._ids = itertools.count(1)
        self._closed = False

    @property
    def handlers(self) -> HandlerClient:
        return self._handlers

    def set_handlers(self, handlers: HandlerClient) -> None:
        """Point the bridge at another app's handlers; every screen refreshes."""
        self._handlers = handlers
        self.handlers_replaced.emit()
        everything = {"avatars", "agents", "sync", "auth", "settings"}
        self.changed.emit(everything)
        # Screens that keep up with some calls themselves listen here: another app under the
        # bridge is another library, which none of them has listed yet.
        self.changed_by.emit("bridge.set_handlers", everything)

    def run(self, method: str, payload: dict[str, Any] | None = None, *,
            on_success: SuccessFn | None = None, on_failure: FailureFn | None = None) -> int:
        """Call `method` on a worker thread; the callbacks run on the GUI thread."""
        handlers = self._handlers
        return self._start(method, lambda: handlers.call(method, payload or {}),
                           on_success, on_failure)

    def run_task(self, name: str, fn: Callable[[], Any], *, on_success: SuccessFn | None = None,
                 on_failure: FailureFn | None = None) -> int:
        """Run plain blocking work (not a handler) off the GUI thread, same delivery rules.
        A UserFacingError it raises reaches `on_failure` as an error dict."""
        from ecan.errors import UserFacingError

        def work() -> dict[str, Any]:
            try:
                return {"ok": True, "data": fn(), "changed": []}
            except UserFacingError as e:
                return {"ok": False, "error": e.to_dict()}

        return self._start(name, work, on_success, on_failure)

    def in_flight(self) -> int:
        return len(self._pending)

    def close(self, msecs: int = 10_000) -> None:
        self._closed = True
        self._pool.clear()
        self._pool.waitForDone(msecs)

    def _start(self, method: str, work: Callable[[], dict[str, Any]],
               on_success: SuccessFn | None, on_failure: FailureFn | None) -> int:
        job_id = next(self._ids)
        if self._closed:
            return job_id
        self._pending[job_id] = _Pending(method, on_success, on_failure)
        self._pool.start(_Job(job_id, work, self._relay))
        self.busy_changed.emit(len(self._pending))
        return job_id

    def _deliver(self, job_id: int, response: dict[str, Any]) -> None:
        assert threading.current_thread() is threading.main_thread()
        pending = self._pending.pop(job_id, None)
        self.busy_changed.emit(len(self._pending))
        if pending is None or self._closed:
            return
        if response.get("ok"):
            changed = set(response.get("changed") or ())
            if pending.on_success is not None:
                pending.on_success(response.get("data"))
            if changed:
                self.changed.emit(changed)
                self.changed_by.emit(pending.method, changed)
            return
        error = dict(response.get("error") or {})
        error.setdefault("code", "error")
        error.setdefault("message", f"{pending.method} failed.")
        error.setdefault("hint", "")
        error = translate_error(error)  # the domain writes English; the window may not be
        if pending.on_failure is not None:
            pending.on_failure(error)
        else:
            self.failed.emit(error)
