"""The sync engine under Qt: its workers run as QRunnables on a QThreadPool of their own, and its
events come back as Qt signals (delivered on the receiver's thread, so the GUI thread never waits
on an upload). All the logic is in ecan.sync.engine; this adapter only translates."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from ecan.sync.events import (
    JobFailed,
    JobFinished,
    JobStarted,
    Progress,
    StateChanged,
    SyncEvent,
)

if TYPE_CHECKING:
    from ecan.sync.engine import SyncEngine


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], None]) -> None:
        super().__init__()
        self._fn = fn
        self.setAutoDelete(True)

    def run(self) -> None:
        self._fn()


class SyncSignals(QObject):
    """The engine's events as Qt signals, whichever way they arrive (a worker thread here, or
    the sync process's pipe: ecan.bridge.sync_process).

    Signals:
        job_started(JobStarted): a worker took a job.
        progressed(Progress): overall items/bytes/speed of the current run (at most ~10/s).
        job_finished(JobFinished): a job is done (an avatar synced, deleted, or agents saved).
        job_failed(JobFailed): a job failed; `retry_at` None means it waits for the user's
            retry (show `message` and `hint`), else it retries by itself at `retry_at`.
        state_changed(StateChanged): online / paused / auth_required changed (auth_required:
            ask the user to sign in, then call wake()).
    """

    job_started = Signal(object)
    progressed = Signal(object)
    job_finished = Signal(object)
    job_failed = Signal(object)
    state_changed = Signal(object)

    def deliver(self, event: SyncEvent) -> None:
        """Emit `event` on its signal. Thread-safe: receivers in the GUI thread get it queued
        (AutoConnection)."""
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


class SyncWorker(SyncSignals):
    """Runs a SyncEngine in the background, in this process, and re-emits its events."""

    def __init__(self, engine: SyncEngine, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        # A pool of its own: long uploads must not starve the handler layer's global pool.
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max(1, engine.config.concurrency))

    def start(self) -> None:
        self.engine.start(self.deliver, spawn=self._spawn)

    def stop(self, timeout: float = 5.0) -> None:
        """Graceful: in-flight uploads finish or are abandoned (and resume next time)."""
        self.engine.stop(timeout)
        self._pool.waitForDone(int(timeout * 1000) + 1000)

    def wake(self) -> None:
        self.engine.wake()

    def pause(self) -> None:
        self.engine.pause()

    def resume(self) -> None:
        self.engine.resume()

    def _spawn(self, fn: Callable[[], None]) -> None:
        self._pool.start(_Task(fn))
