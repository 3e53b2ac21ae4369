"""The BlobStore contract on the `local` backend (a folder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecan.storage.local import LocalBlobStore
from tests.contract.blobstore_contract import PUBLIC_BASE, BlobStoreContract


class TestLocalBlobStore(BlobStoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> LocalBlobStore:
        return LocalBlobStore(tmp_path / "cloud")

    @pytest.fixture
    def public_store(self, tmp_path: Path) -> LocalBlobStore:
        return LocalBlobStore(tmp_path / "cloud", public_url_base=PUBLIC_BASE)
