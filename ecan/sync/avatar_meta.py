"""Per-avatar metadata (what restore rebuilds a row from) as one user-metadata field on the
thumbnail, so an avatar costs two objects, not three. Too large a document falls back to the
separate `meta/avatars/{sha}.json` object (the earlier layout, which restore still reads)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

# Sent as `x-amz-meta-ecan`. S3 allows 2 KB of user metadata per object in total (names and
# values); the sha256 field takes ~70 bytes, so the document's encoding gets at most this much.
FIELD = "ecan"
MAX_FIELD = 1800


def encode(doc: dict[str, Any]) -> str | None:
    """Base64url (unpadded) of the compact UTF-8 JSON: ASCII, as an HTTP header must be. None if
    it would not fit in one object's user metadata (the caller writes the JSON object instead)."""
    raw = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    value = base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
    return value if len(FIELD) + len(value) <= MAX_FIELD else None


def decode(value: str | None) -> dict[str, Any] | None:
    """The document in a thumbnail's metadata field, or None if absent or unreadable."""
    if not value:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        doc = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError):
        return None
    return doc if isinstance(doc, dict) else None
