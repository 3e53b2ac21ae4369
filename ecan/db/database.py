"""Opening the library database: WAL mode, a busy timeout so the app and `ecan sync` can share one
file, foreign keys on, migrations applied. Connections are short-lived per unit of work."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecan.db.migrations import MIGRATIONS
from ecan.errors import UserFacingError
from ecan.paths import PRIVATE_DIR, make_private_file

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

BUSY_TIMEOUT_MS = 15_000
_READ_ONLY = "ecan_read_only"  # an execution option: the session only reads


def apply_pragmas(conn: Any) -> None:
    """ecan's pragmas on a new DB-API connection (ours, or one SQLAlchemy opens)."""
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")  # safe with WAL: a crash loses no committed row


def connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """The one way ecan opens the library's SQLite file: ecan's pragmas, rows by name.
    Autocommit mode: callers say BEGIN IMMEDIATE themselves when they need a write transaction
    (the outbox claim does). `read_only` neither creates nor writes the file."""
    if read_only:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
                               isolation_level=None, check_same_thread=False)
    else:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                               check_same_thread=False)
    conn.row_factory = sqlite3.Row
    apply_pragmas(conn)
    return conn


def tx_of(session: Session) -> sqlite3.Connection:
    """The sqlite3 connection under a sqlmodel session, inside the session's (IMMEDIATE) write
    transaction: raw statements on it commit or roll back with the session's own."""
    return session.connection().connection.driver_connection  # type: ignore[return-value]


def migrate(path: Path) -> int:
    """Bring the database at `path` to the newest schema; return its version."""
    path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)  # above: not ours
    try:
        # SQLite gives the -wal and -shm files the database file's mode.
        make_private_file(path)
        conn = connect(path)
        try:
            _use_wal(conn)
            # Read outside a transaction only to skip the write lock when nothing is to do
            # (the `ecan sync` no-op path); the version that decides is read under the lock.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            _check_not_too_new(path, version)
            while version < len(MIGRATIONS):
                conn.execute("BEGIN IMMEDIATE")
                try:
                    # Another process opening the same new library may have migrated it
                    # between our read and our lock: read again, inside the transaction.
                    version = conn.execute("PRAGMA user_version").fetchone()[0]
                    _check_not_too_new(path, version)
                    if version < len(MIGRATIONS):
                        for statement in _statements(MIGRATIONS[version]):
                            conn.execute(statement)
                        version += 1
                        conn.execute(f"PRAGMA user_version = {version}")
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
            return len(MIGRATIONS)
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        if _no_room(path.parent):  # SQLite says "disk I/O error": the file is not to blame
            raise UserFacingError(
                "disk_full", f"The disk holding the library {path} is full, so ecan cannot "
                             "open it.",
                "Free some space on that disk, then try again; the library is as it was.") \
                from None
        if _read_only(path.parent):  # ("unable to open database file": it cannot make its index)
            raise UserFacingError(
                "read_only", f"The folder holding the library {path.parent} is read-only, so "
                             "ecan cannot open it.",
                "Make it writable (or set ECAN_HOME to a folder you can write to), then try "
                "again; the library is as it was.") from None
        raise UserFacingError(
            "db_unreadable", f"The library database {path} cannot be opened ({e}).",
            "Check the disk and permissions; if the file is damaged, restore it from a backup "
            "or sign in on a fresh ECAN_HOME and run `ecan restore`.") from None


def _no_room(folder: Path) -> bool:
    """Too little space left to open a library (WAL mode makes a 32 KB index beside it)."""
    try:
        return shutil.disk_usage(folder).free < 1024 * 1024
    except OSError:
        return False


def _read_only(folder: Path) -> bool:
    """A read-only mount, or a folder this user may not write in."""
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return True
    except (OSError, AttributeError):  # (no statvfs on Windows)
        pass
    return not os.access(folder, os.W_OK)


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL (it sticks to the file). SQLite answers SQLITE_BUSY at once, without
    its busy handler, when another process is opening the same new library: wait for it."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as e:
            if e.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _check_not_too_new(path: Path, version: int) -> None:
    if version > len(MIGRATIONS):
        raise UserFacingError(
            "db_too_new",
            f"The library {path} was written by a newer ecan (schema {version}).",
            "Update ecan, or point ECAN_HOME at another folder.")


def _statements(script: str) -> Iterator[str]:
    """The script's statements, one by one (a trigger's body holds `;` of its own: a statement
    ends where SQLite says it is complete)."""
    pending = ""
    for part in script.split(";"):
        pending += part + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n\t;"):
                yield pending
            pending = ""
    if pending.strip(" \n\t;"):
        yield pending


class Database:
    """The library database. `session()` for sqlmodel work, `connect()` for raw SQL where an
    atomic statement matters (outbox claims) or start-up cost does (the sync no-op path)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._engine: Engine | None = None
        migrate(path)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from sqlalchemy import event
            from sqlmodel import create_engine

            engine = create_engine(
                f"sqlite:///{self.path}",
                connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            )

            @event.listens_for(engine, "connect")
            def _pragmas(dbapi_conn: Any, _record: Any) -> None:
                apply_pragmas(dbapi_conn)
                # SQLAlchemy's documented recipe: pysqlite must not emit its own BEGIN...
                dbapi_conn.isolation_level = None

            @event.listens_for(engine, "begin")
            def _begin_immediate(conn: Any) -> None:
                # ...so that we take the write lock up front: the app and `ecan sync` never
                # deadlock upgrading a read lock to a write lock. A read session never
                # writes, so it takes no write lock and waits for no writer (WAL).
                read = conn.get_execution_options().get(_READ_ONLY, False)
                conn.exec_driver_sql("BEGIN" if read else "BEGIN IMMEDIATE")

            self._engine = engine
        return self._engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on any error."""
        from sqlmodel import Session

        with Session(self.engine, expire_on_commit=False) as s:
            try:
                yield s
                s.commit()
            except BaseException:
                s.rollback()
                raise

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A unit of work that only reads: a plain (deferred) transaction, so the window's
        reads neither wait for the sync engine's writes nor hold them up. Writing in it would
        upgrade to the write lock mid-way, which is what `session()` exists to avoid."""
        from sqlmodel import Session

        with Session(self.engine.execution_options(**{_READ_ONLY: True}),
                     expire_on_commit=False) as s:
            try:
                yield s
                s.commit()  # ends the read (a rollback would expire what it read)
            except BaseException:
                s.rollback()
                raise

    def connect(self) -> sqlite3.Connection:
        return connect(self.path)

    def get_setting(self, key: str, default: str | None = None) -> str | None:
        conn = self.connect()
        try:
            row = conn.execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
            return row[0] if row else default
        finally:
            conn.close()

    def set_setting(self, key: str, value: str | None) -> None:
        conn = self.connect()
        try:
            if value is None:
                conn.execute("DELETE FROM setting WHERE key = ?", (key,))
            else:
                conn.execute("INSERT INTO setting (key, value) VALUES (?, ?) "
                             "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))
        finally:
            conn.close()

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
