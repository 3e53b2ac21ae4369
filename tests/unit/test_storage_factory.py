"""The factory picks the backend the config asks for, never borrows the developer's AWS setup,
and applies the R2 settings R2 needs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

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


def test_making_an_s3_store_does_not_walk_every_service_of_the_sdk(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's loader checked that "s3" exists by listing all ~450 service folders it ships,
    once for the model and once for the endpoint rules: some 20 ms of every signed-in
    `ecan sync` before its first upload. The service's own folder answers that."""
    from botocore.loaders import Loader

    listed: list[str] = []
    real = os.listdir

    def listdir(path: Any = ".") -> list[str]:
        listed.append(os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "listdir", listdir)
    store = make_blob_store(StorageConfig(bucket="b", access_key="k", secret_key="s",
                                          endpoint_url="http://127.0.0.1:9"), AppPaths(Path(".")))
    assert isinstance(store, S3BlobStore)
    assert store.presigned_url("a/b.png").startswith("http://127.0.0.1:9/b/a/b.png?")
    assert Loader.BUILTIN_DATA_PATH not in listed
    assert len(listed) <= 4, listed  # the S3 folder, for each kind of model


def test_the_quick_loader_finds_what_botocore_finds_in_plain_dicts() -> None:
    """Same models and endpoint data as botocore's own loader; parsed into plain dicts, not
    OrderedDicts (twice as slow to build: 12-15 ms of each signed-in sync's start)."""
    from botocore.exceptions import UnknownServiceError
    from botocore.loaders import Loader

    from ecan.storage.botodata import PlainJSONFileLoader, ServiceLoader

    quick, stock = ServiceLoader(file_loader=PlainJSONFileLoader()), Loader()
    for service, kind in (("s3", "service-2"), ("s3", "endpoint-rule-set-1"),
                          ("cognito-identity", "service-2"), ("s3", "waiters-2")):
        assert quick.load_service_model(service, kind) == stock.load_service_model(service, kind)
    for name in ("endpoints", "partitions", "sdk-default-configuration", "_retry"):
        assert quick.load_data(name) == stock.load_data(name)
    session = static_session(StorageConfig(access_key="k", secret_key="s"))
    assert type(session.get_component("data_loader").load_data("endpoints")) is dict
    assert quick.search_paths == stock.search_paths
    with pytest.raises(UnknownServiceError):
        quick.load_service_model("no-such-service", "service-2")
