"""The factory picks the backend the config asks for, never borrows the developer's AWS setup,
and applies the R2 settings R2 needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ecan.config import StorageConfig
from ecan.errors import UserFacingError
from ecan.paths import AppPaths
from ecan.storage.factory import make_blob_store, static_session
from ecan.storage.local import LocalBlobStore
from ecan.storage.s3 import S3BlobStore


def test_local_backend_defaults_to_the_cloud_folder_under_home(tmp_path: Path) -> None:
    paths = AppPaths(tmp_path)
    store = make_blob_store(StorageConfig(backend="local"), paths)
    assert isinstance(store, LocalBlobStore) and store.root == paths.local_cloud.resolve()
    other = make_blob_store(StorageConfig(backend="local", local_path=str(tmp_path / "x")), paths)
    assert isinstance(other, LocalBlobStore) and other.root == (tmp_path / "x").resolve()


def test_no_backend_says_how_to_configure_one(tmp_path: Path) -> None:
    with pytest.raises(UserFacingError) as e:
        make_blob_store(StorageConfig(), AppPaths(tmp_path))
    assert e.value.code == "no_cloud" and "AVATAR_CLOUD_BUCKET" in e.value.hint


def test_static_keys_only_from_ecans_config(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIADEVELOPER0000001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "developer-secret")
    assert static_session(StorageConfig(bucket="b-1")).get_credentials() is None
    store = make_blob_store(StorageConfig(bucket="my-bucket", access_key="k", secret_key="s"),
                            AppPaths(tmp_path))
    assert isinstance(store, S3BlobStore)
    status = store.credential_status()
    assert status.expires_at is None and not status.refreshable


def test_r2_uses_region_auto_and_only_required_checksums(tmp_path: Path) -> None:
    storage = StorageConfig(backend="s3", bucket="r2-bucket", is_r2=True, region="auto",
                            endpoint_url="https://acct.r2.cloudflarestorage.com",
                            access_key="k", secret_key="s", cdn_domain="cdn.example.com")
    store = make_blob_store(storage, AppPaths(tmp_path), max_connections=12)
    assert isinstance(store, S3BlobStore)
    config = store._client.meta.config
    assert store._client.meta.region_name == "auto"
    assert config.request_checksum_calculation == "when_required"
    assert config.response_checksum_validation == "when_required"
    assert config.max_pool_connections >= 12
    assert store.public_url("avatars/u/a b.png") == "https://cdn.example.com/avatars/u/a%20b.png"


def test_importing_the_factory_does_not_import_boto3() -> None:
    code = "import sys, ecan.storage.factory; print('boto3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
