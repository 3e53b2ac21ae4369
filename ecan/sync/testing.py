"""Helpers for the sync engine's tests and benchmark: a CloudAccess twin around any BlobStore, and
avatar rows + files written straight into a library (as the avatar library would write them)."""

from __future__ import annotations

import hashlib
import io
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecan.avatars import imaging
from ecan.db import sync_state
from ecan.db.database import connect
from ecan.errors import AuthRequired, UserFacingError
from ecan.paths import AppPaths
from ecan.storage.base import BlobStore
from ecan.storage.keys import KeyLayout


@dataclass(frozen=True)
class TwinCloud:
    store: BlobStore
    layout: KeyLayout
    mode: str = "static"
    detail: str = "test twin"
    target: str = ""


class CloudTwin:
    """CloudAccess's shape: `configured()`, `open()`. `signed_out = True` makes open() raise
    AuthRequired (an expired session); `store = None` means no cloud configured."""

    def __init__(self, store: BlobStore | None, identity: str = "tester",
                 prefix: str = "avatars/") -> None:
        self.store = store
        self.layout = KeyLayout(prefix, identity)
        self.signed_out = False
        self.opens = 0

    def configured(self) -> bool:
        return self.store is not None

    def open(self) -> TwinCloud:
        self.opens += 1
        if self.store is None:
            raise UserFacingError("no_cloud", "No cloud storage is configured.", "Configure one.")
        if self.signed_out:
            raise AuthRequired("Your session expired — sign in again.")
        return TwinCloud(self.store, self.layout,
                         target=f"twin:{id(self.store)}|{self.layout.root}")

    def invalidate(self) -> None:
        pass


def _picture(seed: int) -> bytes:
    """A small JPEG of its own (noise, so no two calls give the same checksum)."""
    from PIL import Image

    im = Image.effect_noise((48, 48), 40 + seed % 50).convert("RGB")
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def _thumbnails(data: bytes, ext: str, seed: int) -> tuple[bytes, bytes]:
    """The 256/64 px thumbnails the intake makes of a picture; for the bytes the engine's tests
    use as originals (any will do to sync), plain squares."""
    from PIL import Image

    fmt = imaging.sniff_format(data[:16])
    if fmt is not None:
        try:
            thumb, small, _ = imaging.make_thumbnails(data, fmt)
            return thumb, small
        except Exception:  # noqa: BLE001 - not a whole picture: squares will do
            pass
    out = []
    for size in (32, 16):
        im = Image.new("RGB", (size, size),
                       ((seed * 37) % 256, (seed * 91) % 256, (seed * 13) % 256))
        buf = io.BytesIO()
        im.save(buf, "PNG")
        out.append(buf.getvalue())
    return out[0], out[1]


def write_avatar(paths: AppPaths, db_path: Path, *, seed: int, original: bytes | None = None,
                 ext: str = "jpg", mime: str = "image/jpeg", name: str | None = None,
                 enqueue: bool = True, video: bytes | None = None) -> str:
    """Store an original + 256/64 px thumbnails and insert the avatar row with its upload job
    (without `enqueue`: the row arrives synced, with none) through the sync rules
    (ecan.db.sync_state), skipping the intake's checks: the engine's tests sync any bytes. The
    default original is a real picture, so a restore takes it. Returns the avatar id."""
    data = original if original is not None else _picture(seed)
    sha = hashlib.sha256(data).hexdigest()
    paths.ensure()
    image = paths.uploaded / f"{sha}.{ext}"
    image.write_bytes(data)
    thumb_png, small_png = _thumbnails(data, ext, seed)
    thumb = paths.thumbnails / f"{sha}_256.png"
    thumb.write_bytes(thumb_png)
    small = paths.thumbnails / f"{sha}_64.png"
    small.write_bytes(small_png)
    avatar_id = uuid.uuid4().hex
    now = time.time()
    row: dict[str, Any] = {
        "id": avatar_id, "name": name or f"avatar {seed}", "resource_type": "uploaded",
        "sha256": sha, "format": "JPEG" if ext == "jpg" else ext.upper(), "ext": ext,
        "mime_type": mime, "width": 64, "height": 64, "bytes": len(data),
        "original_filename": f"photo{seed}.{ext}", "description": f"seed {seed}",
        "tags": json.dumps(["test", f"s{seed}"]),
        "image_path": image.relative_to(paths.home).as_posix(),
        "thumb_path": thumb.relative_to(paths.home).as_posix(),
        "thumb_small_path": small.relative_to(paths.home).as_posix(),
        "sync_state": "queued" if enqueue else "synced", "created_at": now, "updated_at": now,
    }
    if video is not None:
        vsha = hashlib.sha256(video).hexdigest()
        vpath = paths.videos / f"{vsha}.mp4"
        vpath.write_bytes(video)
        row.update(video_path=vpath.relative_to(paths.home).as_posix(), video_sha256=vsha,
                   video_ext="mp4", video_mime_type="video/mp4", video_bytes=len(video))
    conn = connect(db_path)
    try:
        conn.execute("BEGIN IMMEDIATE")
        sync_state.insert_avatar(conn, row, now=now)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return avatar_id


def delete_avatar(paths: AppPaths, db_path: Path, avatar_id: str) -> None:
    """What the library's delete does: READY uploads dropped, a delete job queued, row gone."""
    conn = connect(db_path)
    try:
        conn.execute("BEGIN IMMEDIATE")
        sync_state.queue_delete(conn, avatar_id)
        conn.execute("DELETE FROM avatar WHERE id = ?", (avatar_id,))
        conn.execute("COMMIT")
    finally:
        conn.close()
