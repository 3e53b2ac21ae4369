"""Helpers for tests that play two machines sharing one (in-memory) cloud."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ecan.config import SyncConfig
from ecan.db import Database
from ecan.paths import AppPaths
from ecan.storage.memory import MemoryBlobStore
from ecan.sync.engine import SyncEngine
from ecan.sync.testing import CloudTwin


def q(db: Database, sql: str, *args: object) -> list[sqlite3.Row]:
    conn = db.connect()
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def machine(root: Path, store: MemoryBlobStore) -> tuple[AppPaths, Database, SyncEngine]:
    paths = AppPaths(root).ensure()
    db = Database(paths.database)
    return paths, db, SyncEngine(db, paths, CloudTwin(store), SyncConfig(concurrency=4))
