"""The operations bridge (the Anki model): `run(method, payload, parse, on_success, on_failure,
origin)` calls a handler on a QThreadPool, parses its answer there, and hands the result, and what
it changed (ecan.handlers.changes.Changes), back on the GUI thread. Nothing a handler does (SQLite,
files, Pillow, network) ever runs on the GUI thread. Screens call it through ecan.bridge.ops, one
typed function per action."""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from ecan.bridge.messages import translate_error
from ecan.handlers.changes import Changes

log = logging.getLogger(__name__)

SuccessFn = Callable[[Any], None]
FailureFn = Callable[[dict[str, Any]], None]
ParseFn = Callable[[Any], Any]


class HandlerClient(Protocol):
    """What the bridge needs of the handler layer (ecan.handlers.Handlers has it)."""

    def call(self, method: Any, payload: Any = None) -> dict[str, Any]: ...


@dataclass
class _Pending:
    method: str
    on_success: SuccessFn | None
    on_failure: FailureFn | None
    origin: object | None = None


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
        changed(Changes, object): after a successful call, what it changed (rows by id, or all
            of a kind) and the `origin` that started it (a screen skips what it did itself);
            emitted after the call's own on_success.
        failed(dict): a call failed and the caller gave no `on_failure`; the window shows it.
        busy_changed(int): the number of calls in flight.
        handlers_replaced(): `set_handlers` swapped the app under the bridge (demo cloud start).
    """

    changed = Signal(object, object)
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
        # Another app under the bridge is another library, which no screen has listed yet.
        self.changed.emit(Changes.everything(), None)

    def run(self, method: str, payload: dict[str, Any] | None = None, *,
            parse: ParseFn | None = None, on_success: SuccessFn | None = None,
            on_failure: FailureFn | None = None, origin: object | None = None) -> int:
        """Call `method` on a worker thread and `parse` its data there (a model's parse: an
        answer of the wrong shape reaches on_failure as a bug); the callbacks run on the GUI
        thread. Screens use ecan.bridge.ops rather than naming methods here."""
        handlers = self._handlers

        def work() -> dict[str, Any]:
            response = handlers.call(method, payload or {})
            if not response.get("ok"):
                return response
            try:
                changes = Changes.from_response(response)
                data = response.get("data") if parse is None else parse(response.get("data"))
            except ValueError as e:  # a model's BadAnswer, or a kind of change not known
                log.error("%s answered in a shape the window does not know: %s", method, e)
                return {"ok": False, "error": {
                    "code": "internal_error", "message": f"Something went wrong in {method}.",
                    "hint": "Details are in the log."}}
            return {"ok": True, "data": data, "changes": changes}

        return self._start(method, work, on_success, on_failure, origin)

    def run_task(self, name: str, fn: Callable[[], Any], *, on_success: SuccessFn | None = None,
                 on_failure: FailureFn | None = None) -> int:
        """Run plain blocking work (not a handler) off the GUI thread, same delivery rules.
        A UserFacingError it raises reaches `on_failure` as an error dict."""
        from ecan.errors import UserFacingError

        def work() -> dict[str, Any]:
            try:
                return {"ok": True, "data": fn(), "changes": Changes()}
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
               on_success: SuccessFn | None, on_failure: FailureFn | None,
               origin: object | None = None) -> int:
        job_id = next(self._ids)
        if self._closed:
            return job_id
        self._pending[job_id] = _Pending(method, on_success, on_failure, origin)
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
            changes = response.get("changes") or Changes()
            if pending.on_success is not None:
                pending.on_success(response.get("data"))
            if changes:
                self.changed.emit(changes, pending.origin)
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
