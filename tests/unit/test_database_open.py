"""Opening the library database fails with a message that names the cause: a damaged file is
not a full disk, and a full disk is not a damaged file (SQLite says "disk I/O error" for both
kinds of trouble)."""

from __future__ import annotations

import shutil
from collections import namedtuple
from pathlib import Path

import pytest

from ecan.db.database import migrate
from ecan.errors import UserFacingError

Usage = namedtuple("Usage", "total used free")


def test_a_file_that_is_not_a_database_is_said_to_be_damaged(tmp_path: Path) -> None:
    db = tmp_path / "ecan.sqlite3"
    db.write_bytes(b"not a database, " * 512)
    with pytest.raises(UserFacingError) as caught:
        migrate(db)
    assert caught.value.code == "db_unreadable" and str(db) in caught.value.message
    assert "restore it from a backup" in caught.value.hint


def test_a_library_on_a_full_disk_is_not_called_damaged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "ecan.sqlite3"
    db.write_bytes(b"not a database, " * 512)  # any failure to open, on a disk with no room
    monkeypatch.setattr(shutil, "disk_usage", lambda folder: Usage(10**9, 10**9, 0))
    with pytest.raises(UserFacingError) as caught:
        migrate(db)
    assert caught.value.code == "disk_full"
    assert caught.value.message == (f"The disk holding the library {db} is full, so ecan "
                                    "cannot open it.")
    assert "damaged" not in caught.value.hint and "Free some space" in caught.value.hint


def test_a_library_in_a_read_only_folder_is_said_to_be_read_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """(A read-only mount: SQLite says "unable to open database file".)"""
    import os

    db = tmp_path / "ecan.sqlite3"
    db.write_bytes(b"not a database, " * 512)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if mode == os.W_OK
                        else real_access(p, mode, **kw))
    with pytest.raises(UserFacingError) as caught:
        migrate(db)
    assert caught.value.code == "read_only"
    assert caught.value.message == (f"The folder holding the library {tmp_path} is read-only, "
                                    "so ecan cannot open it.")
    assert "damaged" not in caught.value.hint
