"""The published system avatars' manifest (contract): `{prefix}shared/system/manifest.json`, written
by `ecan cloud publish-system`, read by every signed-in app. One small JSON document:

    {"v": 1, "published_at": 1733400000.0,
     "avatars": [{"name": "aurora", "ext": "png", "sha256": "...", "bytes": 12345}, ...]}

Each avatar's original is at `{prefix}shared/system/{name}.{ext}` (the key the bundled ones
already name) and its 256 px thumbnail at `{prefix}shared/system/thumbs/{name}.png` (a folder
of its own, so no avatar's name can collide with a thumbnail's). Both sides parse with
`parse()`: the reader trusts nothing it did not check."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

VERSION = 1
MAX_MANIFEST = 64 * 1024  # bytes: larger is not ours, and is not read
MAX_AVATARS = 200  # a library of built-ins, not a dump
FOLDER = "shared/system/"
MANIFEST = f"{FOLDER}manifest.json"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_EXTS = ("png", "jpg", "webp", "gif")


@dataclass(frozen=True)
class SystemEntry:
    name: str
    ext: str
    sha256: str
    bytes: int

    @property
    def key(self) -> str:
        """Relative to the storage prefix (as `Avatar.cloud_image_key` stores system keys)."""
        return f"{FOLDER}{self.name}.{self.ext}"

    @property
    def thumb_key(self) -> str:
        return f"{FOLDER}thumbs/{self.name}.png"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ext": self.ext, "sha256": self.sha256, "bytes": self.bytes}


def dumps(entries: list[SystemEntry], published_at: float) -> bytes:
    doc = {"v": VERSION, "published_at": published_at,
           "avatars": [e.to_dict() for e in entries]}
    return json.dumps(doc, sort_keys=True).encode()


def parse(raw: bytes, max_bytes: int) -> list[SystemEntry]:
    """The entries of a manifest, or ValueError saying why it is not one ecan reads. Entries
    of the wrong shape fail the whole manifest: a half-read set would hide avatars silently."""
    if len(raw) > MAX_MANIFEST:
        raise ValueError(f"{len(raw)} bytes is over the {MAX_MANIFEST} byte limit")
    doc = json.loads(raw)
    if not isinstance(doc, dict) or doc.get("v") != VERSION:
        raise ValueError("not a version 1 manifest")
    avatars = doc.get("avatars")
    if not isinstance(avatars, list) or len(avatars) > MAX_AVATARS:
        raise ValueError(f"'avatars' is not a list of at most {MAX_AVATARS}")
    out: list[SystemEntry] = []
    names: set[str] = set()
    for item in avatars:
        if not isinstance(item, dict):
            raise ValueError("an entry is not an object")
        name, ext, sha, size = (item.get("name"), item.get("ext"), item.get("sha256"),
                                item.get("bytes"))
        if not isinstance(name, str) or not NAME_RE.match(name) or name in names:
            raise ValueError(f"an entry's name {str(name)[:40]!r} is invalid or repeated")
        if ext not in _EXTS or not isinstance(sha, str) or not _SHA_RE.match(sha):
            raise ValueError(f"entry {name!r} has no valid extension or checksum")
        if isinstance(size, bool) or not isinstance(size, int) or not 0 < size <= max_bytes:
            raise ValueError(f"entry {name!r} has an invalid size")
        names.add(name)
        out.append(SystemEntry(name, str(ext), sha, size))
    return out
