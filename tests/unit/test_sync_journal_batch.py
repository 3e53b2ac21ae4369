"""Avatars that finish uploading together share one journal entry (`avatars.put`): a cold sync
sends one request per avatar fewer, and another machine still pulls every one of them."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ecan.storage.errors import TransientStorageError
from ecan.storage.memory import MemoryBlobStore
from ecan.sync.engine import SyncEngine
from ecan.sync.testing import write_avatar
from tests.unit.sync_machines import machine, q


class HeldJournal(MemoryBlobStore):
    """Holds the first journal write until the other three workers' entries wait behind it
    (what a slow request does on a busy server); can refuse the next write once."""

    def __init__(self) -> None:
        super().__init__()
        self.engine: SyncEngine | None = None
        self.held = False
        self.refuse_batch = False

    def put_bytes(self, key: str, data: bytes, **kw: Any) -> Any:
        if "/journal/" in key:
            if not self.held and self.engine is not None:
                self.held = True
                deadline = time.monotonic() + 30  # never hang the suite
                while self.engine._avatar_puts.waiting < 3 and time.monotonic() < deadline:
                    time.sleep(0.005)
            elif self.refuse_batch:
                self.refuse_batch = False
                raise TransientStorageError("the journal write timed out")
        return super().put_bytes(key, data, **kw)


def journal(store: MemoryBlobStore) -> list[dict[str, Any]]:
    return [json.loads(store.objects[k].data) for k in sorted(store.objects) if "/journal/" in k]


def synced_avatars(doc: dict[str, Any]) -> list[str]:
    if doc["op"] == "avatar.put":
        return [doc["avatar"]["sha256"]]
    return [a["avatar"]["sha256"] for a in doc["avatars"]]


def test_avatars_finishing_together_share_one_journal_entry(tmp_path: Path) -> None:
    store = HeldJournal()
    pa, dba, ea = machine(tmp_path / "a", store)
    store.engine = ea
    for i in range(4):
        write_avatar(pa, dba.path, seed=i, name=f"avatar {i}")
    result = ea.drain(timeout=20)
    assert (result.synced, result.failed, result.remaining) == (4, 0, 0)
    entries = journal(store)
    assert [e["op"] for e in entries] == ["avatar.put", "avatars.put"]
    shas = {r["sha256"] for r in q(dba, "SELECT sha256 FROM avatar")}
    assert sorted(s for e in entries for s in synced_avatars(e)) == sorted(shas)

    # Another machine pulls all four, names included.
    pb, dbb, eb = machine(tmp_path / "b", store)
    pulled = eb.pull_now()
    assert (pulled["pulled"], pulled["failed"]) == (4, 0)
    assert sorted(r["name"] for r in q(dbb, "SELECT name FROM avatar")) == [
        f"avatar {i}" for i in range(4)]
    ea.close()
    eb.close()


def test_a_failed_shared_entry_leaves_each_of_its_avatars_to_sync_again(tmp_path: Path) -> None:
    store = HeldJournal()
    pa, dba, ea = machine(tmp_path / "a", store)
    store.engine = ea
    store.refuse_batch = True
    for i in range(4):
        write_avatar(pa, dba.path, seed=i)
    result = ea.drain(timeout=20)
    assert (result.synced, result.failed, result.remaining) == (4, 0, 0)
    # No avatar is recorded synced without an entry naming it.
    named = {s for e in journal(store) for s in synced_avatars(e)}
    assert named == {r["sha256"] for r in q(dba, "SELECT sha256 FROM avatar")}
    assert [r[0] for r in q(dba, "SELECT DISTINCT sync_state FROM avatar")] == ["synced"]
    ea.close()
