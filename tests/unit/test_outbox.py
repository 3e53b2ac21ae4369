"""The outbox state machine on a real SQLite file: atomic claims, guarded transitions, ordering
of a delete behind its avatar's in-flight upload, crash recovery."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from ecan.db import Database
from ecan.db.sync_state import DONE, FAILED, IN_FLIGHT, READY, Outbox
from ecan.paths import AppPaths
from ecan.sync.testing import delete_avatar, write_avatar


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    return AppPaths(tmp_path / "home").ensure()


@pytest.fixture
def db(paths: AppPaths) -> Database:
    return Database(paths.database)


def status_of(db: Database, job_id: int) -> tuple[int, int]:
    conn = db.connect()
    try:
        row = conn.execute("SELECT status, attempts FROM outbox WHERE id = ?", (job_id,)).fetchone()
        return row[0], row[1]
    finally:
        conn.close()


def test_concurrent_claims_hand_out_each_job_once(db: Database, paths: AppPaths) -> None:
    for i in range(60):
        write_avatar(paths, db.path, seed=i)
    boxes = [Outbox(db.path) for _ in range(6)]
    claimed: list[int] = []
    lock = threading.Lock()

    def drain(box: Outbox) -> None:
        while (job := box.claim()) is not None:
            with lock:
                claimed.append(job.id)
            box.complete(job, {})

    threads = [threading.Thread(target=drain, args=(b,)) for b in boxes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == list(range(1, 61))
    assert boxes[0].job_counts() == {"ready": 0, "in_flight": 0, "done": 60, "failed": 0}
    for b in boxes:
        b.close()


def test_complete_and_claim_hands_over_the_next_job_in_one_transaction(
        db: Database, paths: AppPaths) -> None:
    ids = [write_avatar(paths, db.path, seed=i) for i in range(3)]
    box, other = Outbox(db.path), Outbox(db.path)
    job = box.claim()
    assert job is not None and job.avatar_row is not None
    assert job.avatar_row["id"] == job.avatar_id == ids[0]
    ok, nxt = box.complete_and_claim(job, {"cloud_image_key": "k"})
    assert ok and nxt is not None and nxt.avatar_id == ids[1]
    assert status_of(db, job.id) == (DONE, 1) and status_of(db, nxt.id) == (IN_FLIGHT, 1)
    assert nxt.avatar_row is not None and nxt.avatar_row["sync_state"] == "syncing"
    # Not the owner: nothing completes and nothing is claimed.
    stolen = type(nxt)(nxt.id, nxt.kind, nxt.avatar_id, nxt.payload, nxt.attempts, other.owner)
    assert other.complete_and_claim(stolen, {}) == (False, None)
    assert box.job_counts()["in_flight"] == 1
    ok, last = box.complete_and_claim(nxt, {}, claim_next=False)
    assert ok and last is None and box.job_counts() == {
        "ready": 1, "in_flight": 0, "done": 2, "failed": 0}
    box.close()
    other.close()


def test_only_the_owner_can_move_an_in_flight_job(db: Database, paths: AppPaths) -> None:
    write_avatar(paths, db.path, seed=1)
    mine, other = Outbox(db.path), Outbox(db.path)
    job = mine.claim()
    assert job is not None and status_of(db, job.id) == (IN_FLIGHT, 1)
    stolen = type(job)(job.id, job.kind, job.avatar_id, job.payload, job.attempts, other.owner)
    assert other.complete(stolen, {}) is False
    assert other.fail(stolen, "x", "y") is False
    assert status_of(db, job.id) == (IN_FLIGHT, 1)
    assert mine.complete(job, {"cloud_image_key": "k"}) is True
    assert mine.complete(job, {}) is False  # not twice
    assert status_of(db, job.id) == (DONE, 1)


def test_a_delete_waits_for_its_avatars_in_flight_upload(db: Database, paths: AppPaths) -> None:
    avatar_id = write_avatar(paths, db.path, seed=1)
    box = Outbox(db.path)
    upload = box.claim()
    assert upload is not None and upload.kind == "upload"
    delete_avatar(paths, db.path, avatar_id)  # the user deletes it mid-upload
    assert box.claim() is None  # the delete must not race the upload
    assert box.complete(upload, {}) is True  # (the row is gone: nothing to mark)
    delete = box.claim()
    assert delete is not None and delete.kind == "delete"
    assert delete.payload["sha256"]


def test_transient_retry_and_permanent_failure_keep_the_job(db: Database,
                                                           paths: AppPaths) -> None:
    write_avatar(paths, db.path, seed=1)
    box = Outbox(db.path)
    job = box.claim()
    assert job is not None
    box.retry_later(job, "timed out", time.time() + 60)
    assert status_of(db, job.id) == (READY, 1)
    assert box.claim() is None  # not due yet
    assert box.expedite() == 1  # network back: due now
    job = box.claim()
    assert job is not None and job.attempts == 2
    box.fail(job, "denied", "grant it")
    assert status_of(db, job.id) == (FAILED, 2)
    assert box.claim() is None
    assert box.retry_failed() == 1
    assert status_of(db, job.id) == (READY, 0)


def test_recover_returns_jobs_of_dead_or_stale_owners_only(db: Database,
                                                           paths: AppPaths) -> None:
    for i in range(3):
        write_avatar(paths, db.path, seed=i)
    conn = db.connect()
    host = socket.gethostname()
    now = time.time()
    conn.execute("UPDATE outbox SET status = 1, attempts = 1, locked_at = ?, locked_by = ? "
                 "WHERE id = 1", (now, f"{host}:999999:dead"))
    conn.execute("UPDATE outbox SET status = 1, attempts = 1, locked_at = ?, locked_by = ? "
                 "WHERE id = 2", (now - 3600, "other-machine:12:abc"))
    conn.execute("UPDATE outbox SET status = 1, attempts = 1, locked_at = ?, locked_by = ? "
                 "WHERE id = 3", (now, "other-machine:12:abc"))
    conn.close()
    box = Outbox(db.path)
    assert box.recover() == 2
    assert status_of(db, 1) == (READY, 0) and status_of(db, 2) == (READY, 0)
    assert status_of(db, 3) == (IN_FLIGHT, 1)  # alive elsewhere, as far as we can tell
