"""The BlobStore contract, fsspec style: one abstract class of tests that every backend's
five-line fixture class inherits. A subclass provides `store` (a fresh, empty namespace) and
`paged_store` (the same data seen through a store that lists in small pages)."""

from __future__ import annotations

import hashlib
import os
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from ecan.errors import UserFacingError
from ecan.storage.base import BlobStore, ObjectInfo
from ecan.storage.errors import ObjectTooLarge, PreconditionFailed

PUBLIC_BASE = "https://cdn.example.test/base"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


class BlobStoreContract:
    """Tests every backend must pass. Keys are under `p/` so backends can share a bucket."""

    @pytest.fixture
    def store(self) -> BlobStore:
        raise NotImplementedError

    @pytest.fixture
    def public_store(self) -> BlobStore:
        """A store configured with PUBLIC_URL_BASE = PUBLIC_BASE."""
        raise NotImplementedError

    @pytest.fixture
    def paged_store(self, store: BlobStore) -> BlobStore:
        """`store`'s objects, listed a few at a time (backends without paging return store)."""
        return store

    def test_is_a_blobstore(self, store: BlobStore) -> None:
        assert isinstance(store, BlobStore)
        store.check_access()
        store.check_access("p/u1/")  # a key that may list only its own prefix

    # -- round trips -----------------------------------------------------------------------

    def test_put_bytes_then_get_and_head(self, store: BlobStore) -> None:
        data = b"\x89PNG fake image bytes" * 10
        result = store.put_bytes("p/u1/images/a_thumb.png", data, content_type="image/png",
                                 metadata={"name": "Ada", "created": "2026-01-01T00:00:00Z"})
        assert result.sha256 == sha(data) and result.size == len(data)
        assert store.get_bytes("p/u1/images/a_thumb.png") == data
        info = store.head("p/u1/images/a_thumb.png")
        assert info is not None
        assert (info.size, info.sha256, info.content_type) == (len(data), sha(data), "image/png")
        assert info.metadata == {"name": "Ada", "created": "2026-01-01T00:00:00Z"}

    def test_put_file_keeps_type_hash_and_metadata(self, store: BlobStore, tmp_path: Path) -> None:
        data = os.urandom(70_000)
        src = write(tmp_path / "a.webp", data)
        result = store.put_file("p/u1/images/b_original.webp", src, content_type="image/webp",
                                sha256=sha(data), metadata={"source": "upload"})
        assert (result.size, result.sha256) == (len(data), sha(data))
        info = store.head("p/u1/images/b_original.webp")
        assert info is not None
        assert (info.sha256, info.content_type, info.metadata) == (
            sha(data), "image/webp", {"source": "upload"})
        assert store.get_bytes("p/u1/images/b_original.webp") == data

    def test_overwrite_replaces_content_and_metadata(self, store: BlobStore) -> None:
        store.put_bytes("p/k.json", b"one", content_type="application/json",
                        metadata={"v": "1"})
        store.put_bytes("p/k.json", b"second", content_type="text/plain")
        assert store.get_bytes("p/k.json") == b"second"
        info = store.head("p/k.json")
        assert info is not None
        assert (info.size, info.sha256, info.content_type, info.metadata) == (
            6, sha(b"second"), "text/plain", {})

    def test_put_file_with_wrong_sha256_writes_nothing(self, store: BlobStore,
                                                       tmp_path: Path) -> None:
        src = write(tmp_path / "x.png", b"actual bytes")
        with pytest.raises(UserFacingError) as e:
            store.put_file("p/bad.png", src, content_type="image/png", sha256=sha(b"other"))
        assert e.value.code == "checksum_mismatch"
        assert store.head("p/bad.png") is None

    def test_put_file_of_a_missing_file_is_a_clear_error(self, store: BlobStore,
                                                         tmp_path: Path) -> None:
        with pytest.raises(UserFacingError) as e:
            store.put_file("p/gone.png", tmp_path / "gone.png", content_type="image/png",
                           sha256=sha(b""))
        assert e.value.code == "file_missing" and "gone.png" in e.value.message

    def test_large_file_streams_with_progress(self, store: BlobStore, tmp_path: Path) -> None:
        # 20 MB: above the S3 multipart threshold (16 MB), so parts are uploaded.
        data = os.urandom(1024 * 1024) * 20
        src = write(tmp_path / "big.mp4", data)
        seen: list[int] = []
        store.put_file("p/u1/videos/big_video.mp4", src, content_type="video/mp4",
                       sha256=sha(data), progress=seen.append)
        assert sum(seen) == len(data) and len(seen) > 1
        info = store.head("p/u1/videos/big_video.mp4")
        assert info is not None and (info.size, info.sha256) == (len(data), sha(data))
        got: list[int] = []
        dest = tmp_path / "back.mp4"
        store.download_file("p/u1/videos/big_video.mp4", dest, progress=got.append)
        assert sum(got) == len(data)
        assert sha(dest.read_bytes()) == sha(data)

    # -- missing objects -------------------------------------------------------------------

    def test_missing_objects(self, store: BlobStore, tmp_path: Path) -> None:
        with pytest.raises(KeyError):
            store.get_bytes("p/none.png")
        assert store.head("p/none.png") is None
        with pytest.raises(KeyError):
            store.download_file("p/none.png", tmp_path / "none.png")
        assert not (tmp_path / "none.png").exists()

    # -- conditional writes and bounded reads (agent documents, issue 20) -------------------
    def test_put_if_creates_only_when_absent(self, store: BlobStore) -> None:
        first = store.put_if("p/agent.json", b'{"v": 1}', version=None,
                             content_type="application/json")
        with pytest.raises(PreconditionFailed):  # If-None-Match: * on an existing object
            store.put_if("p/agent.json", b'{"v": 2}', version=None,
                         content_type="application/json")
        data, version = store.get_versioned("p/agent.json", max_bytes=1000)
        assert data == b'{"v": 1}' and version == first

    def test_put_if_with_a_stale_version_is_refused(self, store: BlobStore) -> None:
        v1 = store.put_if("p/a.json", b"one", version=None, content_type="application/json")
        v2 = store.put_if("p/a.json", b"two", version=v1, content_type="application/json")
        assert v2 != v1
        with pytest.raises(PreconditionFailed):  # If-Match with the ETag read before "two"
            store.put_if("p/a.json", b"late", version=v1, content_type="application/json")
        assert store.get_bytes("p/a.json") == b"two"
        with pytest.raises(PreconditionFailed):  # updating what is not there
            store.put_if("p/none.json", b"x", version=v1, content_type="application/json")
        assert store.head("p/none.json") is None

    def test_bounded_reads_stop_at_the_limit(self, store: BlobStore) -> None:
        store.put_bytes("p/big.json", b"x" * 5000, content_type="application/json")
        with pytest.raises(ObjectTooLarge, match="4096 byte limit"):
            store.get_bytes("p/big.json", max_bytes=4096)
        with pytest.raises(ObjectTooLarge):
            store.get_versioned("p/big.json", max_bytes=4096)
        assert len(store.get_bytes("p/big.json", max_bytes=5000)) == 5000
        with pytest.raises(KeyError):
            store.get_versioned("p/none.json", max_bytes=10)

    def test_delete_is_idempotent(self, store: BlobStore) -> None:
        store.put_bytes("p/d.txt", b"x", content_type="text/plain")
        store.delete("p/d.txt")
        assert store.head("p/d.txt") is None
        store.delete("p/d.txt")  # again: not an error
        store.delete("p/never-existed.txt")
        assert [i.key for i in store.list("p/")] == []

    # -- listing ---------------------------------------------------------------------------

    def test_list_is_sorted_and_isolated_by_prefix(self, store: BlobStore) -> None:
        for key in ["p/u1/b", "p/u1/a", "p/u1/sub/c", "p/u10/x", "p/u2/y", "p/u1-z"]:
            store.put_bytes(key, key.encode(), content_type="text/plain")
        infos = list(store.list("p/u1/"))
        assert [i.key for i in infos] == ["p/u1/a", "p/u1/b", "p/u1/sub/c"]
        assert all(isinstance(i, ObjectInfo) and i.size == len(i.key) for i in infos)
        # A prefix is a string prefix, as in S3, not a folder.
        assert [i.key for i in store.list("p/u1")] == [
            "p/u1-z", "p/u1/a", "p/u1/b", "p/u1/sub/c", "p/u10/x"]
        assert list(store.list("p/nothing/")) == []

    def test_list_follows_pagination(self, store: BlobStore, paged_store: BlobStore) -> None:
        keys = [f"p/many/{i:03d}.txt" for i in range(25)]
        for key in keys:
            store.put_bytes(key, b"", content_type="text/plain")
        assert [i.key for i in paged_store.list("p/many/")] == keys

    # -- downloads -------------------------------------------------------------------------

    def test_download_file_roundtrip(self, store: BlobStore, tmp_path: Path) -> None:
        data = os.urandom(3000)
        store.put_bytes("p/dl.bin", data, content_type="application/octet-stream",
                        metadata={"k": "v"})
        info = store.download_file("p/dl.bin", tmp_path / "sub" / "dl.bin")
        assert (tmp_path / "sub" / "dl.bin").read_bytes() == data
        assert (info.sha256, info.metadata) == (sha(data), {"k": "v"})

    def test_a_large_metadata_field_survives_put_head_and_download(self, store: BlobStore,
                                                                    tmp_path: Path) -> None:
        # The sync engine's avatar document on a thumbnail: up to 1.8 KB of base64url, inside
        # S3's 2 KB user-metadata limit together with the sha256 field.
        value = ("AbC-_9" * 400)[:1796]
        data = os.urandom(2000)
        store.put_bytes("p/meta.png", data, content_type="image/png", metadata={"ecan": value})
        head = store.head("p/meta.png")
        assert head is not None and head.metadata == {"ecan": value}
        info = store.download_file("p/meta.png", tmp_path / "meta.png")
        assert (info.sha256, info.metadata) == (sha(data), {"ecan": value})

    def test_failed_download_leaves_destination_untouched(self, store: BlobStore,
                                                          tmp_path: Path) -> None:
        store.put_bytes("p/dl2.bin", os.urandom(5000), content_type="application/octet-stream")
        (tmp_path / "dl").mkdir()
        dest = write(tmp_path / "dl" / "keep.bin", b"the old, complete file")

        def boom(_n: int) -> None:
            raise OSError("disk full")

        with pytest.raises(OSError, match="disk full"):
            store.download_file("p/dl2.bin", dest, progress=boom)
        assert dest.read_bytes() == b"the old, complete file"
        assert sorted(p.name for p in dest.parent.iterdir()) == ["keep.bin"]  # no temp left

    # -- URLs ------------------------------------------------------------------------------

    def test_presigned_url_reads_the_object(self, store: BlobStore) -> None:
        store.put_bytes("p/u1/images/url test.png", b"pixels", content_type="image/png")
        url = store.presigned_url("p/u1/images/url test.png", expires_s=300)
        with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 (our own server/file)
            assert r.read() == b"pixels"

    def test_no_public_url_unless_configured(self, store: BlobStore) -> None:
        assert store.public_url("p/u1/images/a_thumb.png") is None

    def test_public_url_from_base(self, public_store: BlobStore) -> None:
        url = public_store.public_url("p/u1/images/a b.png")
        assert url == f"{PUBLIC_BASE}/p/u1/images/a%20b.png"

    # -- refusing bad input ----------------------------------------------------------------

    @pytest.mark.parametrize("key", ["../x", "p/../../etc/passwd", "/abs/key", "p\\win",
                                     "p//double", "p/./here", "", "p/.meta/x"])
    def test_keys_that_could_escape_are_refused(self, store: BlobStore, key: str) -> None:
        with pytest.raises(ValueError):
            store.put_bytes(key, b"x", content_type="text/plain")
        with pytest.raises(ValueError):
            store.get_bytes(key)
        with pytest.raises(ValueError):
            store.delete(key)
        assert list(store.list("")) == []

    @pytest.mark.parametrize("metadata", [{"Bad Name": "x"}, {"name": "caf\u00e9"},
                                          {"sha256": "0" * 64}, {"n": "line\nbreak"}])
    def test_bad_metadata_is_refused_before_writing(self, store: BlobStore,
                                                    metadata: dict[str, Any]) -> None:
        with pytest.raises(ValueError):
            store.put_bytes("p/meta.txt", b"x", content_type="text/plain", metadata=metadata)
        assert store.head("p/meta.txt") is None
