"""The BlobStore contract on the `s3` backend, against a real moto server on 127.0.0.1."""

from __future__ import annotations

import itertools
from typing import Any

import boto3
import pytest

from ecan.config import StorageConfig
from ecan.storage.factory import static_session
from ecan.storage.s3 import S3BlobStore
from tests.contract.blobstore_contract import PUBLIC_BASE, BlobStoreContract

_n = itertools.count()


@pytest.fixture(scope="session")
def s3_session() -> boto3.Session:
    # One session for the whole run: it caches the service models, so each store is cheap.
    return static_session(StorageConfig(access_key="test-key", secret_key="test-secret"))


class TestS3BlobStore(BlobStoreContract):
    @pytest.fixture
    def make(self, moto_endpoint: str, s3_session: boto3.Session) -> Any:
        # A fresh bucket per test: every test starts from an empty namespace.
        bucket = f"contract-{next(_n)}"

        def make(**options: Any) -> S3BlobStore:
            return S3BlobStore(s3_session, bucket, endpoint_url=moto_endpoint,
                               region="us-east-1", **options)

        make()._client.create_bucket(Bucket=bucket)
        return make

    @pytest.fixture
    def store(self, make: Any) -> S3BlobStore:
        return make()  # type: ignore[no-any-return]

    @pytest.fixture
    def paged_store(self, make: Any) -> S3BlobStore:
        return make(page_size=7)  # type: ignore[no-any-return]

    @pytest.fixture
    def public_store(self, make: Any) -> S3BlobStore:
        return make(public_url_base=PUBLIC_BASE)  # type: ignore[no-any-return]


def test_small_puts_do_not_wait_for_100_continue_and_large_ones_still_ask(
        moto_endpoint: str, s3_session: boto3.Session) -> None:
    """Waiting for "100 Continue" costs a round trip per PUT (on a 50 ms link, 50 ms per
    thumbnail); it only pays off for a body big enough to be worth not sending when refused."""
    bucket = f"contract-{next(_n)}"
    store = S3BlobStore(s3_session, bucket, endpoint_url=moto_endpoint, region="us-east-1")
    store._client.create_bucket(Bucket=bucket)
    sent: list[tuple[int, str | None]] = []

    def record(request: Any, **_: Any) -> None:
        if request.method == "PUT" and request.body is not None:
            expect = request.headers.get("Expect")
            sent.append((len(request.body.getvalue()), expect.decode() if expect else None))

    store._client.meta.events.register("before-send.s3", record)
    store.put_bytes("a/small.png", b"s" * 300_000, content_type="image/png")
    store.put_bytes("a/large.bin", b"l" * 3_000_000, content_type="application/octet-stream")
    assert sent == [(300_000, None), (3_000_000, "100-continue")]
    assert store.head("a/small.png") is not None and store.head("a/large.bin") is not None
