"""Restore: rebuild this machine's library from the signed-in identity's cloud prefix (originals,
thumbnails, videos, and the agent bindings). An avatar's metadata travels on its thumbnail
(ecan.sync.avatar_meta); libraries synced before that, and documents too large for it, have it
in meta/avatars/{sha}.json, which is read when the thumbnail carries none.

Conflict rule (local wins, nothing is overwritten, nothing is lost):
- An avatar whose SHA-256 is already in the local library is skipped: the local row (its name,
  tags, sync state) stays as it is.
- An agent whose name already exists locally is skipped: the local agent and its avatar stay.
- An agent in the cloud whose avatar is not in the cloud (deleted on another machine while no
  agent used it there) is restored without an avatar, with a warning, rather than dropped.
- Deleting an avatar that a local agent uses is refused by the library at enqueue time, so a
  delete never reaches the cloud for an avatar this machine's agents still show.
Every file is downloaded to a temp file, checked against its SHA-256, then renamed into place;
the row is inserted only after its files are in place (a failure leaves no row)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecan.errors import UserFacingError
from ecan.storage.base import ObjectInfo
from ecan.sync import avatar_meta
from ecan.sync.events import Progress, SyncEvent

if TYPE_CHECKING:
    from ecan.db import Database
    from ecan.paths import AppPaths
    from ecan.sync.engine import Cloud

log = logging.getLogger("ecan.sync")

_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_EXT_RE = re.compile(r"^[a-z0-9]{1,5}$")
_RESOURCE_TYPES = {"uploaded", "generated"}


@dataclass
class RestoreResult:
    restored: int = 0
    skipped: int = 0
    failed: int = 0
    agents_restored: int = 0
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"restored": self.restored, "skipped": self.skipped, "failed": self.failed,
                "agents_restored": self.agents_restored, "warnings": self.warnings}


class _Bad(Exception):
    """The cloud copy is unusable (bad metadata, checksum mismatch)."""


def _sha_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


class Restorer:
    def __init__(self, db: Database, paths: AppPaths, cloud: Cloud, concurrency: int = 8) -> None:
        self.db = db
        self.paths = paths
        self.cloud = cloud
        self.concurrency = concurrency
        self._lock = threading.Lock()

    def run(self, *, on_event: Callable[[SyncEvent], None] | None = None) -> RestoreResult:
        result = RestoreResult()
        store, layout = self.cloud.store, self.cloud.layout
        self.paths.ensure()
        meta_prefix = f"{layout.root}meta/avatars/"
        images_prefix = f"{layout.root}images/"
        found: set[str] = set()
        for o in store.list(meta_prefix):
            if not o.key.endswith(".json"):
                continue
            sha = o.key[len(meta_prefix):-len(".json")]
            if not _SHA_RE.match(sha):
                result.warnings.append(f"ignored an unexpected object {o.key}")
                continue
            found.add(sha)
        for o in store.list(images_prefix):
            name = o.key[len(images_prefix):]
            if name.endswith("_thumb.png") and _SHA_RE.match(name[:-len("_thumb.png")]):
                found.add(name[:-len("_thumb.png")])
        local = self._local_shas()
        todo = []
        for sha in sorted(found):
            if sha in local:
                result.skipped += 1
            else:
                todo.append(sha)
        done = [0]

        def one(sha: str) -> None:
            try:
                outcome = self._restore_one(sha)
            except Exception as e:
                detail = e.message if isinstance(e, UserFacingError) else f"{type(e).__name__}: {e}"
                log.warning("restore of %s failed: %s", sha[:12], detail)
                with self._lock:
                    result.failed += 1
                    result.warnings.append(f"{sha[:12]}: {detail}")
            else:
                with self._lock:
                    if outcome is True:
                        result.restored += 1
                    elif outcome is False:
                        result.skipped += 1
                    # None: not a whole avatar in the cloud (an upload still under way)
            with self._lock:
                done[0] += 1
                n = done[0]
            if on_event:
                on_event(Progress(0, 0, n, len(todo), None, 0.0))

        with ThreadPoolExecutor(max_workers=max(1, self.concurrency)) as pool:
            list(pool.map(one, todo))
        self._restore_agents(result)
        log.info("restore: %d restored, %d skipped, %d failed, %d agents", result.restored,
                 result.skipped, result.failed, result.agents_restored)
        return result

    # -- avatars ---------------------------------------------------------------------------
    def _local_shas(self) -> set[str]:
        conn = self.db.connect()
        try:
            return {r[0] for r in conn.execute("SELECT sha256 FROM avatar")}
        finally:
            conn.close()

    def _download(self, key: str, dest: Path, sha: str | None) -> ObjectInfo:
        """Temp file (same filesystem), verify, rename: a failure leaves nothing behind."""
        tmp = self.paths.tmp / f"restore-{uuid.uuid4().hex}"
        try:
            info = self.cloud.store.download_file(key, tmp)
            expected = sha or info.sha256
            if expected and _sha_file(tmp) != expected:
                raise _Bad(f"{key} does not match its checksum")
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
        return info

    def _restore_one(self, sha: str) -> bool | None:
        """True: restored; False: already here (local wins); None: no complete avatar."""
        store, layout = self.cloud.store, self.cloud.layout
        thumb = self.paths.thumbnails / f"{sha}_256.png"
        thumb_key = layout.thumbnail(sha)
        # The thumbnail first, into a temp name: its metadata says what the avatar is.
        staged = self.paths.tmp / f"restore-thumb-{uuid.uuid4().hex}.png"
        try:
            try:
                info: ObjectInfo | None = self._download(thumb_key, staged, None)
            except KeyError:
                info = None  # a thumbnail lost in the cloud: made from the original below
            meta = avatar_meta.decode(info.metadata.get(avatar_meta.FIELD)) if info else None
            meta_key = layout.metadata(sha)
            if meta is None:  # the layout before metadata moved onto the thumbnail
                try:
                    meta = json.loads(store.get_bytes(meta_key))
                except KeyError:
                    return None
                except ValueError:
                    raise _Bad(f"{meta_key} is not valid JSON") from None
            else:
                meta_key = thumb_key
            return self._restore_described(sha, meta, meta_key, staged if info else None, thumb)
        finally:
            staged.unlink(missing_ok=True)

    def _restore_described(self, sha: str, meta: Any, meta_key: str, staged: Path | None,
                           thumb: Path) -> bool:
        layout = self.cloud.layout
        if not isinstance(meta, dict) or meta.get("sha256") != sha:
            raise _Bad(f"{meta_key} does not describe {sha[:12]}")
        ext = str(meta.get("ext", ""))
        if not _EXT_RE.match(ext):
            raise _Bad(f"{meta_key} has a bad extension")
        rtype = str(meta["resource_type"]) if meta.get("resource_type") in _RESOURCE_TYPES \
            else "uploaded"
        folder = self.paths.generated if rtype == "generated" else self.paths.uploaded
        image = folder / f"{sha}.{ext}"
        small = self.paths.thumbnails / f"{sha}_64.png"
        image_key, thumb_key = layout.original(sha, ext), layout.thumbnail(sha)
        self._download(image_key, image, sha)
        if staged is not None:
            os.replace(staged, thumb)
        else:
            self._make_thumb(image, thumb, 256)  # a thumbnail lost in the cloud: make it here
        self._make_thumb(thumb, small, 64)
        video = meta.get("video") if isinstance(meta.get("video"), dict) else None
        video_cols: dict[str, Any] = {}
        video_key = None
        if video and _SHA_RE.match(str(video.get("sha256", ""))) \
                and _EXT_RE.match(str(video.get("ext", ""))):
            vpath = self.paths.videos / f"{video['sha256']}.{video['ext']}"
            video_key = layout.video(video["sha256"], video["ext"])
            self._download(video_key, vpath, video["sha256"])
            video_cols = {"video_path": self._rel(vpath), "video_sha256": video["sha256"],
                          "video_ext": video["ext"],
                          "video_mime_type": str(video.get("mime_type") or "video/mp4"),
                          "video_bytes": vpath.stat().st_size,
                          "video_duration": _seconds(video.get("duration"))}
        return self._insert(meta, sha, ext, rtype, image, thumb, small, image_key, thumb_key,
                            video_key, video_cols)

    def _make_thumb(self, source: Path, dest: Path, size: int) -> None:
        from PIL import Image

        tmp = self.paths.tmp / f"thumb-{uuid.uuid4().hex}.png"
        try:
            with Image.open(source) as src:
                src.draft("RGB", (size, size))
                im = src.convert("RGBA") if src.mode not in ("RGB", "RGBA") else src.copy()
            im.thumbnail((size, size), Image.Resampling.LANCZOS)
            im.save(tmp, "PNG")
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)

    def _rel(self, path: Path) -> str:
        return str(path.relative_to(self.paths.home))

    def _insert(self, meta: dict[str, Any], sha: str, ext: str, rtype: str, image: Path,
                thumb: Path, small: Path, image_key: str, thumb_key: str, video_key: str | None,
                video_cols: dict[str, Any]) -> bool:
        from sqlalchemy.exc import IntegrityError

        from ecan.db.models import Avatar

        def text(name: str, default: str = "") -> str:
            value = meta.get(name)
            return str(value)[:1000] if isinstance(value, (str, int, float)) else default

        def number(name: str) -> int:
            value = meta.get(name)
            return int(value) if isinstance(value, (int, float)) and value >= 0 else 0

        raw_tags = meta.get("tags")
        tags: list[Any] = raw_tags if isinstance(raw_tags, list) else []
        params = meta.get("generation_params")
        now = time.time()
        store = self.cloud.store
        created = meta.get("created_at")
        avatar = Avatar(
            name=text("name", sha[:12]) or sha[:12], resource_type=rtype, sha256=sha,
            format=text("format", ext.upper()), ext=ext,
            mime_type=text("mime_type", "application/octet-stream"),
            width=number("width"), height=number("height"), bytes=image.stat().st_size,
            original_filename=text("original_filename"), description=text("description"),
            tags=json.dumps([str(t) for t in tags][:100]),
            image_path=self._rel(image), thumb_path=self._rel(thumb),
            thumb_small_path=self._rel(small), animated=bool(meta.get("animated")),
            sync_state="synced", cloud_image_key=image_key, cloud_thumb_key=thumb_key,
            cloud_video_key=video_key, cloud_image_url=store.public_url(image_key),
            cloud_thumb_url=store.public_url(thumb_key), cloud_synced_at=now,
            generation_params=json.dumps(params) if params is not None else None,
            created_at=float(created) if isinstance(created, (int, float)) else now,
            updated_at=now, **video_cols)
        try:
            with self.db.session() as s:
                s.add(avatar)
        except IntegrityError:
            return False  # imported here meanwhile: local wins
        return True

    # -- agents ----------------------------------------------------------------------------
    def _restore_agents(self, result: RestoreResult) -> None:
        from sqlmodel import select

        from ecan.db.models import Agent, Avatar

        try:
            doc = json.loads(self.cloud.store.get_bytes(self.cloud.layout.agents))
        except KeyError:
            return  # no agents saved from any machine yet
        except ValueError:
            result.warnings.append("the agents document in the cloud is not valid JSON")
            return
        agents = doc.get("agents") if isinstance(doc, dict) else None
        if not isinstance(agents, list):
            return
        with self.db.session() as s:
            names = set(s.exec(select(Agent.name)).all())
            for entry in agents:
                if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                    continue
                name = entry["name"][:200]
                if name in names:
                    continue  # local wins
                avatar_id = None
                sha = entry.get("avatar_sha256")
                if isinstance(sha, str) and sha:
                    avatar_id = s.exec(select(Avatar.id).where(Avatar.sha256 == sha)).first()
                    if avatar_id is None:
                        result.warnings.append(
                            f"agent {name!r}: its avatar is no longer in the cloud; restored "
                            "without an avatar")
                description = entry.get("description")
                s.add(Agent(name=name, avatar_id=avatar_id,
                            description=description if isinstance(description, str) else ""))
                names.add(name)
                result.agents_restored += 1


def _seconds(value: Any) -> float | None:
    """A duration from another machine's metadata, if it is a sane number of seconds."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 <= value < 10 * 24 * 3600 else None
