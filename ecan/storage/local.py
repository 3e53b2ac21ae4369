"""The `local` storage backend: a folder plays the cloud (the embedded default, and tests).
Writes are atomic (temp file in the same folder, fsync, rename); sha256, content type and
metadata live in a sidecar under `<root>/.meta/` so `head` returns what `put` was given."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from ecan.paths import PRIVATE_DIR, make_private_dirs, open_private
from ecan.storage.base import ObjectInfo, ProgressCallback, PutResult
from ecan.storage.errors import ObjectTooLarge, PreconditionFailed, StorageError

_CHUNK = 1024 * 1024
_META_DIR = ".meta"


def validate_key(key: str) -> list[str]:
    """The key's segments, or ValueError when it could leave the root or is not portable.
    Segments may not start with "." so the store's own temp and sidecar files never collide
    with a key (ecan's key layout never produces such segments)."""
    if not isinstance(key, str) or not key:
        raise ValueError("empty object key")
    if key.startswith("/") or "\\" in key or "\x00" in key or (len(key) > 1 and key[1] == ":"):
        raise ValueError(f"invalid object key {key!r}: absolute paths and backslashes are refused")
    parts = key.split("/")
    for part in parts:
        if not part or part.startswith("."):
            raise ValueError(f"invalid object key {key!r}: empty, '.' or '..' segment")
    return parts


def validate_metadata(metadata: dict[str, str] | None) -> dict[str, str]:
    """User metadata as every backend can keep it: S3 sends it as HTTP headers, so names are
    lower-case letters, digits and '-', values printable ASCII. ValueError otherwise."""
    out: dict[str, str] = {}
    for name, value in (metadata or {}).items():
        if not (isinstance(name, str) and name and all(c.isascii() and (c.isalnum() or c == "-")
                                                       for c in name)):
            raise ValueError(f"invalid metadata name {name!r}")
        if not (isinstance(value, str) and value.isascii() and value.isprintable()):
            raise ValueError(f"metadata {name!r} must be printable ASCII text")
        if name.lower() == "sha256":
            raise ValueError("metadata name 'sha256' is reserved for the content hash")
        out[name.lower()] = value
    return out


class LocalBlobStore:
    """A folder as a BlobStore. Thread-safe for distinct keys; concurrent writes of one key
    end with one complete version (last rename wins), never a mix."""

    name = "local"

    def __init__(self, root: Path, public_url_base: str = "") -> None:
        import threading

        # Conditional writes compare and replace under this lock: one process's stores of a
        # folder (the local backend is one computer's "cloud"; S3 does this server-side).
        self._cas = threading.Lock()
        self.root = Path(root).expanduser().resolve()
        self.public_url_base = public_url_base.rstrip("/")
        self.location = str(self.root)

    # -- paths -----------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key))

    def _meta_path(self, key: str) -> Path:
        parts = validate_key(key)
        return self.root.joinpath(_META_DIR, *parts[:-1], parts[-1] + ".json")

    # -- writing ---------------------------------------------------------------------------

    def put_file(self, key: str, path: Path, *, content_type: str, sha256: str,
                 metadata: dict[str, str] | None = None,
                 progress: ProgressCallback | None = None) -> PutResult:
        dest = self._path(key)
        validate_metadata(metadata)
        try:
            src = open(path, "rb")
        except FileNotFoundError:
            raise StorageError("file_missing", f"{path} no longer exists; nothing was uploaded.",
                               "Import the file again.") from None
        with src:
            digest, size = self._write_atomic(dest, src, progress, expected_sha256=sha256)
        self._write_meta(key, size, digest, content_type, metadata)
        return PutResult(key=key, size=size, sha256=digest)

    def put_bytes(self, key: str, data: bytes, *, content_type: str,
                  metadata: dict[str, str] | None = None) -> PutResult:
        import io

        dest = self._path(key)
        validate_metadata(metadata)
        digest, size = self._write_atomic(dest, io.BytesIO(data), None)
        self._write_meta(key, size, digest, content_type, metadata)
        return PutResult(key=key, size=size, sha256=digest)

    def put_if(self, key: str, data: bytes, *, version: str | None,
               content_type: str) -> str:
        with self._cas:
            try:
                current: str | None = hashlib.sha256(self._path(key).read_bytes()).hexdigest()
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                current = None
            if current != version:
                raise PreconditionFailed(key)
            return self.put_bytes(key, data, content_type=content_type).sha256

    def _write_atomic(self, dest: Path, src: IO[bytes], progress: ProgressCallback | None,
                      expected_sha256: str | None = None) -> tuple[str, int]:
        make_private_dirs(dest.parent)
        tmp = dest.with_name(f".{dest.name}.tmp-{secrets.token_hex(4)}")
        h = hashlib.sha256()
        size = 0
        try:
            # The user's pictures, readable by them only (also a download into ECAN_HOME).
            with open_private(tmp) as out:
                while chunk := src.read(_CHUNK):
                    out.write(chunk)
                    h.update(chunk)
                    size += len(chunk)
                    if progress:
                        progress(len(chunk))
                out.flush()
                os.fsync(out.fileno())
            digest = h.hexdigest()
            if expected_sha256 is not None and digest != expected_sha256.lower():
                raise StorageError(
                    "checksum_mismatch", f"The file for {dest.name} does not match its "
                    "recorded sha256 (it changed after import); nothing was written.",
                    "Import the file again.")
            os.replace(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return digest, size

    def _write_meta(self, key: str, size: int, sha256: str, content_type: str,
                    metadata: dict[str, str] | None) -> None:
        doc = {"size": size, "sha256": sha256, "content_type": content_type,
               "metadata": validate_metadata(metadata)}
        import io

        meta = self._meta_path(key)
        self._write_atomic(meta, io.BytesIO(json.dumps(doc).encode()), None)

    def _read_meta(self, key: str, size: int) -> dict[str, Any]:
        try:
            doc = json.loads(self._meta_path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        # The sidecar is renamed in after the data: if a crash came between the two, the
        # sidecar describes the previous version. A size mismatch catches that; the hash is
        # then unknown rather than wrong.
        if not isinstance(doc, dict) or doc.get("size") != size:
            return {}
        return doc

    # -- reading ---------------------------------------------------------------------------

    def get_bytes(self, key: str, *, max_bytes: int | None = None) -> bytes:
        try:
            with open(self._path(key), "rb") as f:
                data = f.read() if max_bytes is None else f.read(max_bytes + 1)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise KeyError(key) from None
        if max_bytes is not None and len(data) > max_bytes:
            raise ObjectTooLarge(key, max_bytes)
        return data

    def get_versioned(self, key: str, *, max_bytes: int) -> tuple[bytes, str]:
        # The content's own hash is its version: a rewrite with other bytes changes it.
        data = self.get_bytes(key, max_bytes=max_bytes)
        return data, hashlib.sha256(data).hexdigest()

    def download_file(self, key: str, dest: Path,
                      progress: ProgressCallback | None = None) -> ObjectInfo:
        src_path = self._path(key)
        try:
            src = open(src_path, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise KeyError(key) from None
        with src:
            self._write_atomic(Path(dest), src, progress)
        info = self.head(key)
        if info is None:  # deleted while we copied: the copy we made is still complete
            raise KeyError(key)
        return info

    def head(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not path.is_file():
            return None
        doc = self._read_meta(key, st.st_size)
        return ObjectInfo(key=key, size=st.st_size, sha256=doc.get("sha256"),
                          content_type=doc.get("content_type"),
                          metadata=dict(doc.get("metadata") or {}),
                          last_modified=st.st_mtime)

    def list(self, prefix: str, *, start_after: str = "") -> Iterator[ObjectInfo]:
        """Keys starting with `prefix` (a string prefix, as in S3), sorted like S3 lists them,
        after `start_after` (as S3's StartAfter)."""
        if prefix:
            if prefix.startswith("/") or "\\" in prefix or ".." in prefix.split("/"):
                raise ValueError(f"invalid prefix {prefix!r}")
        base_parts = prefix.split("/")[:-1]  # the folder the prefix is inside
        base = self.root.joinpath(*base_parts)
        if not base.is_dir():
            return
        found: list[tuple[str, os.stat_result]] = []
        for dirpath, dirnames, filenames in os.walk(base):
            # Never descend into our own sidecars or temp files (all start with ".").
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            rel = Path(dirpath).relative_to(self.root).as_posix()
            for fn in filenames:
                if fn.startswith("."):
                    continue
                key = fn if rel == "." else f"{rel}/{fn}"
                if key.startswith(prefix):
                    try:
                        found.append((key, os.stat(os.path.join(dirpath, fn))))
                    except FileNotFoundError:  # deleted while listing
                        continue
        after = start_after.encode()
        for key, st in sorted(found, key=lambda kv: kv[0].encode()):
            if after and key.encode() <= after:
                continue
            yield ObjectInfo(key=key, size=st.st_size, last_modified=st.st_mtime)

    # -- the rest --------------------------------------------------------------------------

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
        self._meta_path(key).unlink(missing_ok=True)

    def check_access(self, prefix: str = "") -> None:
        try:
            self.root.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
            next(os.scandir(self.root), None)
        except OSError as e:
            raise StorageError(
                "storage_folder", f"The storage folder {self.root} cannot be used "
                f"({e.strerror or type(e).__name__}).",
                "Check STORAGE.LOCAL_PATH points to a folder you can write to.") from None
        if not os.access(self.root, os.W_OK):
            raise StorageError("access_denied", f"The storage folder {self.root} is not writable.",
                               "Fix the folder's permissions or set STORAGE.LOCAL_PATH.")

    def public_url(self, key: str) -> str | None:
        validate_key(key)
        return f"{self.public_url_base}/{quote(key)}" if self.public_url_base else None

    def presigned_url(self, key: str, expires_s: int = 3600) -> str:
        # A folder has no expiring links; the file URL is what a local viewer can open.
        return self._path(key).as_uri()

    def server_time(self, prefix: str = "") -> float:
        """The 'server' clock is this machine's."""
        return time.time()
