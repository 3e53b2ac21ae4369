"""The system avatars ecan ships (ecan/assets/system_avatars/*.png, drawn by
scripts/make_resources.py): registered once, read-only, already in the cloud's shared area.

Their `cloud_image_key` is stored relative to the storage prefix (`shared/system/{name}.png`),
because the prefix is a setting that may change; `avatar_to_dict(..., prefix=...)` adds it."""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from ecan.db.models import SyncState
from ecan.errors import UserFacingError

if TYPE_CHECKING:
    from ecan.avatars.library import AvatarLibrary

log = logging.getLogger(__name__)

_SETTING = "system_avatars.fingerprint"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def system_key(name: str) -> str:
    """The object key under the storage prefix (contract layout `shared/system/{name}.png`)."""
    return f"shared/system/{name}.png"


def register_system_avatars(library: AvatarLibrary, assets: Path) -> int:
    """Register the PNGs in `assets/system_avatars` that are not in the library yet;
    returns how many were added. Idempotent, and a no-op after the first run for the same set."""
    folder = assets / "system_avatars"
    if not folder.is_dir():
        log.warning("no system avatars at %s", folder)
        return 0
    files = sorted(p for p in folder.glob("*.png") if _NAME_RE.match(p.stem))
    fingerprint = hashlib.sha256(
        "\n".join(f"{p.name}:{p.stat().st_size}" for p in files).encode()).hexdigest()
    if library.db.get_setting(_SETTING) == fingerprint:
        return 0
    from ecan.avatars.library import LibraryWriteError

    added = 0
    again = False  # one could not be saved for a passing reason (a full disk): next run
    for path in files:
        try:
            result = library.import_bytes(
                path.read_bytes(), path.name, resource_type="system", name=path.stem,
                sync_state=SyncState.SYNCED.value, cloud_image_key=system_key(path.stem))
        except (UserFacingError, OSError) as e:
            log.warning("system avatar %s skipped: %s", path.name, e)
            again |= isinstance(e, (OSError, LibraryWriteError))
            continue
        added += int(result.created)
    if not again:
        library.db.set_setting(_SETTING, fingerprint)
    return added
