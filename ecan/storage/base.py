"""The `BlobStore` port: the small core every backend implements. Helpers (URLs, probes) are built
on top of it; one contract suite (tests/contract) runs against every backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

# Called with the number of bytes just transferred (not a running total).
ProgressCallback = Callable[[int], None]


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    sha256: str | None = None  # hex, when the backend knows it (ecan always sends it)
    content_type: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    last_modified: float | None = None


@dataclass(frozen=True)
class PutResult:
    key: str
    size: int
    sha256: str


@runtime_checkable
class BlobStore(Protocol):
    """Keys are `/`-separated text; `ecan.storage.keys` builds and validates them. Every method
    raises `UserFacingError` (with a hint) for failures a user can fix, and
    `ecan.storage.errors.TransientStorageError` for ones worth retrying."""

    name: str  # "local" or "s3", for logs and `ecan doctor`

    def put_file(self, key: str, path: Path, *, content_type: str, sha256: str,
                 metadata: dict[str, str] | None = None,
                 progress: ProgressCallback | None = None) -> PutResult:
        """Upload a file; large files stream (multipart) with bounded memory. The backend
        verifies `sha256` (the hex digest of the file) end to end where it can."""
        ...

    def put_bytes(self, key: str, data: bytes, *, content_type: str,
                  metadata: dict[str, str] | None = None) -> PutResult: ...

    def get_bytes(self, key: str, *, max_bytes: int | None = None) -> bytes:
        """Raises KeyError if there is no such object, and `ObjectTooLarge` (having read at
        most `max_bytes` + 1 bytes) if it is larger than `max_bytes`."""
        ...

    def get_versioned(self, key: str, *, max_bytes: int) -> tuple[bytes, str]:
        """The object's bytes and its version (S3: the ETag) for `put_if`; KeyError if there is
        no such object, `ObjectTooLarge` as `get_bytes`."""
        ...

    def put_if(self, key: str, data: bytes, *, version: str | None,
               content_type: str) -> str:
        """Write only if the object is still at `version` (S3: `If-Match`), or, with None, only
        if there is none (`If-None-Match: *`); returns the new version. Raises
        `PreconditionFailed` when someone else wrote first."""
        ...

    def download_file(self, key: str, dest: Path,
                      progress: ProgressCallback | None = None) -> ObjectInfo:
        """Write the object to `dest` atomically (temp + rename). KeyError if missing."""
        ...

    def head(self, key: str) -> ObjectInfo | None:
        """The object's info, or None if there is no such object."""
        ...

    def list(self, prefix: str, *, start_after: str = "") -> Iterator[ObjectInfo]:
        """Every object under `prefix` (in key order, keys after `start_after` only), following
        pagination. Infos carry key and size; sha256 and metadata only where the listing
        provides them (use `head` for those)."""
        ...

    def delete(self, key: str) -> None:
        """Idempotent: deleting a missing key is not an error."""
        ...

    def check_access(self, prefix: str = "") -> None:
        """Can we list the bucket/folder? (S3: list_objects_v2(MaxKeys=1), never head_bucket,
        which R2 tokens may be denied.) Pass the identity's root as `prefix` when the key may
        list only its own prefix (the usual Cognito policy: `s3:prefix` condition)."""
        ...

    def public_url(self, key: str) -> str | None:
        """The CDN / public URL of a key, if CDN_DOMAIN or PUBLIC_URL_BASE is configured."""
        ...

    def presigned_url(self, key: str, expires_s: int = 3600) -> str:
        """A time-limited URL to read the object (local backend: a file:// URL)."""
        ...
