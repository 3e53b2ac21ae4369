"""Which files an import of some paths takes: one rule for the window and the command line.
Files named one by one are all taken (the importer explains a refusal); a folder is walked
recursively, in name order, keeping pictures and videos and skipping hidden entries and others."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

# What a folder walk keeps: the picture and video types people keep avatars in. Anything else
# in a folder (notes, .DS_Store, Thumbs.db) is counted as skipped, not reported as refused.
MEDIA_EXTS = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff",
                        ".heic", ".heif", ".mp4", ".webm", ".mov"})


@dataclass
class Walk:
    files: list[Path] = field(default_factory=list)
    # Files inside walked folders that are not pictures or videos (or are hidden).
    skipped: list[Path] = field(default_factory=list)
    # (path, reason) for what could not be read at all: a missing path, a folder without access.
    unreadable: list[tuple[str, str]] = field(default_factory=list)


def walk(paths: Sequence[Path | str]) -> Walk:
    found = Walk()
    for raw in paths:
        try:
            path = Path(raw)
            is_dir = path.is_dir()
        except (OSError, ValueError, TypeError) as e:
            found.unreadable.append((str(raw)[:200], os_reason(e)))
            continue
        if not is_dir:
            found.files.append(path)
            continue
        errors: list[OSError] = []
        for root, dirs, names in os.walk(path, onerror=errors.append):
            hidden = [d for d in dirs if d.startswith(".")]
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            found.skipped += [Path(root) / d for d in hidden]
            for name in sorted(names):
                entry = Path(root) / name
                if name.startswith(".") or entry.suffix.lower() not in MEDIA_EXTS:
                    found.skipped.append(entry)
                else:
                    found.files.append(entry)
        for err in errors:
            found.unreadable.append((str(err.filename or path), os_reason(err)))
    return found


def os_reason(e: BaseException) -> str:
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    return type(e).__name__
