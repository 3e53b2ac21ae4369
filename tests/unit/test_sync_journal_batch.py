"""Avatars synced in one run share journal entries (`avatars.put`): a cold sync sends about one
request per avatar fewer, the workers never wait for the journal, and another machine still
pulls every avatar. No avatar is recorded synced before an entry naming it is written."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from ecan.config import SyncConfig
from ecan.db import Database
from ecan.paths import AppPaths
from ecan.storage.errors import TransientStorageError
from ecan.storage.memory import MemoryBlobStore
from ecan.sync import journal as journal_mod
from ecan.sync.engine import SyncEngine
from ecan.sync.testing import CloudTwin, write_avatar
from tests.unit.sync_machines import machine, q


class SlowJournal(MemoryBlobStore):
    """A journal write that takes as long as the uploads of `hold_until` pictures (a slow
    request on a busy server); can refuse the first journal write."""

    def __init__(self, hold_until: int = 0) -> None:
        super().__init__()
        self.hold_until = hold_until
        self.refuse_first = False
        self.held_for: list[int] = []  # pictures in the cloud when each held write ended
        self.synced_when_written: list[int] = []
        self.db: Database | None = None

    def pictures(self) -> int:
        return sum("/images/" in k for k in list(self.objects))

    def put_bytes(self, key: str, data: bytes, **kw: Any) -> Any:
        if "/journal/" in key:
            if self.db is not None:  # what the library says is synced before this entry
                self.synced_when_written.append(len(q(
                    self.db, "SELECT 1 FROM avatar WHERE sync_state = 'synced'")))
            if self.hold_until:
                deadline = time.monotonic() + 20  # never hang the suite
                while self.pictures() < self.hold_until and time.monotonic() < deadline:
                    time.sleep(0.005)
                self.held_for.append(self.pictures())
            if self.refuse_first:
                self.refuse_first = False
                raise TransientStorageError("timeout", "The journal write timed out.")
        return super().put_bytes(key, data, **kw)


def journal(store: MemoryBlobStore) -> list[dict[str, Any]]:
    return [json.loads(store.objects[k].data) for k in sorted(store.objects) if "/journal/" in k]


def synced_avatars(doc: dict[str, Any]) -> list[str]:
    if doc["op"] == "avatar.put":
        return [doc["avatar"]["sha256"]]
    return [a["avatar"]["sha256"] for a in doc["avatars"]]


def test_avatars_synced_in_one_run_share_one_journal_entry(tmp_path: Path) -> None:
    store = SlowJournal()
    pa, dba, ea = machine(tmp_path / "a", store)
    store.db = dba
    for i in range(6):
        write_avatar(pa, dba.path, seed=i, name=f"avatar {i}")
    recorded: list[int] = []  # jobs per transaction that recorded uploads done
    complete_all = ea.outbox.complete_all

    def counting(done: Any) -> list[bool]:
        recorded.append(len(done))
        return complete_all(done)

    ea.outbox.complete_all = counting  # type: ignore[method-assign]
    result = ea.drain(timeout=20)
    assert (result.synced, result.failed, result.remaining) == (6, 0, 0)
    entries = journal(store)
    assert [e["op"] for e in entries] == ["avatars.put"]
    assert recorded == [6]  # one entry, one commit for its six jobs
    shas = {r["sha256"] for r in q(dba, "SELECT sha256 FROM avatar")}
    assert sorted(s for e in entries for s in synced_avatars(e)) == sorted(shas)
    assert store.synced_when_written == [0]  # none was recorded synced before its entry

    # Another machine pulls all six, names included.
    pb, dbb, eb = machine(tmp_path / "b", store)
    pulled = eb.pull_now()
    assert (pulled["pulled"], pulled["failed"]) == (6, 0)
    assert sorted(r["name"] for r in q(dbb, "SELECT name FROM avatar")) == [
        f"avatar {i}" for i in range(6)]
    # Its Activity list names the computer that added them (it once said "this computer"
    # for the avatars of a shared entry).
    added = q(dbb, "SELECT machine, machine_name FROM activity WHERE kind = 'added'")
    assert len(added) == 6
    assert {(r["machine"], r["machine_name"]) for r in added} == {
        (ea.outbox.machine_id(), journal_mod.host_name())}
    ea.close()
    eb.close()


def test_a_journal_write_under_way_does_not_hold_the_uploads_back(tmp_path: Path) -> None:
    """Two workers, six avatars, entries written as soon as one waits: the first journal write
    lasts until every picture is up. Workers that waited for their entry's write would stop
    after two avatars (their pictures: 4 of 12)."""
    store = SlowJournal(hold_until=12)
    paths = AppPaths(tmp_path / "a").ensure()
    db = Database(paths.database)
    engine = SyncEngine(db, paths, CloudTwin(store), SyncConfig(concurrency=2))
    engine._avatar_puts.linger_s = 0.0
    for i in range(6):
        write_avatar(paths, db.path, seed=i)
    result = engine.drain(timeout=30)
    assert (result.synced, result.failed, result.remaining) == (6, 0, 0)
    assert store.held_for[0] == 12
    named = {s for e in journal(store) for s in synced_avatars(e)}
    assert named == {r["sha256"] for r in q(db, "SELECT sha256 FROM avatar")}
    engine.close()


def test_a_failed_shared_entry_leaves_each_of_its_avatars_to_sync_again(tmp_path: Path) -> None:
    store = SlowJournal()
    pa, dba, ea = machine(tmp_path / "a", store)
    store.refuse_first = True
    for i in range(4):
        write_avatar(pa, dba.path, seed=i)
    result = ea.drain(timeout=20)
    assert (result.synced, result.failed, result.remaining) == (4, 0, 0)
    assert len(journal(store)) >= 1  # the refused write left nothing; the retries name all four
    # No avatar is recorded synced without an entry naming it.
    named = {s for e in journal(store) for s in synced_avatars(e)}
    assert named == {r["sha256"] for r in q(dba, "SELECT sha256 FROM avatar")}
    assert [r[0] for r in q(dba, "SELECT DISTINCT sync_state FROM avatar")] == ["synced"]
    ea.close()


def test_the_writer_records_every_entry_it_was_given_before_the_run_ends() -> None:
    """close() returns only after every entry's job has heard how its write went: once per
    write, all of its entries together (the engine records them in one transaction)."""
    from ecan.sync.journal import AvatarPuts

    store = MemoryBlobStore()
    cloud = CloudTwin(store).open()
    heard: list[tuple[list[int], BaseException | None]] = []
    lock = threading.Lock()

    def written(tokens: list[int], error: BaseException | None) -> None:
        with lock:
            heard.append((tokens, error))

    puts = AvatarPuts(lambda: "m1", written, linger_s=60)
    puts.start()
    for i in range(3):
        puts.add(cloud, {"sha256": f"{i:064x}"}, at=float(i), token=i)
    puts.close()
    assert heard == [([0, 1, 2], None)]
    assert [e["op"] for e in journal(store)] == ["avatars.put"]


def shared_entry_of_three(tmp_path: Path) -> tuple[MemoryBlobStore, list[str], Database]:
    """Machine A syncs three avatars, named by one `avatars.put` entry; their originals' keys."""
    store = MemoryBlobStore()
    pa, dba, ea = machine(tmp_path / "a", store)
    for i in range(3):
        write_avatar(pa, dba.path, seed=i, name=f"avatar {i}")
    assert ea.drain(timeout=20).synced == 3
    ea.close()
    assert [e["op"] for e in journal(store)] == ["avatars.put"]
    return store, sorted(k for k in store.objects if k.endswith("_original.jpg")), dba


def test_an_avatar_of_a_shared_entry_that_could_not_arrive_comes_with_the_next_pull(
        tmp_path: Path) -> None:
    """One avatar of a shared entry fails to arrive for a passing reason (the network): the
    others are applied, and the next pull, whose cursor has moved past the entry, still brings
    it. Before, only single-avatar entries were read again: this avatar never came."""
    store, originals, _ = shared_entry_of_three(tmp_path)
    real_download = store.download_file

    def flaky(key: str, dest: Path, progress: Any = None) -> Any:
        if key == originals[0]:
            raise TransientStorageError("network", "The connection was reset.", "Retried.")
        return real_download(key, dest, progress)

    pb, dbb, eb = machine(tmp_path / "b", store)
    store.download_file = flaky  # type: ignore[method-assign]
    first = eb.pull_now()
    assert (first["pulled"], first["failed"], first["retrying"]) == (2, 1, 1), first
    store.download_file = real_download  # type: ignore[method-assign]
    second = eb.pull_now()
    assert (second["pulled"], second["failed"], second["retrying"]) == (1, 0, 0), second
    assert sorted(r["name"] for r in q(dbb, "SELECT name FROM avatar")) == [
        "avatar 0", "avatar 1", "avatar 2"]
    assert eb.pull_now()["pulled"] == 0  # read again once, not for ever
    eb.close()


def test_a_full_disk_downloads_nothing_and_the_avatars_come_once_there_is_room(
        tmp_path: Path, monkeypatch: Any) -> None:
    """A library's disk without room for what a pull brings: no download starts (one that
    could only fail midway, again at every pull, is not made), each avatar is refused with the
    space it needs, and the pull after room is made brings them all."""
    import shutil
    from collections import namedtuple

    store, _, _ = shared_entry_of_three(tmp_path)
    pb, dbb, eb = machine(tmp_path / "b", store)
    downloads: list[str] = []
    real_download = store.download_file

    def counted(key: str, dest: Path, progress: Any = None) -> Any:
        downloads.append(key)
        return real_download(key, dest, progress)

    store.download_file = counted  # type: ignore[method-assign]
    usage = namedtuple("usage", "total used free")
    real_usage = shutil.disk_usage
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 4096, 4096))
    first = eb.pull_now()
    assert (first["pulled"], first["failed"], first["retrying"]) == (0, 3, 3), first
    assert downloads == []
    assert all("too little free space on the disk holding the library (16.8 MB needed)" in w
               for w in first["warnings"]), first["warnings"]
    assert q(dbb, "SELECT COUNT(*) FROM avatar")[0][0] == 0
    assert list(pb.tmp.iterdir()) == []  # nothing half-written
    # The window's engine pulls every 30 s: the same notices do not fill its Activity list.
    assert eb.pull_now()["retrying"] == 3
    notices = q(dbb, "SELECT detail FROM activity WHERE kind = 'notice'")
    assert len(notices) == 3 and all("too little free space" in r["detail"] for r in notices)
    monkeypatch.setattr(shutil, "disk_usage", real_usage)
    second = eb.pull_now()
    assert (second["pulled"], second["failed"]) == (3, 0), second
    assert len(downloads) == 3
    eb.close()
