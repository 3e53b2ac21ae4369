"""The sync engine against the in-memory BlobStore twin, on a real SQLite library file."""

from __future__ import annotations

import json
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ecan.config import SyncConfig
from ecan.db import Database, sync_state
from ecan.errors import AuthRequired
from ecan.paths import AppPaths
from ecan.storage.errors import PausingStorageError, StorageError, TransientStorageError
from ecan.storage.memory import MemoryBlobStore
from ecan.sync import avatar_meta
from ecan.sync.engine import SyncEngine, TokenBucket
from ecan.sync.events import JobFailed, JobStarted, Progress, StateChanged, SyncEvent
from ecan.sync.testing import CloudTwin, delete_avatar, write_avatar


def is_journal(key: str) -> bool:
    """The change journal other machines pull from (ecan.sync.journal): one small object per
    change, beside the avatars' own objects."""
    return "/journal/" in key


def avatar_objects(store: MemoryBlobStore) -> list[str]:
    return [k for k in store.objects if not is_journal(k)]


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    return AppPaths(tmp_path / "home").ensure()


@pytest.fixture
def db(paths: AppPaths) -> Database:
    return Database(paths.database)


@pytest.fixture
def store() -> MemoryBlobStore:
    return MemoryBlobStore()


@pytest.fixture
def cloud(store: MemoryBlobStore) -> CloudTwin:
    return CloudTwin(store)


def make_engine(db: Database, paths: AppPaths, cloud: CloudTwin, **kw: object) -> SyncEngine:
    options: dict[str, object] = {"retry_base": 0.01, "retry_cap": 0.05, "probe_max": 0.2,
                                  "seed": 1}
    options.update(kw)
    return SyncEngine(db, paths, cloud, SyncConfig(concurrency=4), **options)  # type: ignore[arg-type]


@pytest.fixture
def engine(db: Database, paths: AppPaths, cloud: CloudTwin) -> Iterator[SyncEngine]:
    e = make_engine(db, paths, cloud)
    yield e
    e.close()


def rows(db: Database, sql: str, *args: object) -> list[sqlite3.Row]:
    conn = db.connect()
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def test_drain_uploads_original_thumb_and_metadata_once(engine: SyncEngine, db: Database,
                                                        paths: AppPaths,
                                                        store: MemoryBlobStore) -> None:
    ids = [write_avatar(paths, db.path, seed=i) for i in range(10)]
    result = engine.drain(timeout=10)
    assert (result.synced, result.failed, result.remaining) == (10, 0, 0)
    for r in rows(db, "SELECT * FROM avatar"):
        assert r["sync_state"] == "synced" and r["cloud_synced_at"]
        assert r["cloud_image_key"] == f"avatars/tester/images/{r['sha256']}_original.jpg"
        assert r["cloud_thumb_key"] == f"avatars/tester/images/{r['sha256']}_thumb.png"
        original = store.objects[r["cloud_image_key"]]
        assert original.content_type == "image/jpeg"
        assert original.data == (paths.home / r["image_path"]).read_bytes()
        thumb = store.objects[r["cloud_thumb_key"]]
        assert thumb.content_type == "image/png"
        # The metadata rides on the thumbnail: no third object per avatar.
        meta = avatar_meta.decode(thumb.metadata[avatar_meta.FIELD])
        assert meta is not None
        assert meta["name"] == r["name"] and meta["tags"] == ["test", meta["tags"][1]]
        assert meta["id"] in ids and meta["sha256"] == r["sha256"]
    assert not any("/meta/" in k for k in store.objects)
    assert len(avatar_objects(store)) == 20 and set(store.puts.values()) == {1}
    again = engine.drain(timeout=10)
    assert (again.synced, again.failed, again.remaining) == (0, 0, 0)
    assert sum(n for k, n in store.puts.items() if not is_journal(k)) == 20


def test_objects_already_there_are_not_uploaded_again(engine: SyncEngine, db: Database,
                                                      paths: AppPaths,
                                                      store: MemoryBlobStore) -> None:
    avatar_id = write_avatar(paths, db.path, seed=1)
    engine.drain(timeout=10)
    # The same avatar queued again (say a crash after upload, before DONE was recorded).
    conn = db.connect()
    conn.execute("INSERT INTO outbox (kind, avatar_id, created_at, updated_at) "
                 "VALUES ('upload', ?, 0, 0)", (avatar_id,))
    conn.close()
    result = engine.drain(timeout=10)
    assert result.remaining == 0
    image_key = rows(db, "SELECT cloud_image_key FROM avatar")[0][0]
    assert store.puts[image_key] == 1


def test_transient_errors_are_retried_with_backoff_recorded(engine: SyncEngine, db: Database,
                                                            paths: AppPaths,
                                                            store: MemoryBlobStore) -> None:
    for i in range(3):
        write_avatar(paths, db.path, seed=i)
    store.fail_next(*(TransientStorageError("storage_timeout", "timed out", "retried")
                      for _ in range(2)))
    events: list[SyncEvent] = []
    result = engine.drain(timeout=10, on_event=events.append)
    assert (result.synced, result.failed, result.remaining) == (3, 0, 0)
    retried = [e for e in events if isinstance(e, JobFailed)]
    assert len(retried) == 2 and all(e.retry_at is not None for e in retried)
    attempts = sorted(r[0] for r in rows(db, "SELECT attempts FROM outbox"))
    assert sum(attempts) == 5 and max(attempts) <= 3


def test_permanent_error_fails_with_hint_until_user_retries(engine: SyncEngine, db: Database,
                                                            paths: AppPaths,
                                                            store: MemoryBlobStore) -> None:
    write_avatar(paths, db.path, seed=1)
    store.fail_next(StorageError("access_denied", "The key lacks s3:PutObject on b/avatars/.",
                                 "Ask the operator to grant it."))
    result = engine.drain(timeout=10)
    assert (result.synced, result.failed, result.remaining) == (0, 1, 0)
    r = rows(db, "SELECT * FROM avatar")[0]
    assert r["sync_state"] == "failed" and "PutObject" in r["sync_error"]
    assert r["sync_hint"] == "Ask the operator to grant it."
    assert engine.status()["counts"]["failed"] == 1
    assert engine.retry_failed() == 1
    result = engine.drain(timeout=10)
    assert (result.synced, result.failed, result.remaining) == (1, 0, 0)


def test_expired_session_pauses_and_never_fails(engine: SyncEngine, db: Database, paths: AppPaths,
                                                cloud: CloudTwin, store: MemoryBlobStore) -> None:
    for i in range(4):
        write_avatar(paths, db.path, seed=i)
    cloud.signed_out = True
    events: list[SyncEvent] = []
    result = engine.drain(timeout=5, on_event=events.append)
    assert result.failed == 0 and result.remaining == 4
    assert engine.status()["auth_required"] is True
    assert all(r[0] == 0 for r in rows(db, "SELECT attempts FROM outbox"))
    assert all(r[0] == "queued" for r in rows(db, "SELECT sync_state FROM avatar"))
    cloud.signed_out = False
    engine.wake()  # signed in again
    result = engine.drain(timeout=10, on_event=events.append)
    assert (result.synced, result.failed, result.remaining) == (4, 0, 0)
    assert not any(isinstance(e, JobFailed) and e.retry_at is None for e in events)


def test_a_skewed_clock_pauses_the_queue_until_a_probe_gets_through(
        engine: SyncEngine, db: Database, paths: AppPaths, store: MemoryBlobStore) -> None:
    """Every job would fail the same way: none may fail; the queue waits with the fix, and
    carries on by itself once the clock is right."""
    for i in range(3):
        write_avatar(paths, db.path, seed=i)
    store.offline = lambda: PausingStorageError(
        "clock_skew", "This computer's clock is off.", "Set the clock; `ecan doctor` shows it.")
    result = engine.drain(timeout=5)
    assert (result.synced, result.failed, result.remaining) == (0, 0, 3)
    status = engine.status()
    assert status["blocked"]["code"] == "clock_skew" and "ecan doctor" in status["blocked"]["hint"]
    assert status["last_error"]["code"] == "clock_skew"
    assert [tuple(r) for r in rows(db, "SELECT status, attempts FROM outbox")] == [(0, 0)] * 3
    assert {r[0] for r in rows(db, "SELECT sync_state FROM avatar")} == {"queued"}

    done = threading.Event()
    finished: list[str] = []

    def on_event(e: SyncEvent) -> None:
        if type(e).__name__ == "JobFinished":
            finished.append(str(e.avatar_id))  # type: ignore[union-attr]
            if len(finished) == 3:
                done.set()

    checks = len(store.access_checks)
    engine.start(on_event)
    deadline = time.monotonic() + 10
    while len(store.access_checks) == checks:  # it probes while paused...
        assert time.monotonic() < deadline, "never probed"
        time.sleep(0.02)
    assert not finished
    store.offline = None  # ...and the clock is set right
    assert done.wait(10)
    engine.stop(timeout=2)
    assert engine.status()["counts"]["synced"] == 3 and engine.status()["blocked"] is None


def test_expiry_during_upload_returns_job_untouched(engine: SyncEngine, db: Database,
                                                    paths: AppPaths,
                                                    store: MemoryBlobStore) -> None:
    write_avatar(paths, db.path, seed=1)
    store.fail_next(AuthRequired())
    result = engine.drain(timeout=5)
    assert result.remaining == 1 and result.failed == 0
    assert rows(db, "SELECT status, attempts FROM outbox")[0][:] == (0, 0)
    engine.wake()
    assert engine.drain(timeout=5).synced == 1


def test_offline_only_probes_then_resumes(engine: SyncEngine, db: Database, paths: AppPaths,
                                          store: MemoryBlobStore) -> None:
    """Offline, the engine sends probes (with back-off) and runs no job; the CPU it uses
    meanwhile is measured by benchmarks/bench_offline.py, not asserted here."""
    for i in range(5):
        write_avatar(paths, db.path, seed=i)
    store.offline = lambda: TransientStorageError("endpoint_unreachable", "Cannot reach x.", "")
    engine.probe_max = 0.5
    events: list[SyncEvent] = []
    box: dict[str, object] = {}
    t = threading.Thread(target=lambda: box.update(r=engine.drain(timeout=30,
                                                                  on_event=events.append)))
    t.start()
    deadline = time.monotonic() + 10
    while not any(isinstance(e, StateChanged) and not e.online for e in events):
        assert time.monotonic() < deadline, "never noticed it was offline"
        time.sleep(0.05)
    job_calls = {op: n for op, n in store.calls.items() if op != "check_access"}
    attempts = sum(r[0] for r in rows(db, "SELECT attempts FROM outbox"))
    probes = len(store.access_checks)
    while len(store.access_checks) < probes + 3:  # three more probes while offline...
        assert time.monotonic() < deadline + 20, "stopped probing"
        time.sleep(0.05)
    # ...and nothing else: no job was tried meanwhile.
    assert {op: n for op, n in store.calls.items() if op != "check_access"} == job_calls
    assert sum(r[0] for r in rows(db, "SELECT attempts FROM outbox")) == attempts
    store.offline = None
    t.join(20)
    result = box["r"]
    assert (result.synced, result.failed, result.remaining) == (5, 0, 0)  # type: ignore[attr-defined]
    assert any(isinstance(e, StateChanged) and e.online for e in events)
    # Probes list only the identity's own prefix (all a Cognito key may list).
    assert store.access_checks and set(store.access_checks) == {"avatars/tester/"}


def left_in_flight_by_a_dead_process(db: Database, avatar_id: str) -> None:
    """The avatar's upload as a crash leaves it: claimed by a process that no longer exists
    (pid 999999 on this host), the avatar 'syncing'."""
    conn = db.connect()
    try:
        with conn:
            conn.execute("UPDATE outbox SET status = 1, attempts = 1, locked_at = ?, "
                         "locked_by = ? WHERE avatar_id = ?",
                         (time.time(), f"{socket.gethostname()}:999999:dead", avatar_id))
            conn.execute("UPDATE avatar SET sync_state = 'syncing' WHERE id = ?", (avatar_id,))
    finally:
        conn.close()


def test_jobs_of_a_crashed_process_return_to_ready(db: Database, paths: AppPaths,
                                                   cloud: CloudTwin) -> None:
    left_in_flight_by_a_dead_process(db, write_avatar(paths, db.path, seed=1))
    engine = make_engine(db, paths, cloud)
    try:
        result = engine.drain(timeout=5)
    finally:
        engine.close()
    assert (result.synced, result.remaining) == (1, 0)
    assert rows(db, "SELECT status, attempts FROM outbox")[0][:] == (2, 1)


@pytest.mark.parametrize("refusals", [1, 6])
def test_a_database_error_while_finishing_a_job_does_not_strand_it(
        engine: SyncEngine, db: Database, paths: AppPaths, store: MemoryBlobStore,
        monkeypatch: pytest.MonkeyPatch, refusals: int) -> None:
    """'database is locked' past the busy timeout (or a full disk) as the job is marked done:
    it must not stay `syncing` under this live engine, blocking the avatar's later jobs."""
    first = write_avatar(paths, db.path, seed=1)
    later = write_avatar(paths, db.path, seed=2)
    left = [refusals]

    def refusing(real: Callable[..., object]) -> Callable[..., object]:
        def refuse(*args: object, **kw: object) -> object:
            if left[0] > 0:
                left[0] -= 1
                raise sqlite3.OperationalError("database is locked")
            return real(*args, **kw)
        return refuse

    # An upload is recorded done with the others its journal entry names (complete_all).
    for name in ("complete_and_claim", "complete_all"):
        monkeypatch.setattr(engine.outbox, name, refusing(getattr(engine.outbox, name)))
    result = engine.drain(timeout=10)
    assert left[0] == 0
    assert (result.synced, result.failed, result.remaining) == (2, 0, 0)
    states = {r["id"]: r["sync_state"] for r in rows(db, "SELECT id, sync_state FROM avatar")}
    assert states == {first: "synced", later: "synced"}
    assert {r[0] for r in rows(db, "SELECT status FROM outbox")} == {2}
    assert set(store.puts.values()) == {1}  # the retry found its objects there: not re-sent


def test_two_engines_never_upload_one_job_twice(db: Database, paths: AppPaths,
                                                store: MemoryBlobStore) -> None:
    for i in range(40):
        write_avatar(paths, db.path, seed=i)
    engines = [make_engine(db, paths, CloudTwin(store)) for _ in range(2)]
    results = []
    threads = [threading.Thread(target=lambda e=e: results.append(e.drain(timeout=20)))
               for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in engines:
        e.close()
    assert sum(r.synced for r in results) == 40
    assert len(avatar_objects(store)) == 80 and set(store.puts.values()) == {1}


def test_a_slow_small_upload_keeps_its_claim_against_another_engines_recovery(
        db: Database, paths: AppPaths, store: MemoryBlobStore) -> None:
    """A small upload under a low bandwidth limit waits long before its one request; without a
    heartbeat its claim looks abandoned and another engine's recovery runs the job twice."""
    write_avatar(paths, db.path, seed=1, original=b"s" * 3000)  # one PUT, after ~2 s of limit
    slow = make_engine(db, paths, CloudTwin(store))
    slow.heartbeat_s = 0.05
    slow.set_bandwidth_limit(1)  # 1 KB/s
    other = make_engine(db, paths, CloudTwin(store))
    other._bucket.set_rate(0)
    other.outbox.stale_after_s = 0.5  # the lease: a claim untouched for longer is taken over
    started = threading.Event()
    box: dict[str, object] = {}
    t = threading.Thread(target=lambda: box.update(r=slow.drain(
        timeout=30, on_event=lambda e: started.set() if isinstance(e, JobStarted) else None)))
    try:
        t.start()
        assert started.wait(10)
        time.sleep(1.0)  # twice the lease: only a heartbeat keeps the claim
        other.drain(timeout=5)
        t.join(30)
    finally:
        slow.close()
        other.close()
    assert box["r"].synced == 1  # type: ignore[attr-defined]
    assert len(avatar_objects(store)) == 2 and set(store.puts.values()) == {1}


def test_delete_removes_every_object_of_the_avatar(engine: SyncEngine, db: Database,
                                                   paths: AppPaths,
                                                   store: MemoryBlobStore) -> None:
    keep = write_avatar(paths, db.path, seed=1)
    gone = write_avatar(paths, db.path, seed=2, video=b"\x00\x00\x00\x18ftypmp42" + b"v" * 500)
    engine.drain(timeout=10)
    assert len(avatar_objects(store)) == 5
    # A metadata JSON as the layout before this one wrote it: the delete removes it too.
    gone_sha = rows(db, "SELECT sha256 FROM avatar WHERE id = ?", gone)[0][0]
    store.put_bytes(f"avatars/tester/meta/avatars/{gone_sha}.json", b"{}",
                    content_type="application/json")
    delete_avatar(paths, db.path, gone)
    result = engine.drain(timeout=10)
    assert result.remaining == 0
    keys = set(avatar_objects(store))
    sha = rows(db, "SELECT sha256 FROM avatar WHERE id = ?", keep)[0][0]
    assert keys == {f"avatars/tester/images/{sha}_original.jpg",
                    f"avatars/tester/images/{sha}_thumb.png"}
    # Idempotent: the same delete again changes nothing and does not fail.
    conn = db.connect()
    conn.execute("UPDATE outbox SET status = 0 WHERE kind = 'delete'")
    conn.close()
    assert engine.drain(timeout=10).failed == 0


VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"v" * 500


def test_a_delayed_delete_keeps_a_video_another_avatar_now_shows(
        engine: SyncEngine, db: Database, paths: AppPaths, store: MemoryBlobStore) -> None:
    """The delete waited (offline, back-off); meanwhile another avatar came to use the video."""
    gone = write_avatar(paths, db.path, seed=1, video=VIDEO)
    engine.drain(timeout=10)
    delete_avatar(paths, db.path, gone)
    conn = db.connect()
    conn.execute("UPDATE outbox SET next_attempt_at = 1e12 WHERE kind = 'delete'")  # backing off
    conn.close()
    other = write_avatar(paths, db.path, seed=2, video=VIDEO)
    engine.drain(timeout=10)
    video_key = rows(db, "SELECT cloud_video_key FROM avatar WHERE id = ?", other)[0][0]
    assert video_key in store.objects  # already there: the upload found it and skipped it
    conn = db.connect()
    conn.execute("UPDATE outbox SET next_attempt_at = 0 WHERE kind = 'delete'")
    conn.close()
    assert engine.drain(timeout=10).remaining == 0
    assert video_key in store.objects
    assert rows(db, "SELECT sync_state FROM avatar WHERE id = ?", other)[0][0] == "synced"


class _RacingStore(MemoryBlobStore):
    """Runs `during_delete` once, at the first delete: what another worker or process did
    between the delete job's check of the library and its delete requests."""

    def __init__(self) -> None:
        super().__init__()
        self.during_delete: list[object] = []

    def delete(self, key: str) -> None:
        while self.during_delete:
            self.during_delete.pop()()  # type: ignore[operator]
        super().delete(key)


@pytest.mark.parametrize("what", ["picture", "video"])
def test_content_reused_while_its_delete_runs_is_put_back(db: Database, paths: AppPaths,
                                                          what: str) -> None:
    """Check-then-delete spans network round trips: an avatar that came to use the same content
    in between (its upload found the objects still there) must not be left without them."""
    store = _RacingStore()
    engine = make_engine(db, paths, CloudTwin(store))
    picture = b"same picture" * 100
    try:
        gone = write_avatar(paths, db.path, seed=1, original=picture, video=VIDEO)
        engine.drain(timeout=10)
        delete_avatar(paths, db.path, gone)
        reused: list[str] = []

        def reimported_and_synced() -> None:
            kw = {"original": picture} if what == "picture" else {"video": VIDEO}
            avatar_id = write_avatar(paths, db.path, seed=2, enqueue=False, **kw)
            conn = db.connect()  # its upload ran and found every object there
            conn.execute("UPDATE avatar SET sync_state = 'synced' WHERE id = ?", (avatar_id,))
            conn.close()
            reused.append(avatar_id)

        store.during_delete.append(reimported_and_synced)
        result = engine.drain(timeout=10)
    finally:
        engine.close()
    assert (result.failed, result.remaining) == (0, 0) and reused
    r = rows(db, "SELECT * FROM avatar WHERE id = ?", reused[0])[0]
    assert r["sync_state"] == "synced"
    layout = CloudTwin(store).layout
    if what == "picture":
        assert layout.original(r["sha256"], "jpg") in store.objects
        assert layout.thumbnail(r["sha256"]) in store.objects
    else:
        assert layout.video(r["video_sha256"], "mp4") in store.objects


def test_missing_local_file_fails_with_the_file_named(engine: SyncEngine, db: Database,
                                                      paths: AppPaths) -> None:
    write_avatar(paths, db.path, seed=1)
    image = paths.home / rows(db, "SELECT image_path FROM avatar")[0][0]
    image.unlink()
    result = engine.drain(timeout=5)
    assert result.failed == 1
    r = rows(db, "SELECT sync_error, sync_hint FROM avatar")[0]
    assert str(image) in r[0] and "import" in r[1]


def test_changed_local_file_is_refused_not_uploaded(engine: SyncEngine, db: Database,
                                                    paths: AppPaths,
                                                    store: MemoryBlobStore) -> None:
    write_avatar(paths, db.path, seed=1)
    image = paths.home / rows(db, "SELECT image_path FROM avatar")[0][0]
    image.write_bytes(b"damaged")
    assert engine.drain(timeout=5).failed == 1
    assert store.objects == {}
    assert "checksum" in rows(db, "SELECT sync_error FROM avatar")[0][0]


def test_pause_and_bandwidth_are_remembered(db: Database, paths: AppPaths,
                                            cloud: CloudTwin, store: MemoryBlobStore) -> None:
    write_avatar(paths, db.path, seed=1)
    first = make_engine(db, paths, cloud)
    first.pause()
    first.set_bandwidth_limit(256)
    first.close()
    second = make_engine(db, paths, cloud)
    try:
        assert second.paused() and second.status()["paused"]
        assert second.bandwidth_limit() == 256
        assert second.drain(timeout=2).remaining == 1 and store.objects == {}
        second.resume()
        second.set_bandwidth_limit(0)
        assert second.drain(timeout=5).synced == 1
    finally:
        second.close()


def test_token_bucket_waits_in_proportion_to_the_limit() -> None:
    waits: list[float] = []

    class Recorder(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            waits.append(timeout or 0.0)
            return False

    bucket = TokenBucket(kbps=100)  # 102,400 bytes/s with one second of burst
    rec = Recorder()
    bucket.consume(102_400, rec)  # the burst
    assert waits == []
    bucket.consume(51_200, rec)
    assert waits and 0.45 < waits[-1] <= 0.5
    TokenBucket(0).consume(10**9, rec)  # unlimited: never waits
    assert len(waits) == 1


def test_progress_reaches_its_totals(engine: SyncEngine, db: Database, paths: AppPaths) -> None:
    for i in range(6):
        write_avatar(paths, db.path, seed=i)
    events: list[SyncEvent] = []
    engine.drain(timeout=10, on_event=events.append)
    last = [e for e in events if isinstance(e, Progress)][-1]
    assert last.items_done == last.items_total == 6
    assert last.bytes_done >= last.bytes_total > 0


def test_agents_metadata_job_writes_the_bindings(engine: SyncEngine, db: Database,
                                                 paths: AppPaths, store: MemoryBlobStore) -> None:
    avatar_id = write_avatar(paths, db.path, seed=1)
    sha = rows(db, "SELECT sha256 FROM avatar")[0][0]
    conn = db.connect()
    conn.execute("INSERT INTO agent (id, name, description, avatar_id, created_at, updated_at) "
                 "VALUES ('a1', 'Helper', 'helps', ?, 1, 1)", (avatar_id,))
    conn.execute("INSERT INTO outbox (kind, payload, created_at, updated_at) "
                 "VALUES ('metadata', '{\"what\": \"agents\"}', 0, 0)")
    conn.close()
    assert engine.drain(timeout=5).remaining == 0
    doc = json.loads(store.objects["avatars/tester/meta/agents.json"].data)
    assert doc["agents"] == [{"name": "Helper", "description": "helps", "created_at": 1,
                              "avatar_sha256": sha}]


def test_no_cloud_keeps_jobs_and_shows_local(db: Database, paths: AppPaths) -> None:
    write_avatar(paths, db.path, seed=1)
    engine = make_engine(db, paths, CloudTwin(None))
    try:
        result = engine.drain(timeout=2)
        assert result.remaining == 1 and result.failed == 0
        assert engine.status()["counts"] == {"local": 1, "queued": 0, "syncing": 0,
                                             "synced": 0, "failed": 0, "system": 0}
    finally:
        engine.close()


def test_background_mode_syncs_on_wake_and_stops(engine: SyncEngine, db: Database,
                                                 paths: AppPaths) -> None:
    done = threading.Event()
    count = [0]

    def on_event(e: SyncEvent) -> None:
        if type(e).__name__ == "JobFinished":
            count[0] += 1
            if count[0] == 3:
                done.set()

    engine.start(on_event)
    for i in range(3):
        write_avatar(paths, db.path, seed=i)
        engine.wake()
    assert done.wait(10)
    engine.stop(timeout=2)
    assert engine.status()["counts"]["synced"] == 3


def test_stop_abandons_a_slow_upload_safely_and_it_resumes(db: Database, paths: AppPaths,
                                                           cloud: CloudTwin,
                                                           store: MemoryBlobStore) -> None:
    write_avatar(paths, db.path, seed=1, original=b"x" * 2_000_000)
    store.chunk = 16 * 1024
    store.chunk_delay = 0.05  # ~6 s for the whole file: far longer than we wait
    engine = make_engine(db, paths, cloud)
    engine.small_file = 0  # stream it (multipart path, with progress)
    started = threading.Event()
    engine.start(lambda e: started.set() if isinstance(e, Progress) else None)
    assert started.wait(10)
    engine.stop(timeout=0.3)
    assert store.objects == {}  # abandoned mid-way: stop did not wait for the whole upload
    assert rows(db, "SELECT status, attempts FROM outbox")[0][:] == (0, 0)
    assert rows(db, "SELECT sync_state FROM avatar")[0][0] == "queued"
    engine.close()
    store.chunk_delay = 0
    again = make_engine(db, paths, cloud)
    try:
        assert again.drain(timeout=10).synced == 1
    finally:
        again.close()


def test_a_job_of_another_identity_is_held_never_uploaded(db: Database, paths: AppPaths,
                                                          store: MemoryBlobStore) -> None:
    # Queued while alice's account owned the library; the engine now writes as bob.
    db.set_setting("library.identity", "alice")
    held = write_avatar(paths, db.path, seed=1)
    db.set_setting("library.identity", "bob")
    own = write_avatar(paths, db.path, seed=2)
    engine = make_engine(db, paths, CloudTwin(store, identity="bob"))
    try:
        result = engine.drain(timeout=10)
    finally:
        engine.close()
    assert (result.synced, result.remaining) == (1, 1)
    assert all(key.startswith("avatars/bob/") for key in store.objects)
    assert not any(held in json.dumps(o.metadata) for o in store.objects.values())
    job = rows(db, "SELECT * FROM outbox WHERE avatar_id = ?", held)[0]
    assert (job["status"], job["identity_id"], job["attempts"]) == (0, "alice", 0)
    assert "belongs to identity alice" in job["last_error"]
    avatar = rows(db, "SELECT * FROM avatar WHERE id = ?", held)[0]
    assert avatar["sync_state"] == "queued" and "never uploaded" in avatar["sync_error"]
    assert rows(db, "SELECT sync_state FROM avatar WHERE id = ?", own)[0][0] == "synced"


def test_synced_is_checked_again_in_a_new_store_or_prefix(db: Database, paths: AppPaths,
                                                         store: MemoryBlobStore) -> None:
    for i in range(2):
        write_avatar(paths, db.path, seed=i)
    first = make_engine(db, paths, CloudTwin(store))
    try:
        assert first.drain(timeout=10).synced == 2
    finally:
        first.close()
    # Another bucket (or endpoint, prefix, identity): nothing is there yet.
    elsewhere = MemoryBlobStore()
    second = make_engine(db, paths, CloudTwin(elsewhere, prefix="tenant/avatars/"))
    try:
        result = second.drain(timeout=10)
        changed = second.status()["cloud_changed"]
    finally:
        second.close()
    assert (result.synced, result.remaining) == (2, 0)
    assert changed["requeued"] == 2
    assert len([k for k in elsewhere.objects if k.startswith("tenant/avatars/tester/images/")]) \
        == 4
    # Back on the same target: nothing to check again.
    third = make_engine(db, paths, CloudTwin(elsewhere, prefix="tenant/avatars/"))
    try:
        assert third.drain(timeout=10).synced == 0
        assert third.status()["cloud_changed"] is None
    finally:
        third.close()


class Clock:
    """The wall clock a timed pause ends by, moved by the test."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_a_timed_pause_survives_a_restart_and_ends_by_itself(
        db: Database, paths: AppPaths, cloud: CloudTwin, store: MemoryBlobStore) -> None:
    write_avatar(paths, db.path, seed=1)
    clock = Clock()
    first = make_engine(db, paths, cloud, clock=clock)
    first.pause(until=clock.now + 3600)
    first.close()
    second = make_engine(db, paths, cloud, clock=clock)
    try:
        status = second.status()
        assert status["paused"] is True and status["paused_until"] == clock.now + 3600
        assert second.drain(timeout=2).remaining == 1 and store.objects == {}
        clock.now += 3601  # the hour is over
        status = second.status()
        assert status["paused"] is False and status["paused_until"] is None
        assert second.drain(timeout=5).synced == 1
    finally:
        second.close()


def test_the_background_engine_resumes_when_a_short_pause_ends(
        engine: SyncEngine, db: Database, paths: AppPaths, store: MemoryBlobStore) -> None:
    events: list[SyncEvent] = []
    engine.pause(until=time.time() + 0.5)
    write_avatar(paths, db.path, seed=1)
    engine.start(events.append)
    engine.wake()
    deadline = time.monotonic() + 20
    while not avatar_objects(store) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert avatar_objects(store), "the pause ended but nothing was uploaded"
    assert engine.paused() is False
    states = [e for e in events if isinstance(e, StateChanged)]
    assert states and not states[-1].paused and states[-1].paused_until is None


def test_a_pause_in_the_past_is_refused(engine: SyncEngine) -> None:
    with pytest.raises(Exception) as info:
        engine.pause(until=time.time() - 1)
    assert getattr(info.value, "code", None) == "invalid_pause"
    assert engine.paused() is False


def test_pause_durations_read_as_people_write_them() -> None:
    from datetime import datetime, timedelta, timezone

    from ecan.sync.pause import DurationError, next_morning, pause_end

    now = datetime(2026, 12, 5, 15, 0, tzinfo=timezone(timedelta(hours=1)))
    assert pause_end("30m", now) == (now + timedelta(minutes=30)).timestamp()
    assert pause_end("1h", now) == (now + timedelta(hours=1)).timestamp()
    assert pause_end("2h30m", now) == (now + timedelta(hours=2, minutes=30)).timestamp()
    assert pause_end(None, now) is None and pause_end("", now) is None
    assert pause_end("tomorrow", now) == datetime(2026, 12, 6, 8, 0,
                                                   tzinfo=now.tzinfo).timestamp()
    # After midnight, "tomorrow" morning is this morning's 08:00.
    early = now.replace(hour=2)
    assert next_morning(early) == early.replace(hour=8)
    for bad in ("5x", "h", "0m", "31d", "-1h"):
        with pytest.raises(DurationError):
            pause_end(bad, now)


def edited_since_synced(db: Database) -> None:
    """Every avatar queued again as a rename queues it: its upload asks the cloud first."""
    conn = db.connect()
    try:
        with conn:
            for (avatar_id,) in conn.execute("SELECT id FROM avatar").fetchall():
                sync_state.requeue(conn, avatar_id)
    finally:
        conn.close()


def listings(store: MemoryBlobStore) -> list[str]:
    """The folders (images, videos, ...) the store is asked to list from now on."""
    listed: list[str] = []
    real_list = store.list

    def listing(prefix: str, *, start_after: str = "") -> Iterator[object]:
        listed.append(prefix.rsplit("/", 2)[-2])
        return real_list(prefix, start_after=start_after)

    store.list = listing  # type: ignore[assignment,method-assign]
    return listed


def test_a_new_avatars_pictures_go_up_without_asking_first(engine: SyncEngine, db: Database,
                                                           paths: AppPaths,
                                                           store: MemoryBlobStore,
                                                           cloud: CloudTwin) -> None:
    """A new avatar's original and thumbnail are sent at once, without a HEAD: the cloud can
    hold them only if another machine has the very same picture. An avatar that synced before
    asks first (a rename: its original is found in place, not sent again), and so does a try
    after one that a crash cut short, whose upload may have got through."""
    write_avatar(paths, db.path, seed=1)
    assert engine.drain(timeout=10).synced == 1
    assert store.calls["head"] == 0 and len(avatar_objects(store)) == 2
    edited_since_synced(db)
    assert engine.drain(timeout=10).synced == 1
    assert store.calls["head"] == 2
    original = next(k for k in avatar_objects(store) if "_original." in k)
    assert store.puts[original] == 1

    # A process that died with the job in flight, after its original went up.
    crashed = write_avatar(paths, db.path, seed=2)
    sha = rows(db, "SELECT sha256 FROM avatar WHERE id = ?", crashed)[0][0]
    key = cloud.layout.original(sha, "jpg")
    store.put_bytes(key, (paths.uploaded / f"{sha}.jpg").read_bytes(), content_type="image/jpeg")
    left_in_flight_by_a_dead_process(db, crashed)
    heads = store.calls["head"]
    assert engine.drain(timeout=10).synced == 1
    assert store.calls["head"] == heads + 2
    assert store.puts[key] == 1  # found in place


def test_the_first_batch_goes_on_the_listing_asked_ahead(engine: SyncEngine, db: Database,
                                                         paths: AppPaths,
                                                         store: MemoryBlobStore) -> None:
    """`ecan sync` asks what the cloud holds as the engine starts (list_ahead), while the cloud
    is idle: the first batch goes on that answer instead of listing again once it got going.
    Here 25 avatars edited since they synced: what the answer names is checked by a HEAD, and
    their originals, unchanged, are not sent again."""
    for i in range(25):
        write_avatar(paths, db.path, seed=i)
    assert engine.drain(timeout=30).synced == 25
    edited_since_synced(db)
    listed = listings(store)
    heads = store.calls["head"]
    engine.list_ahead()
    deadline = time.monotonic() + 10
    while not listed and time.monotonic() < deadline:  # asked before the drain starts
        time.sleep(0.01)
    assert listed == ["images"]
    assert engine.drain(timeout=30).synced == 25
    assert listed == ["images"]  # no second listing
    assert store.calls["head"] == heads + 50  # originals and thumbnails
    assert {store.puts[k] for k in avatar_objects(store) if "_original." in k} == {1}


def test_closing_waits_for_a_listing_asked_ahead(engine: SyncEngine, db: Database,
                                                 paths: AppPaths,
                                                 store: MemoryBlobStore) -> None:
    """A sync stopped before its first batch never collects the listing it asked for ahead:
    closing the engine waits for it, so that the outbox is not shut under it."""
    for i in range(20):
        write_avatar(paths, db.path, seed=i)
    assert engine.drain(timeout=30).synced == 20
    edited_since_synced(db)
    answered = threading.Event()
    real_list = store.list

    def slow_list(prefix: str, *, start_after: str = "") -> Iterator[object]:
        time.sleep(0.3)  # a slow link
        try:
            return real_list(prefix, start_after=start_after)
        finally:
            answered.set()

    store.list = slow_list  # type: ignore[assignment,method-assign]
    engine.list_ahead()
    engine.close()
    assert answered.is_set()


def test_a_listing_asked_ahead_of_a_cloud_change_is_taken_once_it_is_known(
        db: Database, paths: AppPaths, store: MemoryBlobStore) -> None:
    """`ecan sync` asks ahead before the engine has met the cloud and found it changed (another
    bucket, prefix or identity), which queues every avatar again to check what the new place
    holds: the first batch counts again and lists it once, rather than a HEAD per object."""
    before = make_engine(db, paths, CloudTwin(store))
    try:
        for i in range(25):
            write_avatar(paths, db.path, seed=i)
        assert before.drain(timeout=30).synced == 25
    finally:
        before.close()
    moved = MemoryBlobStore()
    listed = listings(moved)
    engine = make_engine(db, paths, CloudTwin(moved))
    try:
        engine.list_ahead()
        assert engine.drain(timeout=30).synced == 25
    finally:
        engine.close()
    assert listed == ["images"] and moved.calls["head"] == 0
    assert len(avatar_objects(moved)) == 50


def test_new_videos_and_large_files_count_towards_a_listing(engine: SyncEngine, db: Database,
                                                            paths: AppPaths,
                                                            store: MemoryBlobStore) -> None:
    """A video, and a file too large for one PUT, ask the cloud first even for a new avatar (a
    HEAD is nothing next to their upload): twenty of them or more are asked about by one
    listing, not one HEAD each."""
    listed = listings(store)
    for i in range(20):
        write_avatar(paths, db.path, seed=i, video=VIDEO + bytes([i]))
    assert engine.drain(timeout=30).synced == 20
    assert listed == ["images", "videos"] and store.calls["head"] == 0

    listed.clear()
    engine.small_file = 100  # every file streams now
    for i in range(20):
        write_avatar(paths, db.path, seed=100 + i)
    heads = store.calls["head"]
    assert engine.drain(timeout=30).synced == 20
    assert listed == ["images"]
    assert store.calls["head"] == heads + 40  # each streamed file's check after it, none before


def test_a_batch_lists_the_videos_only_when_a_video_waits(engine: SyncEngine, db: Database,
                                                          paths: AppPaths,
                                                          store: MemoryBlobStore) -> None:
    """Twenty uploads or more that ask the cloud first (here avatars edited since they synced):
    a listing of the identity's prefixes replaces a HEAD per object. A batch of photos lists
    images/ alone; with a video waiting, videos/ too, and a video the cloud already has is not
    sent again (a HEAD confirms its content)."""
    listed = listings(store)
    for i in range(25):
        write_avatar(paths, db.path, seed=i)
    assert engine.drain(timeout=30).synced == 25
    assert listed == []  # new avatars: nothing to ask
    edited_since_synced(db)
    assert engine.drain(timeout=30).synced == 25
    assert listed == ["images"]

    write_avatar(paths, db.path, seed=100, video=VIDEO)  # alone: checked by HEADs
    assert engine.drain(timeout=30).synced == 1
    video_key = next(k for k in store.objects if "/videos/" in k)
    listed.clear()
    edited_since_synced(db)
    write_avatar(paths, db.path, seed=200, video=VIDEO)  # a new avatar with the same video
    assert engine.drain(timeout=30).synced == 27
    assert listed == ["images", "videos"]
    assert store.puts[video_key] == 1
