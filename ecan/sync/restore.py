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
Every file is downloaded to a temp file and checked against its SHA-256; then the library's
intake (ecan.avatars.library) checks the picture, makes its thumbnails and stores it with its
row, as an import does (a failure leaves no row and no file)."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecan.avatars import imaging
from ecan.avatars.library import AvatarLibrary, StagedVideo, ensure_room
from ecan.avatars.video import MAX_VIDEO_BYTES
from ecan.errors import UserFacingError
from ecan.paths import make_private_dirs
from ecan.storage.errors import ObjectTooLarge
from ecan.sync import agentdocs, avatar_meta
from ecan.sync.events import Progress, SyncEvent

if TYPE_CHECKING:
    from ecan.db import Database
    from ecan.paths import AppPaths
    from ecan.sync.engine import Cloud

log = logging.getLogger("ecan.sync")

_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_EXT_RE = re.compile(r"^[a-z0-9]{1,5}$")
_RESOURCE_TYPES = {"uploaded", "generated"}
# Room left besides a download and its copy (thumbnails, the database's growth), so a pull never
# fills the disk to the last byte.
ROOM_MARGIN = 16 * 1024 * 1024
MAX_AGENTS_LIST = 8 * 1024 * 1024  # the old whole list: 1,000s of agents, never a gigabyte


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
        self.library = AvatarLibrary(paths, db)  # the intake: restore stores as import does
        self._lock = threading.Lock()
        # key -> size of the objects run() listed: their size needs no HEAD before a download
        self._listed: dict[str, int] = {}

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
        self._listed = {}  # this run's listing, not an earlier one's
        for o in store.list(images_prefix):
            self._listed[o.key] = o.size
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

    def fetch_original(self, sha: str, ext: str) -> Path:
        """The cloud's original of `sha` in a temp file, checked (ecan.sync.repair)."""
        return self._fetch(self.cloud.layout.original(sha, ext), sha, imaging.MAX_BYTES)

    def _fetch(self, key: str, sha: str, limit: int, *, moved: bool = False) -> Path:
        """The object in a private temp file (same filesystem), checked against `sha`; the
        caller removes it. A failure leaves nothing behind. The download stops as soon as it
        passes `limit` bytes (the intake's limit: a larger object cannot be a picture ecan
        stored), whatever the listing or the object's headers said; it does not start on a
        disk without room for it (`moved`: the intake moves the file into place, no copy)."""
        make_private_dirs(self.paths.tmp)
        tmp = self.paths.tmp / f"restore-{uuid.uuid4().hex}"
        got = [0]

        def count(n: int) -> None:
            got[0] += n
            if got[0] > limit:
                raise ObjectTooLarge(key, limit)

        try:
            # Refused before any byte comes: from the listing's size, or a HEAD's where the
            # object was not listed (a pull, a repair).
            size = self._listed.get(key)
            if size is None:
                info = self.cloud.store.head(key)
                size = None if info is None else info.size
            if size is not None and size > limit:
                raise ObjectTooLarge(key, limit)
            if size is not None:  # the download (and the library's copy of it, unless moved)
                ensure_room(self.paths.tmp, size * (1 if moved else 2) + ROOM_MARGIN,
                            key.rsplit("/", 1)[-1].replace(sha, sha[:12]))
            self.cloud.store.download_file(key, tmp, progress=count)
            if _sha_file(tmp) != sha:
                raise _Bad(f"{key} does not match its checksum")
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp

    def _restore_one(self, sha: str) -> bool | None:
        """True: restored; False: already here (local wins); None: no complete avatar."""
        store, layout = self.cloud.store, self.cloud.layout
        meta_key = layout.thumbnail(sha)
        # The thumbnail goes up last and carries the avatar's metadata: a head says both that
        # the avatar is whole in the cloud and what it is.
        info = store.head(meta_key)
        meta = avatar_meta.decode(info.metadata.get(avatar_meta.FIELD)) if info else None
        if meta is None:  # the layout before metadata moved onto the thumbnail
            meta_key = layout.metadata(sha)
            try:
                meta = json.loads(store.get_bytes(meta_key))
            except KeyError:
                return None
            except ValueError:
                raise _Bad(f"{meta_key} is not valid JSON") from None
        return self._restore_described(sha, meta, meta_key)

    def _restore_described(self, sha: str, meta: Any, meta_key: str) -> bool:
        """Download the original (and video), then hand them to the library's intake, which
        checks the picture and makes its thumbnails as an import does."""
        layout, store = self.cloud.layout, self.cloud.store
        if not isinstance(meta, dict) or meta.get("sha256") != sha:
            raise _Bad(f"{meta_key} does not describe {sha[:12]}")
        ext = str(meta.get("ext", ""))
        if not _EXT_RE.match(ext):
            raise _Bad(f"{meta_key} has a bad extension")

        def text(name: str, default: str = "") -> str:
            value = meta.get(name)
            return str(value)[:1000] if isinstance(value, (str, int, float)) else default

        rtype = str(meta["resource_type"]) if meta.get("resource_type") in _RESOURCE_TYPES \
            else "uploaded"
        image_key, thumb_key = layout.original(sha, ext), layout.thumbnail(sha)
        video = meta.get("video") if isinstance(meta.get("video"), dict) else None
        video_key = None
        staged: StagedVideo | None = None
        original = self._fetch(image_key, sha, imaging.MAX_BYTES)
        try:
            data = original.read_bytes()
            if video and _SHA_RE.match(str(video.get("sha256", ""))) \
                    and _EXT_RE.match(str(video.get("ext", ""))):
                video_key = layout.video(video["sha256"], video["ext"])
                staged = StagedVideo(self._fetch(video_key, video["sha256"], MAX_VIDEO_BYTES,
                                                 moved=True),
                                     video["sha256"],
                                     video["ext"], str(video.get("mime_type") or "video/mp4"))
            raw_tags = meta.get("tags")
            tags: list[Any] = raw_tags if isinstance(raw_tags, list) else []
            created = meta.get("created_at")
            now = time.time()
            result = self.library.import_bytes(
                data, f"{sha[:12]}.{ext}", resource_type=rtype,
                name=text("name", sha[:12]) or sha[:12],
                generation_params=meta.get("generation_params"), stored_before=True,
                video=staged, original_filename=text("original_filename")[:255],
                description=text("description"),
                tags=json.dumps([str(t) for t in tags][:100]),
                created_at=float(created) if isinstance(created, (int, float)) else now,
                sync_state="synced", cloud_image_key=image_key, cloud_thumb_key=thumb_key,
                cloud_video_key=video_key,
                video_duration=_seconds(video.get("duration")) if staged and video else None,
                cloud_image_url=store.public_url(image_key),
                cloud_thumb_url=store.public_url(thumb_key), cloud_synced_at=now)
        finally:
            original.unlink(missing_ok=True)
            if staged is not None:
                staged.file.unlink(missing_ok=True)
        return result.created  # not created: imported here meanwhile, and local wins

    # -- agents ----------------------------------------------------------------------------
    def _restore_agents(self, result: RestoreResult) -> None:
        from sqlmodel import select

        from ecan.db.models import Agent, Avatar

        # One document per agent (ecan.sync.agentdocs), then the whole list older versions
        # wrote, for the agents no document describes.
        documented: set[str] = set()
        agents: list[Any] = []
        for o in self.cloud.store.list(self.cloud.layout.agents_folder):
            try:
                raw = self.cloud.store.get_bytes(o.key, max_bytes=agentdocs.MAX_DOC)
            except KeyError:
                continue
            except ObjectTooLarge:
                result.warnings.append(f"skipped agent document {o.key.rsplit('/', 1)[-1]}: "
                                       f"over the {agentdocs.MAX_DOC} byte limit")
                continue
            one = agentdocs.parse(raw)
            if one is None:
                result.warnings.append(f"skipped agent document {o.key.rsplit('/', 1)[-1]}: "
                                       "not an agent")
                continue
            documented.add(" ".join(one["name"].split()))
            if one.get("deleted") is not True:
                agents.append(one)
        try:
            doc = json.loads(self.cloud.store.get_bytes(self.cloud.layout.agents,
                                                        max_bytes=MAX_AGENTS_LIST))
        except KeyError:
            doc = None  # no agents saved from any machine yet, or only as documents
        except ObjectTooLarge:
            doc = None
            result.warnings.append("the agents list in the cloud is over its size limit")
        except ValueError:
            doc = None
            result.warnings.append("the agents document in the cloud is not valid JSON")
        listed = doc.get("agents") if isinstance(doc, dict) else None
        if isinstance(listed, list):
            agents += [e for e in listed if isinstance(e, dict) and isinstance(e.get("name"), str)
                       and " ".join(e["name"].split()) not in documented]
        if not agents:
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
                agent = Agent(name=name, avatar_id=avatar_id,
                              description=description if isinstance(description, str) else "")
                edited = entry.get("updated_at")  # a document's: later edits compare to it
                if isinstance(edited, int | float) and not isinstance(edited, bool):
                    agent.updated_at = float(edited)
                s.add(agent)
                names.add(name)
                result.agents_restored += 1


def _seconds(value: Any) -> float | None:
    """A duration from another machine's metadata, if it is a sane number of seconds."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 <= value < 10 * 24 * 3600 else None
