"""Opening the library database from several processes at once: a brand-new library opened by
the window, its import workers and an `ecan sync` together is created once, and every opener
finds it whole."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path
from typing import Any

from ecan.db.migrations import MIGRATIONS

PROCESSES = 4
ROUNDS = 25


def _open_each(folder: str, barrier: Any, errors: Any) -> None:
    from ecan.db import Database
    from ecan.errors import UserFacingError

    for round_ in range(ROUNDS):
        barrier.wait(60)  # every process opens this round's new library at the same moment
        try:
            Database(Path(folder) / f"library{round_}" / "ecan.sqlite3").dispose()
        except UserFacingError as e:
            errors.put(f"round {round_}: {e.message}")


def test_a_new_library_opened_by_several_processes_at_once(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier, errors = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [ctx.Process(target=_open_each, args=(str(tmp_path), barrier, errors))
             for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
        assert p.exitcode == 0
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    assert failures == []
    for round_ in range(ROUNDS):
        conn = sqlite3.connect(tmp_path / f"library{round_}" / "ecan.sqlite3")
        try:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            conn.close()
