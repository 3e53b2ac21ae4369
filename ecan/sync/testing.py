"""Helpers for the sync engine's tests and benchmark: a CloudAccess twin around any BlobStore, and
avatar rows + files written straight into a library (as the avatar library would write them)."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def _png(seed: int, size: int) -> bytes:
    from PIL import Image

    im = Image.new("RGB", (size, size), ((seed * 37) % 256, (seed * 91) % 256, (seed * 13) % 256))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def write_avatar(paths: AppPaths, db_path: Path, *, seed: int, original: bytes | None = None,
                 ext: str = "jpg", mime: str = "image/jpeg", name: str | None = None,
                 enqueue: bool = True, video: bytes | None = None) -> str:
    """Store an original + 256/64 px thumbnails and insert the avatar row and its upload job in
    one transaction, like the library does. Returns the avatar id."""
    data = original if original is not None else (
        f"avatar-{seed}-".encode() + uuid.uuid4().bytes * 64)
    sha = hashlib.sha256(data).hexdigest()
    paths.ensure()
    image = paths.uploaded / f"{sha}.{ext}"
    image.write_bytes(data)
    thumb = paths.thumbnails / f"{sha}_256.png"
    thumb.write_bytes(_png(seed, 32))
    small = paths.thumbnails / f"{sha}_64.png"
    small.write_bytes(_png(seed, 16))
    avatar_id = uuid.uuid4().hex
    now = time.time()
    row: dict[str, Any] = {
        "id": avatar_id, "name": name or f"avatar {seed}", "resource_type": "uploaded",
        "sha256": sha, "format": "JPEG" if ext == "jpg" else ext.upper(), "ext": ext,
        "mime_type": mime, "width": 64, "height": 64, "bytes": len(data),
        "original_filename": f"photo{seed}.{ext}", "description": f"seed {seed}",
        "tags": json.dumps(["test", f"s{seed}"]),
        "image_path": str(image.relative_to(paths.home)),
        "thumb_path": str(thumb.relative_to(paths.home)),
        "thumb_small_path": str(small.relative_to(paths.home)),
        "sync_state": "queued", "created_at": now, "updated_at": now,
    }
    if video is not None:
        vsha = hashlib.sha256(video).hexdigest()
        vpath = paths.videos / f"{vsha}.mp4"
        vpath.write_bytes(video)
        row.update(video_path=str(vpath.relative_to(paths.home)), video_sha256=vsha,
                   video_ext="mp4", video_mime_type="video/mp4", video_bytes=len(video))
    conn = sqlite3.connect(db_path, timeout=15, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        cols = ", ".join(row)
        conn.execute(f"INSERT INTO avatar ({cols}) VALUES ({', '.join('?' * len(row))})",
                     tuple(row.values()))
        if enqueue:
            conn.execute("INSERT INTO outbox (kind, avatar_id, payload, created_at, updated_at) "
                         "VALUES ('upload', ?, '{}', ?, ?)", (avatar_id, now, now))
        conn.execute("COMMIT")
    finally:
        conn.close()
    return avatar_id


def delete_avatar(paths: AppPaths, db_path: Path, avatar_id: str) -> None:
    """What the library's delete does: row gone, READY uploads dropped, a delete job queued."""
    conn = sqlite3.connect(db_path, timeout=15, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("BEGIN IMMEDIATE")
        row = conn.execute("SELECT * FROM avatar WHERE id = ?", (avatar_id,)).fetchone()
        conn.execute("DELETE FROM avatar WHERE id = ?", (avatar_id,))
        conn.execute("DELETE FROM outbox WHERE avatar_id = ? AND kind = 'upload' AND status = 0",
                     (avatar_id,))
        now = time.time()
        payload = json.dumps({"sha256": row["sha256"], "ext": row["ext"],
                              "video_sha256": row["video_sha256"], "video_ext": row["video_ext"]})
        conn.execute("INSERT INTO outbox (kind, avatar_id, payload, created_at, updated_at) "
                     "VALUES ('delete', ?, ?, ?, ?)", (avatar_id, payload, now, now))
        conn.execute("COMMIT")
    finally:
        conn.close()
