"""The published system avatars: the engine reads `{prefix}shared/system/manifest.json` (written by
`ecan cloud publish-system`) and brings each avatar it names that this library lacks, so new
built-ins arrive without an app update. Without a manifest nothing changes: the bundled set
(ecan.avatars.system) is what the library shows.

Nothing read is trusted: the manifest is size-limited and parsed strictly
(ecan.avatars.system_manifest), each picture is size-limited, checked against the manifest's
SHA-256, and stored by the library's one intake (format allow-list, pixel limits, thumbnails
made here), exactly as a pulled picture of the user's own. A bundled avatar the cloud also has
is the same bytes (publish-system stores what the intake makes), so it is found by its checksum
and not fetched. Avatars only arrive: one an operator stops publishing stays in the library
(an agent may show it)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ecan.avatars.system_manifest import MANIFEST, MAX_MANIFEST, SystemEntry, parse
from ecan.errors import UserFacingError

if TYPE_CHECKING:
    from ecan.avatars.library import AvatarLibrary
    from ecan.sync.engine import Cloud

log = logging.getLogger("ecan.sync")


@dataclass
class SystemPull:
    published: bool = False  # the cloud has a manifest
    added: list[str] = field(default_factory=list)  # ids of the avatars that arrived
    failed: int = 0
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"published": self.published, "added": len(self.added), "failed": self.failed,
                "warnings": self.warnings}


def _get_limited(cloud: Cloud, key: str, limit: int) -> bytes | None:
    """The object's bytes, or None when it is absent; ValueError when it is over `limit`
    (asked first, so an oversized object is never downloaded)."""
    info = cloud.store.head(key)
    if info is None:
        return None
    if info.size > limit:
        raise ValueError(f"{info.size} bytes is over the {limit} byte limit")
    try:
        raw = cloud.store.get_bytes(key)
    except KeyError:
        return None
    if len(raw) > limit:  # replaced by a larger one since the head
        raise ValueError(f"over the {limit} byte limit")
    return raw


def pull_system_avatars(cloud: Cloud, library: Callable[[], AvatarLibrary]) -> SystemPull:
    """Bring the published system avatars this library lacks. Storage errors propagate (the
    caller decides: a sync reports them, the loop tries again later); a bad manifest or picture
    is a warning. `library` makes the library: the intake is loaded only when a manifest is
    there (most pulls have nothing to bring)."""
    result = SystemPull()
    prefix = cloud.layout.prefix
    try:
        raw = _get_limited(cloud, prefix + MANIFEST, MAX_MANIFEST)
    except ValueError as e:
        result.warnings.append(f"system avatars: the manifest is not read ({e})")
        return result
    if raw is None:
        return result
    # Imported only when a manifest is there: with sqlmodel (ecan.db.models) and Pillow they
    # cost every `ecan sync` a third of a second of start-up for a pull that brings nothing.
    from ecan.avatars import imaging

    try:
        entries = parse(raw, imaging.MAX_BYTES)
    except ValueError as e:  # json's errors are ValueErrors too
        result.warnings.append(f"system avatars: the manifest is not read ({str(e)[:120]})")
        return result
    result.published = True
    lib = library()
    for entry in entries:
        if lib.by_sha(entry.sha256) is not None:
            continue
        try:
            added = _bring(cloud, lib, entry)
        except (UserFacingError, ValueError) as e:
            result.failed += 1
            why = e.message if isinstance(e, UserFacingError) else str(e)
            result.warnings.append(f"system avatar {entry.name}: {why}")
            continue
        if added is not None:
            result.added.append(added)
    for warning in result.warnings:
        log.warning("pull: %s", warning)
    if result.added:
        log.info("%d published system avatar(s) arrived", len(result.added))
    return result


def _bring(cloud: Cloud, library: AvatarLibrary, entry: SystemEntry) -> str | None:
    from ecan.db.models import SyncState

    raw = _get_limited(cloud, cloud.layout.prefix + entry.key, entry.bytes)
    if raw is None:
        raise ValueError("named by the manifest but not in the cloud")
    if hashlib.sha256(raw).hexdigest() != entry.sha256:
        raise ValueError("does not match its checksum")
    imported = library.import_bytes(
        raw, f"{entry.name}.{entry.ext}", resource_type="system", name=entry.name,
        stored_before=True, sync_state=SyncState.SYNCED.value, cloud_image_key=entry.key)
    return imported.avatar.id if imported.created else None
