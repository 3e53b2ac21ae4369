"""The BlobStore contract on the `s3` backend, against a real moto server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import itertools
import random
from pathlib import Path
from typing import Any

import pytest
from botocore.session import Session

from ecan.config import StorageConfig
from ecan.storage.errors import TransientStorageError
from ecan.storage.factory import static_session
from ecan.storage.s3 import S3BlobStore
from tests.contract.blobstore_contract import PUBLIC_BASE, BlobStoreContract
from tests.faultproxy import FaultProxy

_n = itertools.count()


@pytest.fixture(scope="session")
def s3_session() -> Session:
    # One session for the whole run: it caches the service models, so each store is cheap.
    return static_session(StorageConfig(access_key="test-key", secret_key="test-secret"))


class TestS3BlobStore(BlobStoreContract):
    @pytest.fixture
    def make(self, moto_endpoint: str, s3_session: Session) -> Any:
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
        moto_endpoint: str, s3_session: Session) -> None:
    """Waiting for "100 Continue" costs a round trip per PUT (on a 50 ms link, 50 ms per
    thumbnail); it only pays off for a body big enough to be worth not sending when refused.
    (The small one goes by the direct path, which never asks: test_s3_direct.py.)"""
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
    assert sent == [(3_000_000, "100-continue")]
    assert store.head("a/small.png") is not None and store.head("a/large.bin") is not None


def test_listing_needs_no_paginator_model(moto_endpoint: str,
                                          s3_session: Session) -> None:
    """Every `ecan sync` lists (the journal, and the bucket before a large batch). botocore's
    paginator loads its model on first use by listing every service folder of the SDK: 0.6 s
    of a signed-in sync's wall on a busy machine. The store follows the pages itself."""
    bucket = f"contract-{next(_n)}"
    store = S3BlobStore(s3_session, bucket, endpoint_url=moto_endpoint, region="us-east-1",
                        page_size=2)
    store._client.create_bucket(Bucket=bucket)
    for i in range(5):
        store.put_bytes(f"j/{i:02d}.json", b"{}", content_type="application/json")

    def no_paginator(*_: Any, **__: Any) -> Any:
        raise AssertionError("the paginator model was loaded")

    store._client.get_paginator = no_paginator  # type: ignore[method-assign]
    assert [o.key for o in store.list("j/")] == [f"j/{i:02d}.json" for i in range(5)]
    assert [o.key for o in store.list("j/", start_after="j/02.json")] == ["j/03.json",
                                                                         "j/04.json"]


def test_a_part_damaged_on_the_way_is_caught_by_s3s_own_checksum(
        moto_endpoint: str, s3_session: Session, tmp_path: Path) -> None:
    """A multipart object used to be checked against the x-amz-meta-sha256 ecan sent itself, so
    only its size was really verified. S3's composite SHA-256 (of the parts it stored) is the
    check: a part damaged in transit must not stay in the cloud under the content's name."""
    mb = 1024 * 1024
    bucket = f"contract-{next(_n)}"
    data = random.Random(15).randbytes(11 * mb)  # three parts of 5 MiB, 5 MiB, 1 MiB
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    with FaultProxy(moto_endpoint) as proxy:
        store = S3BlobStore(s3_session, bucket, endpoint_url=proxy.url, region="us-east-1",
                            multipart_threshold=5 * mb, multipart_chunksize=5 * mb)
        store._client.create_bucket(Bucket=bucket)
        proxy.corrupt = lambda method, p: method == "PUT" and "partNumber=2" in p
        with pytest.raises(TransientStorageError) as e:
            store.put_file("a/big.bin", path, content_type="application/octet-stream",
                           sha256=sha)
        assert proxy.injected["corrupt"] == 1
        assert e.value.code == "checksum_mismatch" and "a/big.bin" in e.value.message
        assert store.head("a/big.bin") is None  # not left for another machine to restore
        proxy.corrupt = None  # the retry, undamaged, verifies
        store.put_file("a/big.bin", path, content_type="application/octet-stream", sha256=sha)
    # Read back past the proxy: it is closed now (a kept-alive connection to it got through or
    # not by timing).
    direct = S3BlobStore(s3_session, bucket, endpoint_url=moto_endpoint, region="us-east-1")
    got = direct._client.get_object(Bucket=bucket, Key="a/big.bin")["Body"].read()
    assert hashlib.sha256(got).hexdigest() == sha
