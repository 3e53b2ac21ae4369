"""An in-memory `BlobStore` twin for unit tests: a dict of objects, thread-safe, counting calls,
with scripted faults (the next N calls raise what a test queues) and an offline switch."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ecan.storage.base import ObjectInfo, ProgressCallback, PutResult


@dataclass
class _Object:
    data: bytes
    content_type: str
    sha256: str
    metadata: dict[str, str] = field(default_factory=dict)


class MemoryBlobStore:
    name = "memory"

    def __init__(self, public_url_base: str = "", chunk: int = 64 * 1024) -> None:
        self.objects: dict[str, _Object] = {}
        self.calls: Counter[str] = Counter()
        self.puts: Counter[str] = Counter()  # key -> times written
        self._faults: list[BaseException] = []
        # Set to an exception factory to make every call fail (the network is gone).
        self.offline: Callable[[], BaseException] | None = None
        self.public_url_base = public_url_base
        self.chunk = chunk
        self.access_checks: list[str] = []  # the prefixes probed
        self.chunk_delay = 0.0  # seconds per chunk in put_file: a slow uplink
        self._lock = threading.Lock()

    # -- scripting -------------------------------------------------------------------------
    def fail_next(self, *errors: BaseException) -> None:
        with self._lock:
            self._faults.extend(errors)

    def _call(self, op: str) -> None:
        with self._lock:
            self.calls[op] += 1
            if self.offline is not None:
                raise self.offline()
            if self._faults:
                raise self._faults.pop(0)

    # -- BlobStore ---------------------------------------------------------------------------
    def put_file(self, key: str, path: Path, *, content_type: str, sha256: str,
                 metadata: dict[str, str] | None = None,
                 progress: ProgressCallback | None = None) -> PutResult:
        self._call("put")
        parts = []
        with open(path, "rb") as f:
            while chunk := f.read(self.chunk):
                parts.append(chunk)
                if self.chunk_delay:
                    time.sleep(self.chunk_delay)
                if progress:
                    progress(len(chunk))
        data = b"".join(parts)
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            from ecan.errors import UserFacingError

            raise UserFacingError("checksum_mismatch", f"{path} changed while uploading.",
                                  "Retry the upload.")
        return self._store(key, data, content_type, metadata)

    def put_bytes(self, key: str, data: bytes, *, content_type: str,
                  metadata: dict[str, str] | None = None) -> PutResult:
        self._call("put")
        return self._store(key, data, content_type, metadata)

    def _store(self, key: str, data: bytes, content_type: str,
               metadata: dict[str, str] | None) -> PutResult:
        sha = hashlib.sha256(data).hexdigest()
        with self._lock:
            self.objects[key] = _Object(data, content_type, sha, dict(metadata or {}))
            self.puts[key] += 1
        return PutResult(key, len(data), sha)

    def get_bytes(self, key: str, *, max_bytes: int | None = None) -> bytes:
        from ecan.storage.errors import ObjectTooLarge

        self._call("get")
        with self._lock:
            if key not in self.objects:
                raise KeyError(key)
            data = self.objects[key].data
        if max_bytes is not None and len(data) > max_bytes:
            raise ObjectTooLarge(key, max_bytes)
        return data

    def get_versioned(self, key: str, *, max_bytes: int) -> tuple[bytes, str]:
        data = self.get_bytes(key, max_bytes=max_bytes)
        return data, hashlib.sha256(data).hexdigest()

    def put_if(self, key: str, data: bytes, *, version: str | None,
               content_type: str) -> str:
        from ecan.storage.errors import PreconditionFailed

        self._call("put")
        with self._lock:
            current = self.objects.get(key)
            if (current.sha256 if current is not None else None) != version:
                raise PreconditionFailed(key)
            sha = hashlib.sha256(data).hexdigest()
            self.objects[key] = _Object(data, content_type, sha)
            self.puts[key] += 1
        return sha

    def download_file(self, key: str, dest: Path,
                      progress: ProgressCallback | None = None) -> ObjectInfo:
        data = self.get_bytes(key)
        tmp = dest.with_name(dest.name + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, dest)
        if progress:
            progress(len(data))
        info = self._info(key)
        assert info is not None
        return info

    def _info(self, key: str) -> ObjectInfo | None:
        with self._lock:
            o = self.objects.get(key)
            if o is None:
                return None
            return ObjectInfo(key, len(o.data), o.sha256, o.content_type, dict(o.metadata))

    def head(self, key: str) -> ObjectInfo | None:
        self._call("head")
        return self._info(key)

    def list(self, prefix: str, *, start_after: str = "") -> Iterator[ObjectInfo]:
        self._call("list")
        with self._lock:
            keys = sorted(k for k in self.objects if k.startswith(prefix) and k > start_after)
        for k in keys:
            info = self._info(k)
            if info is not None:
                yield ObjectInfo(info.key, info.size)

    def delete(self, key: str) -> None:
        self._call("delete")
        with self._lock:
            self.objects.pop(key, None)

    def check_access(self, prefix: str = "") -> None:
        self.access_checks.append(prefix)
        self._call("check_access")

    def public_url(self, key: str) -> str | None:
        return f"{self.public_url_base.rstrip('/')}/{key}" if self.public_url_base else None

    def presigned_url(self, key: str, expires_s: int = 3600) -> str:
        return f"memory://{key}?expires={expires_s}"
