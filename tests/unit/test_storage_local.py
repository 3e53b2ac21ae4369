"""The local folder backend's own promises: nothing escapes the root, temp and sidecar files
never show up as objects, and a sidecar left over from a crash is not trusted."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from ecan.storage.local import LocalBlobStore, validate_key


def test_objects_are_plain_files_under_the_root(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "cloud")
    store.put_bytes("avatars/u/images/a_thumb.png", b"png", content_type="image/png")
    assert (tmp_path / "cloud" / "avatars" / "u" / "images" / "a_thumb.png").read_bytes() == b"png"
    assert [i.key for i in store.list("")] == ["avatars/u/images/a_thumb.png"]


def test_leftover_temp_files_are_not_listed(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    store.put_bytes("a/b.png", b"x", content_type="image/png")
    (tmp_path / "a" / ".b.png.tmp-dead").write_bytes(b"half")  # a crash mid-write
    assert [i.key for i in store.list("a/")] == ["a/b.png"]


def test_a_stale_sidecar_is_not_believed(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    store.put_bytes("a/b.bin", b"old", content_type="application/octet-stream")
    # A crash between renaming the data and its sidecar: data new, sidecar old.
    (tmp_path / "a" / "b.bin").write_bytes(b"newer content")
    info = store.head("a/b.bin")
    assert info is not None and info.size == 13 and info.sha256 is None
    sidecar = json.loads((tmp_path / ".meta" / "a" / "b.bin.json").read_text())
    assert sidecar["sha256"] == hashlib.sha256(b"old").hexdigest()


@pytest.mark.parametrize("key", ["..", "a/../../b", "C:/x", "a\\..\\b", "/etc/x", "a/\x00"])
def test_escaping_keys(key: str) -> None:
    with pytest.raises(ValueError):
        validate_key(key)


def test_identity_ids_with_colons_are_fine() -> None:
    assert validate_key("avatars/us-east-1:0f0e/images/x.png")[1] == "us-east-1:0f0e"
