"""An avatar's metadata rides on its thumbnail (two objects per avatar, not three): renames reach
the cloud, a document too large for S3 user metadata falls back to the JSON object, and restore
reads both that and the layout written before the change."""

from __future__ import annotations

import json
import time
from pathlib import Path

from ecan.db import Database
from ecan.storage.memory import MemoryBlobStore
from ecan.sync import avatar_meta
from ecan.sync.testing import write_avatar
from tests.unit.sync_machines import machine, q

ROOT = "avatars/tester/"


def thumb_meta(store: MemoryBlobStore, sha: str) -> dict[str, object] | None:
    return avatar_meta.decode(store.objects[f"{ROOT}images/{sha}_thumb.png"].metadata
                              .get(avatar_meta.FIELD))


def edit(db: Database, avatar_id: str, **cols: object) -> None:
    """What Library.update does: change the row, queue an upload (ensure_upload_job)."""
    conn = db.connect()
    sets = ", ".join(f"{c} = ?" for c in cols)
    conn.execute(f"UPDATE avatar SET {sets}, sync_state = 'queued' WHERE id = ?",
                 (*cols.values(), avatar_id))
    conn.execute("INSERT INTO outbox (kind, avatar_id, created_at, updated_at) "
                 "VALUES ('upload', ?, ?, ?)", (avatar_id, time.time(), time.time()))
    conn.commit()
    conn.close()


def test_encode_decode_roundtrip_and_garbage() -> None:
    doc = {"name": "Grün ✓ 名前", "tags": ["a", "b"], "sha256": "0" * 64}
    value = avatar_meta.encode(doc)
    assert value is not None and value.isascii() and "=" not in value
    assert avatar_meta.decode(value) == doc
    assert avatar_meta.decode(None) is None and avatar_meta.decode("") is None
    assert avatar_meta.decode("!!not base64!!") is None
    assert avatar_meta.decode("WzFd") is None  # valid JSON, but not an object
    assert avatar_meta.encode({"description": "x" * 2000}) is None


def test_metadata_travels_on_the_thumbnail(tmp_path: Path) -> None:
    store = MemoryBlobStore()
    pa, dba, ea = machine(tmp_path / "a", store)
    avatar_id = write_avatar(pa, dba.path, seed=1, name="Grün ✓",
                             video=b"\x00\x00\x00\x18ftypmp42" + b"v" * 100)
    assert ea.drain(timeout=10).remaining == 0
    row = q(dba, "SELECT * FROM avatar WHERE id = ?", avatar_id)[0]
    # The avatar's own objects (the change journal other machines pull from sits beside them).
    assert sorted(k for k in store.objects if "/journal/" not in k) == sorted([
        f"{ROOT}images/{row['sha256']}_original.jpg", f"{ROOT}images/{row['sha256']}_thumb.png",
        f"{ROOT}videos/{row['video_sha256']}_video.mp4"])
    meta = thumb_meta(store, row["sha256"])
    assert meta is not None
    assert (meta["name"], meta["tags"], meta["description"], meta["ext"]) == (
        "Grün ✓", ["test", "s1"], "seed 1", "jpg")
    assert meta["video"] == {"sha256": row["video_sha256"], "ext": "mp4",
                             "mime_type": "video/mp4", "bytes": row["video_bytes"],
                             "duration": row["video_duration"]}
    ea.close()


def test_rename_puts_the_thumbnail_again_with_the_new_metadata(tmp_path: Path) -> None:
    store = MemoryBlobStore()
    pa, dba, ea = machine(tmp_path / "a", store)
    avatar_id = write_avatar(pa, dba.path, seed=1, name="before")
    ea.drain(timeout=10)
    sha = q(dba, "SELECT sha256 FROM avatar WHERE id = ?", avatar_id)[0][0]
    # A stale JSON from the layout before this one must not win over the thumbnail's copy.
    store.put_bytes(f"{ROOT}meta/avatars/{sha}.json",
                    json.dumps(thumb_meta(store, sha)).encode(), content_type="application/json")
    edit(dba, avatar_id, name="after", tags=json.dumps(["renamed"]))
    result = ea.drain(timeout=10)
    assert (result.synced, result.failed, result.remaining) == (1, 0, 0)
    meta = thumb_meta(store, sha)
    assert meta is not None and (meta["name"], meta["tags"]) == ("after", ["renamed"])
    assert store.puts[f"{ROOT}images/{sha}_original.jpg"] == 1  # unchanged bytes: skipped
    assert store.puts[f"{ROOT}images/{sha}_thumb.png"] == 2
    # Nothing changed since: the next run puts nothing.
    edit(dba, avatar_id, updated_at=time.time())
    ea.drain(timeout=10)
    assert store.puts[f"{ROOT}images/{sha}_thumb.png"] == 2

    pb, dbb, eb = machine(tmp_path / "b", store)
    assert eb.restore()["restored"] == 1
    b_row = q(dbb, "SELECT name, tags FROM avatar")[0]
    assert (b_row["name"], json.loads(b_row["tags"])) == ("after", ["renamed"])
    ea.close()
    eb.close()


def test_too_large_metadata_falls_back_to_the_json_object(tmp_path: Path) -> None:
    store = MemoryBlobStore()
    pa, dba, ea = machine(tmp_path / "a", store)
    avatar_id = write_avatar(pa, dba.path, seed=1)
    long_text = "Ä long description. " * 80  # ~1.7 KB of text, well over 1.8 KB encoded
    edit(dba, avatar_id, description=long_text)
    assert ea.drain(timeout=10).remaining == 0
    sha = q(dba, "SELECT sha256 FROM avatar WHERE id = ?", avatar_id)[0][0]
    assert thumb_meta(store, sha) is None
    doc = json.loads(store.objects[f"{ROOT}meta/avatars/{sha}.json"].data)
    assert doc["description"] == long_text

    pb, dbb, eb = machine(tmp_path / "b", store)
    assert eb.restore()["restored"] == 1
    assert q(dbb, "SELECT description FROM avatar")[0][0] == long_text[:1000]

    # Shortened again: the thumbnail carries it (and wins over the JSON left behind).
    edit(dba, avatar_id, description="short")
    ea.drain(timeout=10)
    meta = thumb_meta(store, sha)
    assert meta is not None and meta["description"] == "short"
    pc, dbc, ec = machine(tmp_path / "c", store)
    assert ec.restore()["restored"] == 1
    assert q(dbc, "SELECT description FROM avatar")[0][0] == "short"
    for e in (ea, eb, ec):
        e.close()


def test_restore_reads_both_layouts_in_one_library(tmp_path: Path) -> None:
    store = MemoryBlobStore()
    pa, dba, ea = machine(tmp_path / "a", store)
    new = write_avatar(pa, dba.path, seed=1, name="new layout")
    old = write_avatar(pa, dba.path, seed=2, name="old layout")
    ea.drain(timeout=10)
    old_sha = q(dba, "SELECT sha256 FROM avatar WHERE id = ?", old)[0][0]
    # Rewrite one avatar as the previous version left it: a plain thumbnail + meta JSON.
    doc = thumb_meta(store, old_sha)
    store.objects[f"{ROOT}images/{old_sha}_thumb.png"].metadata.clear()
    store.put_bytes(f"{ROOT}meta/avatars/{old_sha}.json", json.dumps(doc).encode(),
                    content_type="application/json")
    # And an upload cut short before its thumbnail (no metadata anywhere): not an avatar yet.
    store.put_bytes(f"{ROOT}images/{'f' * 64}_original.jpg", b"partial",
                    content_type="image/jpeg")

    pb, dbb, eb = machine(tmp_path / "b", store)
    result = eb.restore()
    assert (result["restored"], result["skipped"], result["failed"]) == (2, 0, 0), result
    names = {r["sha256"]: r["name"] for r in q(dbb, "SELECT sha256, name FROM avatar")}
    new_sha = q(dba, "SELECT sha256 FROM avatar WHERE id = ?", new)[0][0]
    assert names == {new_sha: "new layout", old_sha: "old layout"}
    for r in q(dbb, "SELECT thumb_path FROM avatar"):
        assert (pb.home / r["thumb_path"]).exists()
    assert list(pb.tmp.iterdir()) == []
    ea.close()
    eb.close()


def test_a_thumbnail_without_metadata_or_json_is_not_restored(tmp_path: Path) -> None:
    store = MemoryBlobStore()
    pa, dba, ea = machine(tmp_path / "a", store)
    write_avatar(pa, dba.path, seed=1)
    ea.drain(timeout=10)
    thumb = next(k for k in store.objects if k.endswith("_thumb.png"))
    store.objects[thumb].metadata.clear()  # an old-layout upload cut before its JSON
    pb, dbb, eb = machine(tmp_path / "b", store)
    result = eb.restore()
    assert (result["restored"], result["skipped"], result["failed"]) == (0, 0, 0)
    assert q(dbb, "SELECT COUNT(*) FROM avatar")[0][0] == 0
    assert list(pb.thumbnails.iterdir()) == [] and list(pb.tmp.iterdir()) == []
    ea.close()
    eb.close()
