"""The Qt adapter: the engine's workers run on a QThreadPool and its events arrive as signals
on the GUI thread."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QThread

from ecan.config import SyncConfig
from ecan.db import Database
from ecan.paths import AppPaths
from ecan.storage.errors import StorageError
from ecan.storage.memory import MemoryBlobStore
from ecan.sync.engine import SyncEngine
from ecan.sync.events import JobFailed, JobFinished
from ecan.sync.testing import CloudTwin, write_avatar


def test_signals_arrive_on_the_gui_thread(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from ecan.bridge.sync_worker import SyncWorker

    paths = AppPaths(tmp_path / "home").ensure()
    db = Database(paths.database)
    store = MemoryBlobStore()
    engine = SyncEngine(db, paths, CloudTwin(store), SyncConfig(concurrency=2))
    worker = SyncWorker(engine)
    threads: set[object] = set()
    finished: list[JobFinished] = []
    failed: list[JobFailed] = []

    def on_finished(e: JobFinished) -> None:
        finished.append(e)
        threads.add(QThread.currentThread())

    worker.job_finished.connect(on_finished)
    worker.job_failed.connect(failed.append)
    for i in range(3):
        write_avatar(paths, db.path, seed=i)
    store.fail_next(StorageError("access_denied", "denied on b/avatars/", "grant s3:PutObject"))
    worker.start()
    qtbot.waitUntil(lambda: len(finished) == 2 and len(failed) == 1, timeout=10_000)
    assert threads == {QThread.currentThread()}
    assert failed[0].retry_at is None and failed[0].hint == "grant s3:PutObject"
    with qtbot.waitSignal(worker.job_finished, timeout=10_000):
        engine.retry_failed()
    worker.stop(2)
    assert engine.status()["counts"]["synced"] == 3
    engine.close()
