"""The avatar library: the storage of record for every avatar a user brings in. Files are
written temp + fsync + rename, the row and its outbox job in one transaction, and on any failure
nothing is left behind (see `imaging` for what is validated and what metadata is stripped)."""

from __future__ import annotations

import builtins
import hashlib
import json
import logging
import os
import stat
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, col, delete, or_, select

from ecan.avatars import imaging
from ecan.avatars.video import MAX_VIDEO_BYTES, SNIFF_BYTES, sniff_video
from ecan.avatars.walk import os_reason, walk
from ecan.db import Database
from ecan.db.models import Agent, Avatar, JobKind, JobStatus, OutboxJob, SyncState, now
from ecan.errors import UserFacingError
from ecan.paths import AppPaths

log = logging.getLogger(__name__)

RESOURCE_TYPES = ("system", "uploaded", "generated")
MAX_NAME = 120
MAX_TAG = 40
MAX_TAGS = 32
MAX_DESCRIPTION = 2000
# Pillow releases the GIL while decoding and resizing, so two threads use both cores without
# the start-up and pickling cost of processes (benchmarks/bench_import.py measures it).
WORKERS = 2
_LOCK_STRIPES = 64


@dataclass
class ImportResult:
    avatar: Avatar
    created: bool


@dataclass
class ImportOutcome:
    path: str
    ok: bool
    avatar_id: str | None
    error: str | None
    code: str | None
    created: bool = False
    hint: str | None = None


def _sync_state_for_display(state: str, cloud_configured: bool) -> str:
    if state == SyncState.QUEUED.value and not cloud_configured:
        return SyncState.LOCAL.value
    return state


def avatar_to_dict(avatar: Avatar, *, cloud_configured: bool, home: Path | None = None,
                   prefix: str = "") -> dict[str, Any]:
    """The avatar as the handler layer returns it. Paths are made absolute with `home` (use
    `AvatarLibrary.to_dict`, which passes it); system avatars' cloud keys, stored relative to the
    storage prefix, get `prefix` in front."""

    def absolute(rel: str | None) -> str | None:
        if not rel:
            return None
        return str(home / rel) if home is not None else rel

    try:
        tags = json.loads(avatar.tags or "[]")
        tags = [str(t) for t in tags] if isinstance(tags, list) else []
    except ValueError:
        tags = []
    image_key, thumb_key = avatar.cloud_image_key, avatar.cloud_thumb_key
    if avatar.resource_type == "system" and image_key and prefix:
        image_key = prefix.rstrip("/") + "/" + image_key
    return {
        "id": avatar.id,
        "name": avatar.name,
        "sha256": avatar.sha256,
        "resource_type": avatar.resource_type,
        "sync_state": _sync_state_for_display(avatar.sync_state, cloud_configured),
        "cloud_image_key": image_key,
        "cloud_thumb_key": thumb_key,
        "cloud_video_key": avatar.cloud_video_key,
        "cloud_image_url": avatar.cloud_image_url,
        "cloud_thumb_url": avatar.cloud_thumb_url,
        "cloud_synced_at": avatar.cloud_synced_at,
        "format": avatar.format,
        "ext": avatar.ext,
        "mime_type": avatar.mime_type,
        "width": avatar.width,
        "height": avatar.height,
        "bytes": avatar.bytes,
        "animated": bool(avatar.animated),
        "original_filename": avatar.original_filename,
        "description": avatar.description,
        "tags": tags,
        "created_at": avatar.created_at,
        "updated_at": avatar.updated_at,
        "usage_count": avatar.usage_count,
        "sync_error": avatar.sync_error,
        "sync_hint": avatar.sync_hint,
        "read_only": avatar.resource_type == "system",
        "has_video": bool(avatar.video_path),
        "video_bytes": avatar.video_bytes,
        "image_path": absolute(avatar.image_path),
        "thumb_path": absolute(avatar.thumb_path),
        "thumb_small_path": absolute(avatar.thumb_small_path),
        "video_path": absolute(avatar.video_path),
    }


def _not_found(avatar_id: str) -> UserFacingError:
    shown = avatar_id if len(avatar_id) <= 64 else avatar_id[:64] + "..."
    return UserFacingError("not_found", f"There is no avatar with id {shown!r}.",
                           "List the library (`ecan list`) to see the avatars and their ids.")


def _storage_error(filename: str, e: BaseException) -> UserFacingError:
    return UserFacingError(
        "storage_failed", f"{filename}: could not be saved to the library ({type(e).__name__}).",
        "Check that ECAN_HOME has free space and is writable, then import it again.")


class AvatarLibrary:
    """Import, list, get and delete avatars. Thread-safe: batches run on a small pool."""

    def __init__(self, paths: AppPaths, db: Database, *,
                 system_resources: Path | None = None,
                 import_one: Callable[[Path], ImportOutcome] | None = None) -> None:
        """`import_one`: how import_paths imports each file; None: here, on a thread
        (the desktop app passes an ImportPool's, which runs it in worker processes)."""
        self.paths = paths
        self.db = db
        self._import_each = import_one or self.import_one
        # None: the resources shipped with ecan (see ecan.resources).
        self._system_resources = system_resources
        self._system_done = False
        self._system_lock = threading.Lock()
        # Two imports of the same picture at once must not race on its files.
        self._stripes = [threading.Lock() for _ in range(_LOCK_STRIPES)]

    def _stripe(self, sha: str) -> threading.Lock:
        return self._stripes[int(sha[:4], 16) % _LOCK_STRIPES]

    # --- paths ------------------------------------------------------------------------------

    def file_path(self, relative: str) -> Path:
        return self.paths.home / relative

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.paths.home).as_posix()

    def to_dict(self, avatar: Avatar, *, cloud_configured: bool, prefix: str = ""
                ) -> dict[str, Any]:
        return avatar_to_dict(avatar, cloud_configured=cloud_configured, home=self.paths.home,
                              prefix=prefix)

    # --- system avatars ---------------------------------------------------------------------

    def ensure_system_avatars(self) -> None:
        """Register the shipped system avatars once per process (cheap when already there)."""
        if self._system_done:
            return
        with self._system_lock:
            if self._system_done:
                return
            from ecan.avatars.system import register_system_avatars
            from ecan.resources import assets_dir

            root = self._system_resources or assets_dir()
            try:
                register_system_avatars(self, root)
            except UserFacingError:
                log.exception("system avatars could not be registered")
            self._system_done = True

    # --- import -----------------------------------------------------------------------------

    def import_file(self, path: Path, *, resource_type: str = "uploaded",
                    name: str | None = None) -> ImportResult:
        path = Path(path)
        label = path.name or str(path)
        try:
            st = path.stat()
        except (OSError, ValueError) as e:
            raise _unreadable(path, e) from None
        if not stat.S_ISREG(st.st_mode):
            raise UserFacingError("unsupported_format", f"{label}: not a regular file",
                                  "Import image files or folders of them.")
        if st.st_size > imaging.MAX_BYTES:  # before reading a byte of it
            raise imaging.refuse("too_large", label,
                                 f"{st.st_size / 2**20:.1f} MB is over the "
                                 f"{imaging.MAX_BYTES // 2**20} MB limit")
        try:
            with path.open("rb") as f:
                data = f.read(imaging.MAX_BYTES + 1)
        except OSError as e:
            raise UserFacingError("unreadable", f"{label}: cannot be read ({os_reason(e)})",
                                  "Check the file's permissions.") from None
        return self.import_bytes(data, label, resource_type=resource_type, name=name)

    def import_bytes(self, data: bytes, filename: str, *, resource_type: str = "uploaded",
                     name: str | None = None, generation_params: dict[str, Any] | None = None,
                     **extra: Any) -> ImportResult:
        """Validate, store and queue one image. `extra` sets further Avatar fields (the system
        avatars use it for their sync state and cloud key)."""
        if resource_type not in RESOURCE_TYPES:
            raise ValueError(f"unknown resource_type {resource_type!r}")
        filename = os.path.basename(str(filename)) or "image"
        prepared = imaging.prepare(data, filename)
        sha = hashlib.sha256(prepared.data).hexdigest()
        with self._stripe(sha):
            existing = self._by_sha(sha)
            if existing is not None:
                return ImportResult(existing, False)
            return self._store(prepared, sha, filename, resource_type, name,
                               generation_params, extra)

    def _store(self, p: imaging.Prepared, sha: str, filename: str, resource_type: str,
               name: str | None, generation_params: dict[str, Any] | None,
               extra: dict[str, Any]) -> ImportResult:
        folder = {"uploaded": self.paths.uploaded, "generated": self.paths.generated,
                  "system": self.paths.system}[resource_type]
        image = folder / f"{sha}.{p.info.ext}"
        thumb = self.paths.thumbnails / f"{sha}_256.png"
        small = self.paths.thumbnails / f"{sha}_64.png"
        written: list[Path] = []
        try:
            for dest, content in ((image, p.data), (thumb, p.thumb), (small, p.thumb_small)):
                if self._write_atomic(dest, content):
                    written.append(dest)
            avatar = Avatar(
                name=_clean_name(name) or _clean_name(Path(filename).stem) or sha[:12],
                resource_type=resource_type, sha256=sha, format=p.info.format,
                ext=p.info.ext, mime_type=p.info.mime_type, width=p.width, height=p.height,
                bytes=len(p.data), original_filename=filename[:255],
                image_path=self._rel(image), thumb_path=self._rel(thumb),
                thumb_small_path=self._rel(small), animated=p.animated,
                generation_params=(json.dumps(generation_params, default=str)
                                   if generation_params is not None else None),
                **extra)
            with self.db.session() as s:
                s.add(avatar)
                if avatar.sync_state != SyncState.SYNCED.value:
                    s.add(OutboxJob(kind=JobKind.UPLOAD.value, avatar_id=avatar.id))
        except IntegrityError:
            # Another process stored the same picture between our check and our insert.
            _remove(written)
            existing = self._by_sha(sha)
            if existing is None:
                raise _storage_error(filename, IntegrityError("", None, Exception())) from None
            return ImportResult(existing, False)
        except (OSError, SQLAlchemyError) as e:
            _remove(written)
            log.warning("import of %s failed: %s", filename, type(e).__name__)
            raise _storage_error(filename, e) from None
        except BaseException:
            _remove(written)
            raise
        log.info("imported %s as %s (%s %dx%d)", filename, avatar.id, p.info.format,
                 p.width, p.height)
        return ImportResult(avatar, True)

    def _write_atomic(self, dest: Path, data: bytes) -> bool:
        """Write `dest` by temp + fsync + rename; False if it was already there (content
        addressed, so the same name means the same bytes: not ours to remove on failure)."""
        if dest.exists():
            return False
        self.paths.tmp.mkdir(parents=True, exist_ok=True)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.paths.tmp / f"{uuid.uuid4().hex}.part"
        try:
            with tmp.open("wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return True

    def import_paths(self, paths: Sequence[Path], *,
                     progress: Callable[[int, int], None] | None = None
                     ) -> list[ImportOutcome]:
        """Import files and folders (recursively), in the order given; one outcome per file.
        A refused file never stops the batch."""
        found = walk(paths)
        files: list[tuple[Path, ImportOutcome | None]] = [(f, None) for f in found.files]
        files += [(Path(where), ImportOutcome(
            where, False, None, f"{where}: cannot be read ({reason})", "unreadable",
            hint="Check that it exists and that you may read it."))
            for where, reason in found.unreadable]
        total = len(files)
        done = 0
        lock = threading.Lock()

        def one(item: tuple[Path, ImportOutcome | None]) -> ImportOutcome:
            nonlocal done
            path, early = item
            outcome = early or self._import_each(path)
            if progress is not None:
                with lock:
                    done += 1
                    progress(done, total)
            return outcome

        if total <= 1:
            return [one(item) for item in files]
        with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="ecan-import") as pool:
            return list(pool.map(one, files))

    def import_one(self, path: Path) -> ImportOutcome:
        """Import one file; a refusal or a bug becomes an outcome, never an exception."""
        try:
            result = self.import_file(path)
        except UserFacingError as e:
            return ImportOutcome(str(path), False, None, e.message, e.code, hint=e.hint)
        except Exception as e:  # a bug: logged with its traceback, the batch goes on
            log.exception("import of %s failed", path)
            return ImportOutcome(str(path), False, None,
                                 f"{path.name}: could not be imported ({type(e).__name__})",
                                 "internal_error")
        return ImportOutcome(str(path), True, result.avatar.id, None, None, result.created)

    # --- video ------------------------------------------------------------------------------

    def attach_video(self, avatar_id: str, path: Path) -> Avatar:
        """Store an mp4/webm for the avatar and queue its upload (the avatar syncs again)."""
        path = Path(path)
        label = path.name or str(path)
        avatar = self.get(avatar_id)
        if avatar.resource_type == "system":
            raise _read_only(avatar)
        try:
            st = path.stat()
            if not stat.S_ISREG(st.st_mode):
                raise UserFacingError("unsupported_format", f"{label}: not a regular file",
                                      "Choose an MP4 or WebM video file.")
            if st.st_size > MAX_VIDEO_BYTES:
                raise UserFacingError(
                    "too_large", f"{label}: {st.st_size / 2**20:.0f} MB is over the "
                    f"{MAX_VIDEO_BYTES // 2**20} MB video limit", "Use a shorter or smaller video.")
            if st.st_size == 0:
                raise UserFacingError("empty_file", f"{label}: the file is empty (0 bytes)",
                                      "Choose an MP4 or WebM video file.")
            src = path.open("rb")
        except (OSError, ValueError) as e:
            raise _unreadable(path, e) from None
        self.paths.tmp.mkdir(parents=True, exist_ok=True)
        tmp = self.paths.tmp / f"{uuid.uuid4().hex}.part"
        dest: Path | None = None
        created = False
        try:
            with src, tmp.open("wb") as out:
                head = src.read(SNIFF_BYTES)
                fmt = sniff_video(head)
                if fmt is None:
                    raise UserFacingError("unsupported_format",
                                          f"{label}: not an MP4 or WebM video",
                                          "Choose an MP4 or WebM video file.")
                digest = hashlib.sha256(head)
                out.write(head)
                size = len(head)
                while chunk := src.read(1 << 20):
                    size += len(chunk)
                    if size > MAX_VIDEO_BYTES:  # the file grew while we read it
                        raise UserFacingError("too_large", f"{label}: over the video limit",
                                              "Use a shorter or smaller video.")
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            self.paths.videos.mkdir(parents=True, exist_ok=True)
            dest = self.paths.videos / f"{sha}.{fmt.ext}"
            if dest.exists():
                tmp.unlink()
            else:
                os.replace(tmp, dest)
                created = True
            with self.db.session() as s:
                row = s.get(Avatar, avatar_id)
                if row is None:
                    raise _not_found(avatar_id)
                old_video = row.video_path
                row.video_path = self._rel(dest)
                row.video_sha256 = sha
                row.video_ext = fmt.ext
                row.video_mime_type = fmt.mime_type
                row.video_bytes = size
                row.cloud_video_key = None
                row.updated_at = now()
                row.sync_state = SyncState.QUEUED.value
                row.sync_error = row.sync_hint = None
                s.add(row)
                # An upload already in flight may have missed the video: queue another.
                ensure_upload_job(s, avatar_id, count_in_flight=False)
                s.flush()
                result = row
        except UserFacingError:
            tmp.unlink(missing_ok=True)
            if created and dest is not None:
                dest.unlink(missing_ok=True)
            raise
        except (OSError, SQLAlchemyError) as e:
            tmp.unlink(missing_ok=True)
            if created and dest is not None:
                dest.unlink(missing_ok=True)
            raise _storage_error(label, e) from None
        if old_video and old_video != result.video_path:
            self._remove_video_if_unused(old_video)
        return result

    def _remove_video_if_unused(self, rel: str) -> None:
        with self.db.session() as s:
            users = s.exec(select(Avatar.id).where(Avatar.video_path == rel)).first()
        if users is None:
            (self.paths.home / rel).unlink(missing_ok=True)

    # --- queries ----------------------------------------------------------------------------

    def _by_sha(self, sha: str) -> Avatar | None:
        with self.db.session() as s:
            return s.exec(select(Avatar).where(Avatar.sha256 == sha)).first()

    def find_by_sha256(self, sha: str) -> Avatar | None:
        return self._by_sha(sha)

    def list(self, *, query: str = "", resource_type: str | None = None) -> list[Avatar]:
        self.ensure_system_avatars()
        stmt = select(Avatar)
        if resource_type:
            stmt = stmt.where(Avatar.resource_type == resource_type)
        q = query.strip()
        if q:
            stmt = stmt.where(or_(col(Avatar.name).contains(q, autoescape=True),
                                  col(Avatar.original_filename).contains(q, autoescape=True),
                                  col(Avatar.tags).contains(q, autoescape=True),
                                  col(Avatar.description).contains(q, autoescape=True)))
        # System avatars last; newest first within each group.
        stmt = stmt.order_by(col(Avatar.resource_type) == "system", col(Avatar.created_at).desc(),
                             col(Avatar.id))
        with self.db.session() as s:
            return list(s.exec(stmt).all())

    def system_avatars(self) -> builtins.list[Avatar]:
        return self.list(resource_type="system")

    def get(self, avatar_id: str) -> Avatar:
        self.ensure_system_avatars()
        with self.db.session() as s:
            avatar = s.get(Avatar, avatar_id)
        if avatar is None:
            raise _not_found(avatar_id)
        return avatar

    def get_many(self, avatar_ids: Sequence[str]) -> builtins.list[Avatar]:
        """The avatars of these ids that exist, in one query (ids not found are left out)."""
        if not avatar_ids:
            return []
        with self.db.session() as s:
            return builtins.list(s.exec(select(Avatar).where(
                col(Avatar.id).in_(builtins.list(avatar_ids)))).all())

    # --- edit -------------------------------------------------------------------------------

    def update(self, avatar_id: str, *, name: str | None = None, description: str | None = None,
               tags: Sequence[str] | None = None) -> Avatar:
        """Rename, describe or tag an avatar (None: unchanged). The avatar syncs again, so its
        metadata document in the cloud follows (the unchanged files are not re-sent)."""
        clean_name = _clean_name(name) if name is not None else None
        if name is not None and not clean_name:
            raise UserFacingError("invalid_name", "An avatar needs a name.",
                                  "Type a name for the avatar.")
        clean_tags: builtins.list[str] | None = None
        if tags is not None:
            clean_tags = []
            for t in tags:
                tag = _clean_name(t)[:MAX_TAG]
                if tag and tag not in clean_tags:
                    clean_tags.append(tag)
            if len(clean_tags) > MAX_TAGS:
                raise UserFacingError("too_many_tags", f"An avatar can carry {MAX_TAGS} tags.",
                                      "Remove some tags.")
        if description is not None and len(description) > MAX_DESCRIPTION:
            raise UserFacingError("invalid_description",
                                  f"The description is over {MAX_DESCRIPTION} characters.",
                                  "Shorten the description.")
        with self.db.session() as s:
            avatar = s.get(Avatar, avatar_id)
            if avatar is None:
                raise _not_found(avatar_id)
            if avatar.resource_type == "system":
                raise _read_only(avatar)
            if clean_name is not None:
                avatar.name = clean_name
            if description is not None:
                avatar.description = description
            if clean_tags is not None:
                avatar.tags = json.dumps(clean_tags)
            avatar.updated_at = now()
            if avatar.sync_state in (SyncState.SYNCED.value, SyncState.FAILED.value):
                avatar.sync_state = SyncState.QUEUED.value
                avatar.sync_error = avatar.sync_hint = None
            s.add(avatar)
            # A running upload may already have sent the old metadata: queue another.
            ensure_upload_job(s, avatar_id, count_in_flight=False)
            s.flush()
        return avatar

    # --- delete -----------------------------------------------------------------------------

    def delete(self, avatar_id: str) -> None:
        """Remove the row and files and queue the cloud delete; refused while an agent uses
        the avatar, and for system avatars."""
        with self.db.session() as s:
            found = s.get(Avatar, avatar_id)
        if found is None:
            raise _not_found(avatar_id)
        # The same lock as an import of this picture: a re-import racing this delete must not
        # find the files still there, then lose them to our unlink.
        with self._stripe(found.sha256):
            self._delete_locked(avatar_id)

    def _delete_locked(self, avatar_id: str) -> None:
        with self.db.session() as s:
            avatar = s.get(Avatar, avatar_id)
            if avatar is None:
                raise _not_found(avatar_id)
            if avatar.resource_type == "system":
                raise _read_only(avatar)
            users = s.exec(select(Agent.name).where(Agent.avatar_id == avatar_id)
                           .order_by(col(Agent.name))).all()
            if users:
                names = ", ".join(repr(n) for n in users[:5]) + (" ..." if len(users) > 5 else "")
                raise UserFacingError(
                    "in_use", f"Avatar {avatar.name!r} is used by agent(s) {names}.",
                    "Give those agents another avatar (or delete them) first.")
            s.execute(delete(OutboxJob).where(
                col(OutboxJob.avatar_id) == avatar_id, col(OutboxJob.kind) == JobKind.UPLOAD.value,
                col(OutboxJob.status) == JobStatus.READY.value))
            video_sha, video_ext = avatar.video_sha256, avatar.video_ext
            if video_sha and s.exec(select(Avatar.id).where(
                    Avatar.video_sha256 == video_sha, Avatar.id != avatar_id)).first():
                video_sha = video_ext = None  # another avatar still shows this video
            s.add(OutboxJob(kind=JobKind.DELETE.value, avatar_id=avatar_id, payload=json.dumps({
                "sha256": avatar.sha256, "ext": avatar.ext,
                "video_sha256": video_sha, "video_ext": video_ext})))
            s.delete(avatar)
            files = [avatar.image_path, avatar.thumb_path, avatar.thumb_small_path]
            video = avatar.video_path
        for rel in files:
            (self.paths.home / rel).unlink(missing_ok=True)
        if video:
            self._remove_video_if_unused(video)
        log.info("deleted avatar %s", avatar_id)


def ensure_upload_job(s: Session, avatar_id: str, *, count_in_flight: bool = True) -> bool:
    """Add a READY upload job for the avatar unless one is waiting (or, with
    `count_in_flight`, running); True if one was added."""
    statuses = [JobStatus.READY.value] + ([JobStatus.IN_FLIGHT.value] if count_in_flight else [])
    pending = s.exec(select(OutboxJob.id).where(
        OutboxJob.avatar_id == avatar_id, OutboxJob.kind == JobKind.UPLOAD.value,
        col(OutboxJob.status).in_(statuses))).first()
    if pending is None:
        s.add(OutboxJob(kind=JobKind.UPLOAD.value, avatar_id=avatar_id))
        return True
    return False


def _read_only(avatar: Avatar) -> UserFacingError:
    return UserFacingError("read_only",
                           f"{avatar.name!r} is a system avatar and cannot be changed.",
                           "Import your own picture instead.")


def _clean_name(name: str | None) -> str:
    if not name:
        return ""
    text = " ".join(str(name).split())  # no control characters or runs of spaces
    return "".join(ch for ch in text if ch.isprintable())[:MAX_NAME]


def _unreadable(path: Path, e: BaseException) -> UserFacingError:
    """The user-facing error for a file that could not be opened or read."""
    if isinstance(e, FileNotFoundError):
        return UserFacingError("not_found", f"{path}: no such file",
                               "Check the path and try again.")
    return UserFacingError("unreadable", f"{path.name or path}: cannot be read ({os_reason(e)})",
                           "Check the path and the file's permissions.")


def _remove(paths: Sequence[Path]) -> None:
    for p in paths:
        try:
            p.unlink(missing_ok=True)
        except OSError:
            log.warning("could not remove %s after a failed import", p)
