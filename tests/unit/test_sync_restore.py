"""Restore with the in-memory BlobStore twin: a second machine rebuilds the library (files,
rows, agent bindings) from what the first one synced; local wins on conflicts."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ecan.storage.memory import MemoryBlobStore
from ecan.sync import avatar_meta
from ecan.sync.testing import write_avatar
from tests.unit.sync_machines import machine, q


def test_second_machine_rebuilds_the_library(tmp_path: Path) -> None:
    from PIL import Image

    store = MemoryBlobStore()
    pa, dba, ea = machine(tmp_path / "a", store)
    src = tmp_path / "p.png"
    Image.new("RGB", (300, 200), (10, 200, 30)).save(src)
    first = write_avatar(pa, dba.path, seed=1, original=src.read_bytes(), ext="png",
                         mime="image/png", name="Grün ✓",
                         video=b"\x00\x00\x00\x18ftypmp42" + b"v" * 100)
    second = write_avatar(pa, dba.path, seed=2)
    gone = write_avatar(pa, dba.path, seed=3)
    conn = dba.connect()
    conn.execute("UPDATE avatar SET video_duration = 2.5 WHERE id = ?", (first,))
    conn.execute("INSERT INTO agent (id, name, description, avatar_id, created_at, updated_at) "
                 "VALUES ('g1', 'Helper', 'helps', ?, 1, 1), ('g2', 'Local', '', ?, 1, 1), "
                 "('g3', 'Orphan', '', ?, 1, 1)", (first, second, gone))
    conn.execute("INSERT INTO outbox (kind, payload, created_at, updated_at) "
                 "VALUES ('metadata', '{\"what\": \"agents\"}', 0, 0)")
    conn.close()
    assert ea.drain(timeout=10).remaining == 0
    gone_sha = q(dba, "SELECT sha256 FROM avatar WHERE id = ?", gone)[0][0]
    # Deleted in the cloud by another machine, while machine A's agent still names it.
    for key in [k for k in store.objects if gone_sha in k]:
        del store.objects[key]

    pb, dbb, eb = machine(tmp_path / "b", store)
    conn = dbb.connect()  # machine B already has its own agent named "Local"
    conn.execute("INSERT INTO agent (id, name, description, avatar_id, created_at, updated_at) "
                 "VALUES ('mine', 'Local', 'mine', NULL, 1, 1)")
    conn.close()
    result = eb.restore()
    assert (result["restored"], result["skipped"], result["failed"]) == (2, 0, 0)
    assert any("Orphan" in w for w in result["warnings"])
    for a_row in q(dba, "SELECT * FROM avatar WHERE id != ?", gone):
        b_row = q(dbb, "SELECT * FROM avatar WHERE sha256 = ?", a_row["sha256"])[0]
        assert b_row["name"] == a_row["name"] and b_row["tags"] == a_row["tags"]
        assert b_row["sync_state"] == "synced"
        assert b_row["cloud_image_key"] == a_row["cloud_image_key"]
        assert (pb.home / b_row["image_path"]).read_bytes() == \
            (pa.home / a_row["image_path"]).read_bytes()
        assert (pb.home / b_row["thumb_path"]).read_bytes() == \
            (pa.home / a_row["thumb_path"]).read_bytes()
        with Image.open(pb.home / b_row["thumb_small_path"]) as im:
            assert max(im.size) <= 64
    video_row = q(dbb, "SELECT video_path, video_sha256, video_duration FROM avatar "
                       "WHERE video_path IS NOT NULL")
    assert len(video_row) == 1 and (pb.home / video_row[0][0]).exists()
    assert video_row[0][2] == 2.5  # the card on machine B shows the length too
    agents = {r["name"]: r for r in q(dbb, "SELECT * FROM agent")}
    assert agents["Local"]["description"] == "mine"  # local wins
    helper_sha = q(dbb, "SELECT sha256 FROM avatar WHERE id = ?", agents["Helper"]["avatar_id"])
    assert helper_sha[0][0] == q(dba, "SELECT sha256 FROM avatar WHERE id = ?", first)[0][0]
    assert agents["Orphan"]["avatar_id"] is None
    assert list(pb.tmp.iterdir()) == []
    again = eb.restore()
    assert (again["restored"], again["skipped"], again["failed"]) == (0, 2, 0)
    ea.close()
    eb.close()


def test_a_corrupted_cloud_copy_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    store = MemoryBlobStore()
    pa, dba, ea = machine(tmp_path / "a", store)
    write_avatar(pa, dba.path, seed=1)
    ea.drain(timeout=10)
    key = next(k for k in store.objects if k.endswith("_original.jpg"))
    store.objects[key].data = b"tampered"
    pb, dbb, eb = machine(tmp_path / "b", store)
    result = eb.restore()
    assert (result["restored"], result["failed"]) == (0, 1)
    assert q(dbb, "SELECT COUNT(*) FROM avatar")[0][0] == 0
    assert list(pb.uploaded.iterdir()) == [] and list(pb.tmp.iterdir()) == []
    assert json.dumps(result)
    ea.close()
    eb.close()


def _sideways_jpeg() -> bytes:
    """A 120 x 60 JPEG whose EXIF says "turn me 90 degrees": upright it is 60 x 120."""
    import io

    from PIL import Image

    im = Image.effect_noise((120, 60), 50).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    im.save(buf, "JPEG", exif=exif.tobytes())
    return buf.getvalue()


def test_restore_makes_thumbnails_upright_as_an_import_does(tmp_path: Path) -> None:
    """The cloud lost a thumbnail (or an old library stored its metadata beside it): the
    restored avatar's thumbnails are made as the import made them, EXIF orientation and all."""
    from PIL import Image

    from ecan.avatars.library import AvatarLibrary

    store = MemoryBlobStore()
    pa, dba, ea = machine(tmp_path / "a", store)
    imported = AvatarLibrary(pa, dba).import_bytes(_sideways_jpeg(), "portrait.jpg").avatar
    assert (imported.width, imported.height) == (60, 120)
    assert ea.drain(timeout=10).synced == 1
    sha = imported.sha256
    thumb_key = next(k for k in store.objects if k.endswith(f"{sha}_thumb.png"))
    meta = avatar_meta.decode(store.objects[thumb_key].metadata[avatar_meta.FIELD])
    del store.objects[thumb_key]
    store.put_bytes(thumb_key.replace(f"images/{sha}_thumb.png", f"meta/avatars/{sha}.json"),
                    json.dumps(meta).encode(), content_type="application/json")

    pb, dbb, eb = machine(tmp_path / "b", store)
    result = eb.restore()
    assert (result["restored"], result["failed"]) == (1, 0), result
    row = q(dbb, "SELECT * FROM avatar")[0]
    assert (row["width"], row["height"], row["name"]) == (60, 120, "portrait")
    for column in ("thumb_path", "thumb_small_path"):
        with Image.open(pb.home / row[column]) as restored, \
                Image.open(pa.home / getattr(imported, column)) as original:
            assert restored.size == original.size and restored.height > restored.width, column
    ea.close()
    eb.close()


def test_restore_checks_the_picture_as_an_import_does(tmp_path: Path) -> None:
    """What the cloud holds under an avatar's name is checked like a dropped file: bytes that
    are no picture are refused (with the reason), not stored as an avatar."""
    store = MemoryBlobStore()
    pa, dba, ea = machine(tmp_path / "a", store)
    write_avatar(pa, dba.path, seed=1, original=b"MZ\x90\x00 not a picture" * 50)
    write_avatar(pa, dba.path, seed=2)
    assert ea.drain(timeout=10).synced == 2

    pb, dbb, eb = machine(tmp_path / "b", store)
    result = eb.restore()
    assert (result["restored"], result["failed"]) == (1, 1), result
    assert any("not a supported image" in w for w in result["warnings"]), result["warnings"]
    assert q(dbb, "SELECT COUNT(*) FROM avatar")[0][0] == 1
    assert list(pb.tmp.iterdir()) == []
    ea.close()
    eb.close()


def test_restore_asks_the_cloud_once_per_avatar_for_what_it_is(tmp_path: Path) -> None:
    """The listing gives every original's size: restore heads only the thumbnail (which carries
    the metadata) and downloads the original, without a HEAD of the original first; an
    original over the intake's byte limit is still refused before any byte of it comes."""
    from ecan.avatars import imaging

    store = MemoryBlobStore()
    pa, dba, ea = machine(tmp_path / "a", store)
    for seed in range(3):
        write_avatar(pa, dba.path, seed=seed)
    assert ea.drain(timeout=10).remaining == 0
    # One more whose original is larger than any picture the intake takes.
    big = b"\x89PNG\r\n\x1a\n" + b"\x00" * (imaging.MAX_BYTES + 10)
    sha = hashlib.sha256(big).hexdigest()
    layout = ea.cloud.open().layout
    store.put_bytes(layout.original(sha, "png"), big, content_type="image/png")
    store.put_bytes(layout.thumbnail(sha), b"\x89PNG\r\n\x1a\n", content_type="image/png",
                    metadata={avatar_meta.FIELD: str(avatar_meta.encode(
                        {"sha256": sha, "ext": "png", "name": "big"}))})
    heads: list[str] = []
    downloads: list[str] = []
    real_head, real_download = store.head, store.download_file

    def head(key: str) -> object:
        heads.append(key)
        return real_head(key)

    def download_file(key: str, path: Path, **kw: object) -> object:
        downloads.append(key)
        return real_download(key, path, **kw)  # type: ignore[arg-type]

    store.head = head  # type: ignore[method-assign]
    store.download_file = download_file  # type: ignore[method-assign]
    pb, dbb, eb = machine(tmp_path / "b", store)
    result = eb.restore()
    assert (result["restored"], result["failed"]) == (3, 1)
    assert any("byte limit" in w for w in result["warnings"]), result
    assert sorted(heads) == sorted(k for k in store.objects if k.endswith("_thumb.png"))
    # The three originals; never the one over the limit.
    assert sorted(downloads) == sorted(k for k in store.objects
                                       if "_original." in k and sha not in k)
    assert list(pb.tmp.iterdir()) == []
    ea.close()
    eb.close()
