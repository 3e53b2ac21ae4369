"""Importing files (read, validate, sanitise, thumbnail, store, queue: AvatarLibrary's whole
per-file import) in worker processes, for the desktop app.

Why: an import is CPU work in Python and C (Pillow, hashing, SQLAlchemy). In the window's
process it would hold the interpreter lock for long stretches, and every Qt call the GUI thread
makes hands that lock over and must win it back: a batch of photos would stutter the window.
Workers have their own interpreter and run at a lower priority. A decoder that crashes on a
hostile file takes down a worker, not the app: the file is refused. Each worker writes to the
same library (files by content address, rows in one SQLite transaction), as `ecan import`
running beside the app does."""

from __future__ import annotations

import logging
import multiprocessing.context
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ecan.avatars.library import AvatarLibrary, ImportOutcome
    from ecan.paths import AppPaths

log = logging.getLogger(__name__)

_library: AvatarLibrary | None = None  # the worker process's own library (one per process)
# Starting a worker sets PYTHONSAFEPATH in this process's environment for a moment (below).
_SPAWN_LOCK = threading.Lock()


@contextmanager
def _safe_path() -> Iterator[None]:
    """Python processes started meanwhile do not put the current folder on their sys.path.

    multiprocessing starts its helpers as `python -c ...` (a worker; on POSIX also the
    resource tracker, when the pool makes its queues), which puts the current folder first on
    sys.path: a `pickle.py` or `socket.py` lying there would run before the worker reads a
    byte from us. It has no per-pool interpreter options, so they get the environment
    variable behind -P while they start. (A frozen app's helpers import from the bundle.)"""
    with _SPAWN_LOCK:
        before = os.environ.get("PYTHONSAFEPATH")
        os.environ["PYTHONSAFEPATH"] = "1"
        try:
            yield
        finally:
            if before is None:
                del os.environ["PYTHONSAFEPATH"]
            else:
                os.environ["PYTHONSAFEPATH"] = before


class _WorkerProcess(multiprocessing.context.SpawnProcess):
    """A spawned worker that imports nothing from the folder ecan was started in."""

    @staticmethod
    def _Popen(process_obj: Any) -> Any:  # noqa: N802 - multiprocessing's name
        with _safe_path():
            return multiprocessing.context.SpawnProcess._Popen(process_obj)


class _WorkerContext(multiprocessing.context.SpawnContext):
    Process = _WorkerProcess


def _start_worker(paths: AppPaths) -> None:
    global _library  # noqa: PLW0603 - per worker process, set once by its initializer
    from ecan.avatars.library import AvatarLibrary
    from ecan.db import Database
    from ecan.priority import run_in_background

    run_in_background()
    os.chdir(paths.home)  # a fixed folder of its own; it is given absolute paths only

    _library = AvatarLibrary(paths, Database(paths.database))


def _import(path: str) -> ImportOutcome:
    assert _library is not None, "the worker's initializer did not run"
    return _library.import_one(Path(path))


class ImportPool:
    """`import_one(path)` with AvatarLibrary.import_one's contract, run in a worker process.
    Thread-safe; the workers start on first use and stay until close()."""

    def __init__(self, paths: AppPaths, workers: int = 2) -> None:
        self._paths = paths
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False

    def _get(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise RuntimeError("the import workers are closed")
            if self._pool is None:
                # spawn, not fork: forking a process that runs Qt and other threads is unsafe.
                with _safe_path():
                    self._pool = ProcessPoolExecutor(
                        self._workers, mp_context=_WorkerContext(),
                        initializer=_start_worker, initargs=(self._paths,))
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    def import_one(self, path: Path) -> ImportOutcome:
        from ecan.avatars.library import ImportOutcome

        # A crashed worker breaks every file in flight, not only the culprit: each gets one
        # more try in fresh workers, and only a file that breaks them twice is refused.
        absolute = str(Path(path).absolute())  # the workers run in a folder of their own
        for _attempt in range(2):
            pool = self._get()
            try:
                outcome = pool.submit(_import, absolute).result()
                outcome.path = str(path)  # as the caller named it
                return outcome
            except BrokenProcessPool:
                log.warning("an import worker stopped while importing %s; retrying", path.name)
                self._discard(pool)
        return ImportOutcome(str(path), False, None,
                             f"{path.name}: the image decoder crashed on it (the file is "
                             "damaged or hostile)", "invalid_image")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
