"""Nothing pulled is trusted (issue 20): objects another "machine" put in the cloud that are
hostile or broken are refused with a message and never decoded or read unbounded; and a local
original that went missing or was damaged is fetched again on the next sync."""

from __future__ import annotations

import hashlib
import json
import struct
import time
import uuid
import zlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from ecan.storage.errors import ObjectTooLarge
from ecan.storage.memory import MemoryBlobStore
from ecan.sync import agentdocs, journal
from ecan.sync.engine import SyncEngine
from ecan.sync.testing import write_avatar
from tests.unit.sync_machines import machine, q

STRANGER = "bad0bad0bad0"  # a machine id no library here has


def put_entry(engine: SyncEngine, raw: bytes) -> str:
    cloud = engine.cloud.open()
    key = (f"{journal.folder(cloud)}{time.time_ns():020d}-{STRANGER}-"
           f"{uuid.uuid4().hex[:8]}.json")
    cloud.store.put_bytes(key, raw, content_type="application/json")
    return key


def put_avatar(engine: SyncEngine, original: bytes, ext: str = "png") -> str:
    """What a hostile machine writes for an avatar: original, a thumbnail, a journal entry."""
    cloud = engine.cloud.open()
    sha = hashlib.sha256(original).hexdigest()
    cloud.store.put_bytes(cloud.layout.original(sha, ext), original, content_type="image/png")
    cloud.store.put_bytes(cloud.layout.thumbnail(sha), b"\x89PNG\r\n\x1a\n",
                          content_type="image/png")
    put_entry(engine, json.dumps({"v": 1, "op": "avatar.put", "at": time.time(),
                                  "machine": STRANGER,
                                  "avatar": {"sha256": sha, "ext": ext, "name": "x"}}).encode())
    return sha


def png_claiming(width: int, height: int) -> bytes:
    """A few hundred bytes whose IHDR says width x height (a decompression bomb's header)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 4096)) + chunk(b"IEND", b""))


@pytest.fixture
def b(tmp_path: Path) -> Any:
    store = MemoryBlobStore()
    paths, db, engine = machine(tmp_path / "b", store)
    yield paths, db, engine, store
    engine.close()


def test_a_13000_px_square_png_is_refused_by_its_header(b: Any) -> None:
    paths, db, engine, _ = b
    bomb = png_claiming(13_000, 13_000)
    assert len(bomb) < 1000
    put_avatar(engine, bomb)
    result = engine.pull_now()
    assert result["pulled"] == 0 and result["failed"] == 1
    assert any("13000 x 13000" in w and "megapixels" in w for w in result["warnings"]), result
    assert q(db, "SELECT COUNT(*) FROM avatar WHERE resource_type != 'system'")[0][0] == 0
    assert list(paths.tmp.iterdir()) == []


def test_an_eps_file_named_png_is_refused(b: Any) -> None:
    paths, db, engine, _ = b
    eps = (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\n"
           b"newpath 0 0 moveto 100 100 lineto stroke showpage\n%%EOF\n")
    put_avatar(engine, eps, ext="png")
    result = engine.pull_now()
    assert result["failed"] == 1
    assert any("not a supported image" in w for w in result["warnings"]), result
    assert q(db, "SELECT COUNT(*) FROM avatar WHERE resource_type != 'system'")[0][0] == 0


def test_an_original_larger_than_any_picture_is_not_downloaded(b: Any) -> None:
    paths, db, engine, store = b
    from ecan.avatars import imaging

    put_avatar(engine, b"\x89PNG\r\n\x1a\n" + b"\x00" * (imaging.MAX_BYTES + 10))
    result = engine.pull_now()
    assert result["failed"] == 1
    assert any("byte limit" in w for w in result["warnings"]), result
    assert store.calls["get"] == len([k for k in store.objects if "/journal/" in k])
    assert list(paths.tmp.iterdir()) == []


def test_a_journal_entry_over_the_size_limit_is_skipped_unread(b: Any) -> None:
    _, _, engine, store = b
    put_entry(engine, b'{"v": 1, "op": "avatar.put", "pad": "' + b"x" * journal.MAX_ENTRY
              + b'"}')
    result = engine.pull_now()
    assert any(f"over the {journal.MAX_ENTRY} byte limit" in w for w in result["warnings"])
    assert store.calls["get"] == 0  # the listing's size was enough to refuse it


def test_a_journal_entry_whose_body_keeps_coming_is_cut_at_the_limit(b: Any) -> None:
    """The listing may say small while the GET streams on (a 1 GB body): the read stops."""
    _, _, engine, store = b
    key = put_entry(engine, b"{}")
    store.objects[key].data = b"[" * (4 * journal.MAX_ENTRY)  # the listing said 2 bytes...
    result = engine.pull_now()
    assert any("over the" in w and "byte limit" in w for w in result["warnings"]), result


def test_s3_reads_stop_at_the_limit_whatever_the_headers_say() -> None:
    """S3BlobStore's bounded read: a declared ContentLength over the limit reads nothing; a
    lying one reads at most limit + 1 bytes of a body that never ends."""
    from ecan.config import StorageConfig
    from ecan.storage.factory import static_session
    from ecan.storage.s3 import S3BlobStore

    class Endless:
        def __init__(self) -> None:
            self.read_bytes = 0

        def read(self, n: int = -1) -> bytes:
            assert n >= 0, "an unbounded read of a body that never ends"
            self.read_bytes += n
            return b"x" * n

        def close(self) -> None:
            pass

    store = S3BlobStore(static_session(StorageConfig(access_key="k", secret_key="s")),
                        "bucket", region="us-east-1")
    for declared in (2**30, 10):
        body = Endless()
        store._get_object = lambda key, op, b=body, n=declared: {  # type: ignore[method-assign]
            "Body": b, "ContentLength": n, "ETag": '"e"'}
        with pytest.raises(ObjectTooLarge, match="65536 byte limit"):
            store.get_bytes("p/journal/x.json", max_bytes=65536)
        assert body.read_bytes == (0 if declared > 65536 else 65537)


def test_a_malformed_entry_is_skipped_with_a_message_and_the_rest_applied(b: Any) -> None:
    _, db, engine, _ = b
    put_entry(engine, b'{"v": 1, "op": "agent.save", "at": ')
    put_entry(engine, b'["a list", "not a change"]')
    put_entry(engine, json.dumps({"v": 1, "op": "agent.save", "at": time.time(),
                                  "agent": {"name": "Good"}}).encode())
    result = engine.pull_now()
    assert sum("not valid JSON" in w for w in result["warnings"]) == 1
    assert sum("not a change ecan knows" in w for w in result["warnings"]) == 1
    assert [r[0] for r in q(db, "SELECT name FROM agent")] == ["Good"]


def test_an_agent_document_over_the_limit_is_refused_on_restore_and_on_save(
        b: Any, tmp_path: Path) -> None:
    from ecan.errors import UserFacingError

    paths, db, engine, store = b
    cloud = engine.cloud.open()
    store.put_bytes(cloud.layout.agent(agentdocs.doc_id("Huge")),
                    b'{"name": "Huge", "updated_at": 1, "description": "' + b"x" * 10**6 + b'"}',
                    content_type="application/json")
    result = engine.restore()
    assert any(f"over the {agentdocs.MAX_DOC} byte limit" in w for w in result["warnings"])
    assert q(db, "SELECT COUNT(*) FROM agent")[0][0] == 0
    with pytest.raises(UserFacingError, match="byte limit"):
        agentdocs.push(cloud, db, engine.outbox, "me", "Huge", {"description": ""}, time.time())


def test_a_thumbnail_that_is_not_a_picture_is_never_used(tmp_path: Path) -> None:
    """The gallery's thumbnails are made here from the checked original, not taken from the
    cloud: a thumbnail object replaced by other bytes changes nothing."""
    store = MemoryBlobStore()
    pa, dba, ea = machine(tmp_path / "a", store)
    pb, dbb, eb = machine(tmp_path / "b", store)
    write_avatar(pa, dba.path, seed=1)
    assert ea.drain(timeout=10).synced == 1
    thumb = next(k for k in store.objects if k.endswith("_thumb.png"))
    store.objects[thumb].data = b"<html><script>alert(1)</script></html>"
    assert eb.pull_now()["pulled"] == 1
    row = q(dbb, "SELECT thumb_path, thumb_small_path FROM avatar")[0]
    for column in ("thumb_path", "thumb_small_path"):
        with Image.open(pb.home / row[column]) as im:
            im.verify()
    ea.close()
    eb.close()


def test_a_missing_or_damaged_original_is_fetched_again_on_sync(tmp_path: Path) -> None:
    store = MemoryBlobStore()
    pa, dba, ea = machine(tmp_path / "a", store)
    pb, dbb, eb = machine(tmp_path / "b", store)
    write_avatar(pa, dba.path, seed=1)
    write_avatar(pa, dba.path, seed=2)
    assert ea.drain(timeout=10).synced == 2
    assert eb.pull_now()["pulled"] == 2
    rows = q(dbb, "SELECT sha256, image_path FROM avatar ORDER BY sha256")
    files = [pb.home / r["image_path"] for r in rows]
    good = [f.read_bytes() for f in files]
    assert eb.pull_now()["pulled"] == 0  # nothing to do: nothing fetched

    files[0].unlink()  # missing
    files[1].write_bytes(b"\xff\xd8\xff" + b"scribbled over" * 10)  # damaged (sha mismatch)
    result = eb.pull_now()
    assert result["pulled"] == 2 and result["failed"] == 0, result
    assert [f.read_bytes() for f in files] == good
    assert [hashlib.sha256(f.read_bytes()).hexdigest() for f in files] == \
        [r["sha256"] for r in rows]
    assert eb.pull_now()["pulled"] == 0
    ea.close()
    eb.close()


def test_a_damaged_original_whose_cloud_copy_is_gone_is_reported(tmp_path: Path) -> None:
    store = MemoryBlobStore()
    pa, dba, ea = machine(tmp_path / "a", store)
    pb, dbb, eb = machine(tmp_path / "b", store)
    write_avatar(pa, dba.path, seed=1)
    ea.drain(timeout=10)
    eb.pull_now()
    eb.pull_now()
    (pb.home / q(dbb, "SELECT image_path FROM avatar")[0][0]).unlink()
    for key in [k for k in store.objects if k.endswith("_original.jpg")]:
        del store.objects[key]
    result = eb.pull_now()
    assert result["failed"] == 1
    assert any("could not fetch the missing original" in w for w in result["warnings"]), result
    ea.close()
    eb.close()


def test_a_missing_original_is_fetched_again_on_the_very_first_check(tmp_path: Path) -> None:
    """A library from before repair existed, its file already gone: the first sync finds it."""
    store = MemoryBlobStore()
    pa, dba, ea = machine(tmp_path / "a", store)
    write_avatar(pa, dba.path, seed=1)
    ea.drain(timeout=10)
    path = pa.home / q(dba, "SELECT image_path FROM avatar")[0][0]
    good = path.read_bytes()
    path.unlink()
    assert ea.pull_now()["pulled"] == 1
    assert path.read_bytes() == good
    ea.close()


def test_an_entry_that_failed_for_a_passing_reason_is_applied_by_the_next_pull(
        tmp_path: Path) -> None:
    """The network fails while a pulled avatar downloads: the next pull brings it, though the
    journal's cursor has moved past its entry (a refused, hostile entry is not tried again)."""
    from ecan.storage.errors import TransientStorageError

    store = MemoryBlobStore()
    pa, dba, ea = machine(tmp_path / "a", store)
    pb, dbb, eb = machine(tmp_path / "b", store)
    write_avatar(pa, dba.path, seed=1)
    assert ea.drain(timeout=10).synced == 1
    put_avatar(eb, png_claiming(13_000, 13_000))  # refused for good
    original = next(k for k in store.objects if k.endswith("_original.jpg"))
    real_download = store.download_file

    def flaky(key: str, dest: Path, progress: Any = None) -> Any:
        if key == original:
            raise TransientStorageError("network", "The connection was reset.", "Retried.")
        return real_download(key, dest, progress)

    store.download_file = flaky  # type: ignore[method-assign]
    first = eb.pull_now()
    assert first["pulled"] == 0 and first["failed"] == 2
    store.download_file = real_download  # type: ignore[method-assign]
    second = eb.pull_now()
    assert second["pulled"] == 1 and second["failed"] == 0, second
    assert q(dbb, "SELECT COUNT(*) FROM avatar WHERE resource_type != 'system'")[0][0] == 1
    assert eb.pull_now()["pulled"] == 0
    ea.close()
    eb.close()


def test_a_renamed_agent_is_renamed_on_the_other_machine_not_doubled(tmp_path: Path) -> None:
    """Machines know agents by name: a rename is the old name's deletion and the new name's
    save, so the other machine (and a later restore) does not keep the old one too."""
    from ecan.agents.service import AgentService
    from ecan.avatars.library import AvatarLibrary

    store = MemoryBlobStore()
    pa, dba, ea = machine(tmp_path / "a", store)
    pb, dbb, eb = machine(tmp_path / "b", store)
    agents = AgentService(dba, AvatarLibrary(pa, dba))
    agent = agents.save(name="Old name", description="helps")
    ea.drain(timeout=10)
    eb.pull_now()
    assert [r[0] for r in q(dbb, "SELECT name FROM agent")] == ["Old name"]
    agents.save(name="New name", agent_id=agent.id)
    ea.drain(timeout=10)
    eb.pull_now()
    assert [r[0] for r in q(dbb, "SELECT name FROM agent")] == ["New name"]
    pc, dbc, ec = machine(tmp_path / "c", store)
    ec.restore()
    assert [r[0] for r in q(dbc, "SELECT name FROM agent")] == ["New name"]
    for e in (ea, eb, ec):
        e.close()
