"""Export: copies of avatars' originals (or videos) written where the user says, byte for byte as
the library keeps them. Shared by the window ("Save a copy…", "Save copies to folder…") and
`ecan export`. A copy is written to a hidden temporary file in the target folder and then
renamed, so a full disk or a crash never leaves a half-written picture under the real name."""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ecan.errors import UserFacingError

# What to do when the file to write exists: say so (the CLI without --force), replace it (the
# user said yes in a save dialog, or --force), or pick "name (2).ext" (a folder export).
Conflict = Literal["refuse", "overwrite", "rename"]
CHUNK = 1024 * 1024
MAX_STEM = 120
# Characters no file manager on any platform accepts in a name (and the path separators).
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


@dataclass
class ExportResult:
    exported: list[dict[str, str]] = field(default_factory=list)  # {id, path}
    failed: list[dict[str, str]] = field(default_factory=list)  # {id, code, message, hint}

    def to_dict(self) -> dict[str, Any]:
        return {"exported": self.exported, "failed": self.failed}


def file_name(name: str, ext: str) -> str:
    """The file name a copy gets: the avatar's name, made safe as a file name, with the stored
    file's extension ("Support bot" + "png" -> "Support bot.png")."""
    stem = _UNSAFE.sub("_", " ".join(str(name).split())).strip(" .")[:MAX_STEM].strip(" .")
    ext = ext.lstrip(".").lower()
    if ext and stem.lower().endswith("." + ext):
        stem = stem[:-len(ext) - 1].rstrip(" .")
    stem = stem or "avatar"
    return f"{stem}.{ext}" if ext else stem


def _source(avatar: dict[str, Any], video: bool) -> tuple[Path, str]:
    """The library file to copy and its extension."""
    name = str(avatar.get("name") or avatar.get("id"))
    if video:
        if not (avatar.get("has_video") and avatar.get("video_path")):
            raise UserFacingError("no_video", f"{name!r} has no video to save.",
                                  "Save its picture instead.")
        return Path(str(avatar["video_path"])), str(avatar.get("video_ext") or "")
    if not avatar.get("image_path"):
        raise UserFacingError("missing_file", f"{name!r} has no picture on this computer.",
                              "Sync it first, then export it.")
    return Path(str(avatar["image_path"])), str(avatar.get("ext") or "")


def _write_error(path: Path, e: OSError) -> UserFacingError:
    if e.errno == errno.ENOSPC or e.errno == getattr(errno, "EDQUOT", -1):
        return UserFacingError("disk_full", f"{path}: the disk is full; nothing was written.",
                               "Free some space or choose another place, then export again.")
    if isinstance(e, PermissionError) or e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return UserFacingError("not_writable", f"{path.parent}: you may not write in this "
                                               "folder.",
                               "Choose a folder you can write to.")
    reason = e.strerror or type(e).__name__
    return UserFacingError("write_failed", f"{path}: could not be written ({reason}).",
                           "Check the folder and the disk, then export again.")


def _exists(path: Path) -> UserFacingError:
    return UserFacingError("exists", f"{path} already exists; it was left as it was.",
                           "Choose another name, or replace it (`--force`).")


def write_copy(source: Path, dest: Path, conflict: Conflict = "refuse") -> Path:
    """Copy `source` to `dest` through a temporary file beside it; the path written (with
    "rename", perhaps "name (2).ext")."""
    try:
        if dest.exists() and os.path.samefile(source, dest):
            return dest  # the library's own file: it is already there, byte for byte
    except OSError:
        pass
    tmp = dest.with_name(f".{dest.name[:80]}.{secrets.token_hex(4)}.part")
    try:
        # 0o666 less the umask: a copy has the user's usual permissions, not the library's.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
    except OSError as e:
        raise _write_error(dest, e) from None
    try:
        try:
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                shutil.copyfileobj(src, out, CHUNK)
                out.flush()
                os.fsync(out.fileno())
        except FileNotFoundError:
            raise UserFacingError(
                "missing_file", f"{source}: the library's file is missing.",
                "Run `ecan doctor`; a restore (`ecan restore`) brings synced avatars "
                "back.") from None
        except OSError as e:
            raise _write_error(dest, e) from None
        return _place(tmp, dest, conflict)
    finally:
        try:
            tmp.unlink()
        except OSError:
            pass


def _place(tmp: Path, dest: Path, conflict: Conflict) -> Path:
    """Give the written file its name: never over an existing file unless told to."""
    if conflict == "overwrite":
        try:
            os.replace(tmp, dest)
        except OSError as e:
            raise _write_error(dest, e) from None
        return dest
    for n in range(1, 10_000):
        target = dest if n == 1 else dest.with_name(f"{dest.stem} ({n}){dest.suffix}")
        try:
            # A hard link never replaces a file: no window between a check and the rename.
            os.link(tmp, target)
            return target
        except FileExistsError:
            if conflict == "refuse":
                raise _exists(dest) from None
        except OSError as e:
            if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV,
                               errno.EMLINK, errno.ENOSYS):
                raise _write_error(target, e) from None
            # A file system without hard links (FAT, some network shares): check, then rename.
            if target.exists():
                if conflict == "refuse":
                    raise _exists(dest) from None
                continue
            try:
                os.replace(tmp, target)
            except OSError as e2:
                raise _write_error(target, e2) from None
            return target
    raise _exists(dest)


def _folder(to: Path) -> Path:
    try:
        to.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UserFacingError("not_a_folder", f"{to} is a file; several avatars are saved "
                                              "into a folder.",
                              "Give a folder (it is made if it does not exist).") from None
    except OSError as e:
        raise _write_error(to / "x", e) from None
    return to


def export_avatars(avatars: Sequence[dict[str, Any]], to: Path, *, conflict: Conflict = "refuse",
                   video: bool = False, missing: Iterable[dict[str, str]] = ()
                   ) -> ExportResult:
    """Copy each avatar (as the handlers return it) to `to`: one avatar and a path that is not
    a folder means that file; otherwise `to` is a folder (made if needed) and each avatar gets
    its name there, made unique within the batch. `missing`: failures found before (ids not in
    the library), reported with the others."""
    result = ExportResult(failed=list(missing))
    to = to.expanduser()
    try:
        # Several asked for means a folder, even when only one of them exists.
        one_file = (len(avatars) + len(result.failed) == 1 and not to.is_dir()
                    and not str(to).endswith(("/", os.sep)))
        if one_file:
            if not to.parent.is_dir():
                raise UserFacingError("not_found", f"{to.parent}: there is no such folder.",
                                      "Save into a folder that exists.")
        elif avatars:
            _folder(to)
    except OSError as e:  # a name too long for the file system, a loop of links...
        raise _write_error(to, e) from None
    taken: set[str] = set()
    for avatar in avatars:
        avatar_id = str(avatar.get("id"))
        try:
            source, ext = _source(avatar, video)
            if one_file:
                dest = to
            else:
                name = file_name(str(avatar.get("name") or avatar_id), ext)
                dest = to / _unique_in_batch(name, taken)
            written = write_copy(source, dest, conflict)
        except UserFacingError as e:
            result.failed.append({"id": avatar_id, **e.to_dict()})
            continue
        taken.add(written.name.lower())  # a renamed "cat (2).png" is not offered again
        result.exported.append({"id": avatar_id, "path": str(written.absolute())})
    return result


def _unique_in_batch(name: str, taken: set[str]) -> str:
    """Two avatars named "cat" in one export: "cat.png" and "cat (2).png"."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    candidate, n = name, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{stem} ({n}).{ext}" if dot else f"{stem} ({n})"
    taken.add(candidate.lower())
    return candidate
