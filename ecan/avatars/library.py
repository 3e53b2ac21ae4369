"""The avatar library: the storage of record for every avatar a user brings in. Files are
written temp + fsync + rename, the row and its outbox job in one transaction, and on any failure
nothing is left behind (see `imaging` for what is validated and what metadata is stripped)."""

from __future__ import annotations

import builtins
import collections
import hashlib
import json
import logging
import os
import shutil
import sqlite3
import stat
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, or_, select

from ecan.avatars import imaging
from ecan.avatars.video import (
    MAX_VIDEO_BYTES,
    SNIFF_BYTES,
    VideoFormat,
    VideoProbe,
    probe_video,
    sniff_video,
)
from ecan.avatars.walk import os_reason, walk
from ecan.db import Database, sync_state
from ecan.db.database import tx_of
from ecan.db.models import Agent, Avatar, SyncState, now
from ecan.errors import UserFacingError
from ecan.paths import AppPaths, make_private_dirs, open_private

log = logging.getLogger(__name__)

RESOURCE_TYPES = ("system", "uploaded", "generated")
MAX_NAME = 120
MAX_TAG = 40
MAX_TAGS = 32
MAX_DESCRIPTION = 2000
TRASH_DAYS = 30  # a deleted avatar stays in the trash this long, then goes for good
# Pillow releases the GIL while decoding and resizing, so two threads use both cores without
# the start-up and pickling cost of processes (benchmarks/bench_import.py measures it).
WORKERS = 2


@dataclass(frozen=True)
class StagedVideo:
    """A video already written to a private temp file under tmp/ (restore downloads one and
    checks it): the intake puts it in place with its avatar's row."""

    file: Path
    sha256: str
    ext: str
    mime_type: str


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


class _AbsolutePaths:
    """`str(home / rel)`, with each folder's part made once: listing a library makes four of
    these per avatar, and parsing every one as a Path was a fifth of a large list's time."""

    def __init__(self, home: Path | None) -> None:
        self._home = home
        self._folders: dict[str, str] = {}

    def __call__(self, rel: str | None) -> str | None:
        if not rel:
            return None
        if self._home is None:
            return rel
        folder, slash, name = rel.rpartition("/")
        if not slash or name in ("", ".", "..") or "\\" in rel:
            return str(self._home / rel)  # anything unusual: exactly as Path joins it
        base = self._folders.get(folder)
        if base is None:
            base = self._folders[folder] = str(self._home / folder)
        return base + os.sep + name


def avatar_to_dict(avatar: Any, *, cloud_configured: bool, home: Path | None = None,
                   prefix: str = "", absolute: _AbsolutePaths | None = None) -> dict[str, Any]:
    """The avatar (an `Avatar`, or a row with the same attributes) as the handler layer returns
    it. Paths are made absolute with `home` (use `AvatarLibrary.to_dict`, which passes it);
    system avatars' cloud keys, stored relative to the storage prefix, get `prefix` in front."""
    if absolute is None:
        absolute = _AbsolutePaths(home)
    if not avatar.tags or avatar.tags == "[]":
        tags: list[str] = []
    else:
        try:
            loaded = json.loads(avatar.tags)
            tags = [str(t) for t in loaded] if isinstance(loaded, list) else []
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
        "video_duration": avatar.video_duration,
        "video_ext": avatar.video_ext,
        "image_path": absolute(avatar.image_path),
        "thumb_path": absolute(avatar.thumb_path),
        "thumb_small_path": absolute(avatar.thumb_small_path),
        "video_path": absolute(avatar.video_path),
    }


def _not_found(avatar_id: str) -> UserFacingError:
    shown = avatar_id if len(avatar_id) <= 64 else avatar_id[:64] + "..."
    return UserFacingError("not_found", f"There is no avatar with id {shown!r}.",
                           "List the library (`ecan list`) to see the avatars and their ids.")


class LibraryWriteError(UserFacingError):
    """The library's folder or database refused a write (a full disk, a read-only folder, a
    locked database): nothing was kept, and the same picture can be saved once that passes,
    so a pull tries it again (is_retryable) instead of giving the avatar up."""

    retryable = True


def ensure_room(folder: Path, need: int, label: str) -> None:
    """Refuse at once (LibraryWriteError) when the disk holding `folder` has less than `need`
    bytes free: a download that would only fail midway, again at each pull, is not started."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:  # cannot tell: the write itself will say
        return
    if free < need:
        raise LibraryWriteError(
            # (Not how much is free: that changes from try to try, and the same message twice
            # is shown once in the Activity list.)
            "disk_full", f"{label}: too little free space on the disk holding the library "
                         f"({need / 1e6:.1f} MB needed).",
            "Free some space on it: the next sync brings the avatar.")


def _storage_error(filename: str, e: BaseException) -> UserFacingError:
    return LibraryWriteError(
        "storage_failed", f"{filename}: could not be saved to the library ({os_reason(e)}).",
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
        try:
            with path.open("rb") as f:
                head = f.read(SNIFF_BYTES)
        except OSError as e:
            raise UserFacingError("unreadable", f"{label}: cannot be read ({os_reason(e)})",
                                  "Check the file's permissions.") from None
        if sniff_video(head) is not None:  # the content decides, not the name
            return self.import_video(path, resource_type=resource_type, name=name)
        if st.st_size > imaging.MAX_BYTES:  # before reading the rest of it
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
                     stored_before: bool = False, video: StagedVideo | None = None,
                     **extra: Any) -> ImportResult:
        """The one intake: validate, thumbnail, store and (unless it arrives synced) queue one
        image. `stored_before`: bytes an intake stored before (restore from the cloud): checked
        and thumbnailed the same way, but kept byte for byte, since their checksum names them in
        the cloud. `extra` sets further Avatar fields (built-in avatars: their sync state and
        cloud key; restore: what the cloud says of the avatar)."""
        if resource_type not in RESOURCE_TYPES:
            raise ValueError(f"unknown resource_type {resource_type!r}")
        filename = os.path.basename(str(filename)) or "image"
        prepared = imaging.prepare(data, filename, as_stored=stored_before)
        sha = hashlib.sha256(prepared.data).hexdigest()
        existing = self._by_sha(sha)  # the common repeat, without the write lock
        if existing is not None:
            if existing.deleted_at is not None and not stored_before:
                existing = self.undelete(existing.id)  # imported again: out of the trash
            return ImportResult(existing, False)
        return self._store(prepared, sha, filename, resource_type, name,
                           generation_params, extra, video)

    def _store(self, p: imaging.Prepared, sha: str, filename: str, resource_type: str,
               name: str | None, generation_params: dict[str, Any] | None,
               extra: dict[str, Any], video: StagedVideo | None = None) -> ImportResult:
        """Stage the files, then in one write transaction: look for the picture again, put the
        files in place and insert the row. Other processes (a second `ecan import`, the
        window's import workers, a delete) race us on the same content-addressed names; every
        session begins IMMEDIATE, so inside it no one else can insert a row or remove a file
        (see _prune): a committed row's files are always there. `video`: a staged video placed
        with the picture's files (a video avatar's, or one restore downloaded)."""
        folder = {"uploaded": self.paths.uploaded, "generated": self.paths.generated,
                  "system": self.paths.system}[resource_type]
        image = folder / f"{sha}.{p.info.ext}"
        thumb = self.paths.thumbnails / f"{sha}_256.png"
        small = self.paths.thumbnails / f"{sha}_64.png"
        staged: list[tuple[Path, Path]] = []
        placed: list[str] = []
        try:
            # The slow part (writing, fsync) outside the lock, under names no one else uses.
            for dest, content in ((image, p.data), (thumb, p.thumb), (small, p.thumb_small)):
                staged.append((self._stage(content), dest))
            fields: dict[str, Any] = {
                "name": _clean_name(name) or _clean_name(Path(filename).stem) or sha[:12],
                "resource_type": resource_type, "sha256": sha, "format": p.info.format,
                "ext": p.info.ext, "mime_type": p.info.mime_type, "width": p.width,
                "height": p.height, "bytes": len(p.data), "original_filename": filename[:255],
                "image_path": self._rel(image), "thumb_path": self._rel(thumb),
                "thumb_small_path": self._rel(small), "animated": p.animated,
                "generation_params": (json.dumps(generation_params, default=str)
                                      if generation_params is not None else None)}
            if video is not None:
                dest = self.paths.videos / f"{video.sha256}.{video.ext}"
                staged.append((video.file, dest))
                fields.update(video_path=self._rel(dest), video_sha256=video.sha256,
                              video_ext=video.ext, video_mime_type=video.mime_type,
                              video_bytes=video.file.stat().st_size)
            avatar = Avatar(**{**fields, **extra})
            with self.db.session() as s:
                existing = s.exec(select(Avatar).where(Avatar.sha256 == sha)).first()
                if existing is not None:  # another process stored it since we looked
                    return ImportResult(existing, False)
                for tmp, dest in staged:
                    # Content addressed: a file already there holds these very bytes, and no
                    # one can remove it while we hold the lock.
                    if not dest.exists():
                        make_private_dirs(dest.parent)
                        os.replace(tmp, dest)
                        placed.append(self._rel(dest))
                sync_state.insert_avatar(tx_of(s), avatar.model_dump())
        except (OSError, SQLAlchemyError, sqlite3.Error) as e:
            self._remove_unreferenced(placed)
            log.warning("import of %s failed: %s", filename, type(e).__name__)
            raise _storage_error(filename, e) from None
        except BaseException:
            self._remove_unreferenced(placed)
            raise
        finally:
            for tmp, _dest in staged:
                tmp.unlink(missing_ok=True)
        log.info("imported %s as %s (%s %dx%d)", filename, avatar.id, p.info.format,
                 p.width, p.height)
        return ImportResult(avatar, True)

    def _stage(self, data: bytes) -> Path:
        """`data` in a new private file under tmp/, flushed to disk; the caller renames it."""
        make_private_dirs(self.paths.tmp)
        tmp = self.paths.tmp / f"{uuid.uuid4().hex}.part"
        try:
            with open_private(tmp) as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp

    # --- removing files ---------------------------------------------------------------------

    def _prune(self, s: Session, rels: Iterable[str], aside: builtins.list[tuple[Path, Path]]
               ) -> None:
        """Inside `s`'s write transaction, move aside each of these library files that no row
        references (any more). Writers put files in place only inside their own transaction,
        so a file unreferenced here cannot gain a row until we commit. After the commit the
        caller calls _discard(aside); if the transaction fails, _put_back(aside)."""
        wanted = {rel for rel in rels if rel}
        if not wanted:
            return
        s.flush()
        used: set[str] = set()
        for column in (Avatar.image_path, Avatar.thumb_path, Avatar.thumb_small_path,
                       Avatar.video_path):
            used.update(r for r in s.exec(select(column).where(col(column).in_(wanted))) if r)
        for rel in sorted(wanted - used):
            path = self.paths.home / rel
            gone = self.paths.tmp / f"{uuid.uuid4().hex}.gone"
            try:
                os.replace(path, gone)
            except FileNotFoundError:
                continue
            aside.append((gone, path))

    def _remove_unreferenced(self, rels: Iterable[str]) -> None:
        """Remove these library files unless a row references them (clean-up after a failed
        import: the same names may be another process's by now)."""
        rels = builtins.list(rels)
        if not rels:
            return
        aside: builtins.list[tuple[Path, Path]] = []
        try:
            with self.db.session() as s:
                self._prune(s, rels, aside)
        except (OSError, SQLAlchemyError) as e:
            _put_back(aside)
            log.warning("could not remove the files of a failed import: %s", type(e).__name__)
            return
        _discard(aside)

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

    def import_video(self, path: Path, *, resource_type: str = "uploaded",
                     name: str | None = None) -> ImportResult:
        """A video avatar from an mp4/webm: the video is copied (hashed on the way, in chunks),
        validated by its content and probed; its poster frame is the avatar's picture (and
        thumbnails), and the video travels with it under `videos/`."""
        path = Path(path)
        label = path.name or str(path)
        staged, sha, size, fmt = self._stage_video(path, label)
        try:
            probe = probe_video(staged, fmt, label)
            prepared = _poster_image(probe, sha)
            poster_sha = hashlib.sha256(prepared.data).hexdigest()
            existing = self._by_sha(poster_sha)  # the same video again
            if existing is not None:
                return ImportResult(existing, False)
            return self._store(prepared, poster_sha, label, resource_type, name, None,
                               {"video_duration": probe.duration},
                               StagedVideo(staged, sha, fmt.ext, fmt.mime_type))
        finally:
            staged.unlink(missing_ok=True)

    def _stage_video(self, path: Path, label: str) -> tuple[Path, str, int, VideoFormat]:
        """Copy an mp4/webm into a private temp file in 1 MiB chunks, hashing on the way
        (memory stays flat up to the 2 GiB limit). Returns (temp file, sha256, bytes, format);
        the caller removes the temp file."""
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
        make_private_dirs(self.paths.tmp)
        tmp = self.paths.tmp / f"{uuid.uuid4().hex}.part"
        try:
            with src, open_private(tmp) as out:
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
        except UserFacingError:
            tmp.unlink(missing_ok=True)
            raise
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise _storage_error(label, e) from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp, digest.hexdigest(), size, fmt

    def attach_video(self, avatar_id: str, path: Path) -> Avatar:
        """Store an mp4/webm for the avatar and queue its upload (the avatar syncs again)."""
        path = Path(path)
        label = path.name or str(path)
        avatar = self.get(avatar_id)
        if avatar.resource_type == "system":
            raise _read_only(avatar)
        tmp, sha, size, fmt = self._stage_video(path, label)
        placed: str | None = None
        aside: builtins.list[tuple[Path, Path]] = []
        try:
            probe = probe_video(tmp, fmt, label)
            dest = self.paths.videos / f"{sha}.{fmt.ext}"
            with self.db.session() as s:
                row = s.get(Avatar, avatar_id)
                if row is None:
                    raise _not_found(avatar_id)
                # In the transaction, as an import places its files (see _store).
                if not dest.exists():
                    make_private_dirs(dest.parent)
                    os.replace(tmp, dest)
                    placed = self._rel(dest)
                old_video = row.video_path
                row.video_path = self._rel(dest)
                row.video_sha256 = sha
                row.video_ext = fmt.ext
                row.video_mime_type = fmt.mime_type
                row.video_bytes = size
                row.video_duration = probe.duration
                row.cloud_video_key = None
                row.updated_at = now()
                s.add(row)
                s.flush()
                sync_state.requeue(tx_of(s), avatar_id)
                if old_video and old_video != row.video_path:
                    self._prune(s, [old_video], aside)
                s.flush()
                s.refresh(row)
                result = row
        except UserFacingError:
            _put_back(aside)
            self._remove_unreferenced([placed] if placed else [])
            raise
        except (OSError, SQLAlchemyError, sqlite3.Error) as e:
            _put_back(aside)
            self._remove_unreferenced([placed] if placed else [])
            raise _storage_error(label, e) from None
        finally:
            tmp.unlink(missing_ok=True)
        _discard(aside)
        return result

    # --- queries ----------------------------------------------------------------------------

    def _by_sha(self, sha: str) -> Avatar | None:
        with self.db.read_session() as s:
            return s.exec(select(Avatar).where(Avatar.sha256 == sha)).first()

    def list(self, *, query: str = "", resource_type: str | None = None) -> list[Avatar]:
        self.ensure_system_avatars()
        stmt = select(Avatar).where(col(Avatar.deleted_at).is_(None))  # the trash is apart
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
        with self.db.read_session() as s:
            return list(s.exec(stmt).all())

    def list_dicts(self, *, cloud_configured: bool, prefix: str = "", query: str = "",
                   resource_type: str | None = None, offset: int = 0,
                   limit: int | None = None) -> builtins.list[dict[str, Any]]:
        """`list()` as the handler layer returns it (`to_dict` of each), or the `limit` of them
        from `offset` on, read with plain SQL: at 100,000 avatars building an ORM object per
        row first cost seconds and hundreds of MB. Also a plain read, not a write transaction,
        so a long list holds up no writer."""
        self.ensure_system_avatars()
        columns = [c.name for c in Avatar.__table__.columns]  # type: ignore[attr-defined]
        where: builtins.list[str] = ["deleted_at IS NULL"]  # the trash is apart
        args: builtins.list[str | int] = []
        if resource_type:
            where.append("resource_type = ?")
            args.append(resource_type)
        q = query.strip()
        if q:
            # As SQLAlchemy's contains(autoescape=True): a literal substring, / as the escape.
            like = "%" + q.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"
            where.append("(" + " OR ".join(f"{c} LIKE ? ESCAPE '/'" for c in (
                "name", "original_filename", "tags", "description")) + ")")
            args += [like] * 4
        sql = (f"SELECT {', '.join(columns)} FROM avatar"
               + (f" WHERE {' AND '.join(where)}" if where else "")
               # System avatars last; newest first within each group.
               + " ORDER BY resource_type = 'system', created_at DESC, id")
        if limit is not None or offset:
            sql += " LIMIT ? OFFSET ?"
            args += [-1 if limit is None else limit, offset]
        # A row with attribute access, as avatar_to_dict reads an Avatar.
        row_type = collections.namedtuple("AvatarRow", columns)  # type: ignore[misc]
        absolute = _AbsolutePaths(self.paths.home)
        conn = self.db.connect()
        try:
            conn.row_factory = lambda _cursor, values: row_type._make(values)
            return [avatar_to_dict(r, cloud_configured=cloud_configured, prefix=prefix,
                                   absolute=absolute) for r in conn.execute(sql, args)]
        finally:
            conn.close()

    def counts(self) -> dict[str, int]:
        """How many avatars of each kind (system, uploaded, generated) the library holds."""
        self.ensure_system_avatars()
        conn = self.db.connect()
        try:
            found = dict(conn.execute(
                "SELECT resource_type, COUNT(*) FROM avatar WHERE deleted_at IS NULL "
                "GROUP BY resource_type").fetchall())
        finally:
            conn.close()
        return {kind: int(found.get(kind, 0)) for kind in RESOURCE_TYPES}

    def system_avatars(self) -> builtins.list[Avatar]:
        return self.list(resource_type="system")

    def get(self, avatar_id: str) -> Avatar:
        self.ensure_system_avatars()
        with self.db.read_session() as s:
            avatar = s.get(Avatar, avatar_id)
        if avatar is None or avatar.deleted_at is not None:
            raise _not_found(avatar_id)
        return avatar

    def get_many(self, avatar_ids: Sequence[str]) -> builtins.list[Avatar]:
        """The avatars of these ids that exist, in one query (ids not found are left out)."""
        if not avatar_ids:
            return []
        with self.db.read_session() as s:
            return builtins.list(s.exec(select(Avatar).where(
                col(Avatar.id).in_(builtins.list(avatar_ids)),
                col(Avatar.deleted_at).is_(None))).all())

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
            if avatar is None or avatar.deleted_at is not None:
                raise _not_found(avatar_id)
            if avatar.resource_type == "system":
                raise _read_only(avatar)
            before = avatar.name
            if clean_name is not None:
                avatar.name = clean_name
            if description is not None:
                avatar.description = description
            if clean_tags is not None:
                avatar.tags = json.dumps(clean_tags)
            avatar.updated_at = avatar.edited_at = now()
            s.add(avatar)
            s.flush()
            sync_state.requeue(tx_of(s), avatar_id)
            renamed = avatar.name != before
            sync_state.note_activity(
                tx_of(s), sync_state.ActivityKind.RENAMED if renamed
                else sync_state.ActivityKind.EDITED, avatar.name,
                detail=before if renamed else "", avatar_id=avatar_id)
            s.refresh(avatar)
        return avatar

    # --- delete -----------------------------------------------------------------------------

    def delete(self, avatar_id: str) -> None:
        """Move the avatar to the trash (hidden, its files kept TRASH_DAYS) and queue the cloud
        delete, which every machine learns of through the journal; refused while an agent uses
        the avatar, and for system avatars."""
        with self.db.session() as s:
            avatar = s.get(Avatar, avatar_id)
            if avatar is None or avatar.deleted_at is not None:
                raise _not_found(avatar_id)
            if avatar.resource_type == "system":
                raise _read_only(avatar)
            users = s.exec(select(Agent.name).where(Agent.avatar_id == avatar_id)
                           .order_by(col(Agent.name))).all()
            if users:
                names = ", ".join(repr(n) for n in users[:5]) + (
                    " ..." if len(users) > 5 else "")
                raise UserFacingError(
                    "in_use", f"Avatar {avatar.name!r} is used by agent(s) {names}.",
                    "Give those agents another avatar (or delete them) first.")
            avatar.deleted_at = now()
            s.add(avatar)
            s.flush()
            sync_state.queue_delete(tx_of(s), avatar_id)
        log.info("deleted avatar %s (to the trash)", avatar_id)

    # --- the trash --------------------------------------------------------------------------

    def trash(self) -> builtins.list[Avatar]:
        """Deleted avatars still kept (newest deletion first)."""
        with self.db.session() as s:
            return builtins.list(s.exec(select(Avatar).where(
                col(Avatar.deleted_at).is_not(None)).order_by(col(Avatar.deleted_at).desc(),
                                                              col(Avatar.id))).all())

    def undelete(self, avatar_id: str) -> Avatar:
        """Back from the trash, and (by an upload, which the journal announces) on every
        machine again."""
        with self.db.session() as s:
            avatar = s.get(Avatar, avatar_id)
            if avatar is None or avatar.deleted_at is None:
                raise UserFacingError("not_found",
                                      f"There is no avatar {avatar_id[:64]!r} in the trash.",
                                      "See `ecan trash` for what can be brought back.")
            avatar.deleted_at = None
            # Later than the deletion, so every machine's trash gives it back (last change wins).
            avatar.updated_at = avatar.edited_at = now()
            s.add(avatar)
            s.flush()
            sync_state.requeue(tx_of(s), avatar_id)
            sync_state.note_activity(tx_of(s), sync_state.ActivityKind.RESTORED, avatar.name,
                                     avatar_id=avatar_id)
            s.refresh(avatar)
        log.info("brought avatar %s back from the trash", avatar_id)
        return avatar

    def purge_trash(self, *, older_than_s: float = TRASH_DAYS * 86400.0) -> int:
        """Remove for good what has been in the trash longer than `older_than_s`: rows and the
        files no other row uses. Returns how many avatars went."""
        aside: builtins.list[tuple[Path, Path]] = []
        cutoff = now() - older_than_s
        try:
            with self.db.session() as s:
                old = builtins.list(s.exec(select(Avatar).where(
                    col(Avatar.deleted_at).is_not(None), col(Avatar.deleted_at) < cutoff)).all())
                for avatar in old:
                    s.delete(avatar)
                    self._prune(s, [avatar.image_path, avatar.thumb_path,
                                    avatar.thumb_small_path, avatar.video_path or ""], aside)
        except BaseException:
            _put_back(aside)
            raise
        _discard(aside)
        return len(old)

    # --- changes from other machines (ecan.sync.journal) -------------------------------------

    def by_sha(self, sha: str) -> Avatar | None:
        """The avatar of this picture, in the library or in the trash."""
        return self._by_sha(sha)

    def apply_remote_edit(self, avatar_id: str, *, name: str, tags: Sequence[str],
                          description: str, edited_at: float) -> bool:
        """Another machine's edit, if it is later than this one's (the last edit wins); it is
        not queued again (it came from the cloud). True if anything changed."""
        clean = _clean_name(name)[:MAX_NAME]
        clean_tags = [t for t in (_clean_name(str(x))[:MAX_TAG] for x in tags) if t][:MAX_TAGS]
        with self.db.session() as s:
            avatar = s.get(Avatar, avatar_id)
            if avatar is None or avatar.resource_type == "system" or not clean:
                return False
            if edited_at <= (avatar.edited_at or avatar.created_at):
                return False
            new = (clean, json.dumps(clean_tags), description[:MAX_DESCRIPTION])
            if (avatar.name, avatar.tags, avatar.description) == new:
                avatar.edited_at = edited_at
                s.add(avatar)
                return False
            avatar.name, avatar.tags, avatar.description = new
            avatar.edited_at = edited_at
            s.add(avatar)
        return True

    def remove_remote(self, avatar_id: str, deleted_at: float) -> str:
        """Another machine deleted this avatar. The rule when an agent here uses it: the agent
        keeps it, and it comes back everywhere (its upload puts it in the cloud again and the
        journal announces it), since a deletion must never leave an agent without the face
        its user chose. Returns "trashed", "kept" (an agent uses it) or "none"."""
        with self.db.session() as s:
            avatar = s.get(Avatar, avatar_id)
            if avatar is None or avatar.deleted_at is not None \
                    or avatar.resource_type == "system":
                return "none"
            if deleted_at < (avatar.edited_at or avatar.created_at):
                return "none"  # changed here after that deletion: this edit wins, it stays
            tx = tx_of(s)
            if s.exec(select(Agent.id).where(Agent.avatar_id == avatar_id)).first():
                avatar.edited_at = now()  # its comeback is later than the deletion
                s.add(avatar)
                s.flush()
                sync_state.requeue(tx, avatar_id)
                return "kept"
            avatar.deleted_at = deleted_at
            s.add(avatar)
            s.flush()
            sync_state.forget_uploads(tx, avatar_id)
        return "trashed"

    def restore_from_trash_remote(self, avatar_id: str, at: float) -> bool:
        """Another machine brought back (or added again) a picture in this trash, after it was
        deleted here: it leaves the trash, as it is in the cloud (no upload needed)."""
        with self.db.session() as s:
            avatar = s.get(Avatar, avatar_id)
            if avatar is None or avatar.deleted_at is None or at <= avatar.deleted_at:
                return False
            avatar.deleted_at = None
            s.add(avatar)
        return True


def _poster_image(probe: VideoProbe, video_sha: str) -> imaging.Prepared:
    return imaging.prepare_poster(probe.poster, f"ecan video poster {video_sha}")


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


def _discard(aside: Sequence[tuple[Path, Path]]) -> None:
    """The files _prune set aside, now that their removal is committed."""
    for gone, _home in aside:
        try:
            gone.unlink(missing_ok=True)
        except OSError:
            log.warning("could not remove %s", gone)


def _put_back(aside: Sequence[tuple[Path, Path]]) -> None:
    """The transaction that set these files aside failed: its rows still point at them."""
    for gone, home in aside:
        try:
            os.replace(gone, home)
        except OSError:
            log.warning("could not put back %s", home)
