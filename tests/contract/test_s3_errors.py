"""S3 failures reach the user as errors that name the bucket or endpoint and say what to fix,
marked retryable or not; checked through real botocore against moto and a tiny HTTP server."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ecan.config import StorageConfig
from ecan.errors import AuthRequired, UserFacingError
from ecan.storage.errors import StorageError, TransientStorageError, pauses_queue
from ecan.storage.factory import static_session
from ecan.storage.s3 import S3BlobStore

ACCESS = "AKIAEXAMPLEKEY123456"
SECRET = "sEcReT/DoNotLeak+0123456789abcdefghijklm"


def store(endpoint: str, bucket: str = "some-bucket", *, keys: bool = True,
          **options: Any) -> S3BlobStore:
    storage = StorageConfig(access_key=ACCESS if keys else "", secret_key=SECRET if keys else "")
    options.setdefault("max_attempts", 1)
    options.setdefault("connect_timeout", 2.0)
    return S3BlobStore(static_session(storage), bucket, endpoint_url=endpoint,
                       region="us-east-1", **options)


def assert_no_secret(err: UserFacingError) -> None:
    text = f"{err.message} {err.hint} {err}"
    assert SECRET not in text and ACCESS not in text


class FakeS3:
    """Answers every request with one S3-style error; counts what it received."""

    def __init__(self) -> None:
        self.status = 500
        self.code = "InternalError"
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # answers botocore's "Expect: 100-continue" at once

            def _answer(self) -> None:
                outer.requests += 1
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                body = (f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{outer.code}</Code>"
                        f"<Message>failed, key {ACCESS}</Message></Error>").encode()
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def fake_s3() -> Iterator[FakeS3]:
    fake = FakeS3()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def test_missing_bucket_is_named_with_the_fix(moto_endpoint: str) -> None:
    s = store(moto_endpoint, "no-such-bucket")
    for call in (s.check_access, lambda: s.put_bytes("p/x", b"x", content_type="text/plain"),
                 lambda: list(s.list("p/"))):
        with pytest.raises(StorageError) as e:
            call()
        assert e.value.code == "no_such_bucket" and not e.value.retryable
        assert "bucket 'no-such-bucket' does not exist" in e.value.message
        assert "AVATAR_CLOUD_BUCKET" in e.value.hint
        assert_no_secret(e.value)


def test_no_credentials_never_borrows_the_developers_aws_setup(
        moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    creds = tmp_path / "credentials"
    creds.write_text("[default]\naws_access_key_id = AKIADEVELOPER0000000\n"
                     "aws_secret_access_key = developer-secret\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIADEVELOPER0000001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "developer-secret")
    s = store(moto_endpoint, keys=False)
    with pytest.raises(StorageError) as e:
        s.check_access()
    assert e.value.code == "no_credentials"
    assert "AVATAR_CLOUD_ACCESS_KEY" in e.value.hint and "ecan login" in e.value.hint


def test_unreachable_endpoint_is_named_and_retryable() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    with pytest.raises(TransientStorageError) as e:
        store(endpoint).check_access()
    assert e.value.code == "endpoint_unreachable" and e.value.retryable
    assert endpoint in e.value.message and "ENDPOINT_URL" in e.value.hint


@pytest.mark.parametrize("status, code, expected", [
    (500, "InternalError", "storage_unavailable"),
    (503, "SlowDown", "storage_unavailable"),
    (400, "RequestTimeout", "storage_unavailable"),
])
def test_service_side_failures_are_transient(fake_s3: FakeS3, status: int, code: str,
                                             expected: str) -> None:
    fake_s3.status, fake_s3.code = status, code
    with pytest.raises(TransientStorageError) as e:
        store(fake_s3.endpoint).put_bytes("p/x", b"x", content_type="text/plain")
    assert e.value.code == expected and e.value.retryable
    assert_no_secret(e.value)


def test_a_500_is_retried_by_the_request_layer(fake_s3: FakeS3) -> None:
    fake_s3.status, fake_s3.code = 500, "InternalError"
    before = fake_s3.requests
    with pytest.raises(TransientStorageError):
        store(fake_s3.endpoint, max_attempts=2).check_access()
    assert fake_s3.requests - before == 1 + 2  # the direct listing, then botocore's two tries


@pytest.mark.parametrize("status, code, expected, hint_word", [
    (403, "InvalidAccessKeyId", "invalid_access_key", "AVATAR_CLOUD_ACCESS_KEY"),
    (403, "SignatureDoesNotMatch", "signature_mismatch", "AVATAR_CLOUD_SECRET_KEY"),
    (403, "AccessDenied", "access_denied", "s3:PutObject"),
    (403, "RequestTimeTooSkewed", "clock_skew", "clock"),
])
def test_permanent_failures_say_what_to_fix(fake_s3: FakeS3, status: int, code: str,
                                            expected: str, hint_word: str) -> None:
    fake_s3.status, fake_s3.code = status, code
    with pytest.raises(StorageError) as e:
        store(fake_s3.endpoint).put_bytes("p/x", b"x", content_type="text/plain")
    assert e.value.code == expected and not e.value.retryable
    assert hint_word in e.value.hint
    assert_no_secret(e.value)


@pytest.mark.parametrize("status, code, expected", [
    (403, "AccessDenied", "access_denied"),
    (403, "InvalidAccessKeyId", "invalid_access_key"),
    (400, "ExpiredToken", "auth_required"),
])
@pytest.mark.parametrize("multipart", [False, True])
def test_a_refused_large_file_says_why_like_any_other_upload(
        fake_s3: FakeS3, tmp_path: Path, status: int, code: str, expected: str,
        multipart: bool) -> None:
    """Large files go up through the transfer manager (boto3's upload_file wrapped each refusal
    in an S3UploadFailedError that no error mapping knew: the engine got a raw exception, its
    text carrying the server's message). They are named like any other upload now."""
    import hashlib

    fake_s3.status, fake_s3.code = status, code
    data = b"v" * 6 * 1024 * 1024
    path = tmp_path / "big.mp4"
    path.write_bytes(data)
    threshold = 5 * 1024 * 1024 if multipart else 16 * 1024 * 1024
    s = store(fake_s3.endpoint, multipart_threshold=threshold, multipart_chunksize=5 * 1024 * 1024)
    with pytest.raises(UserFacingError) as e:
        s.put_file("p/big.mp4", path, content_type="video/mp4",
                   sha256=hashlib.sha256(data).hexdigest())
    assert e.value.code == expected
    if expected == "auth_required":
        assert isinstance(e.value, AuthRequired) and "ecan login" in e.value.hint
    assert_no_secret(e.value)


def test_an_expired_session_asks_to_sign_in_again(fake_s3: FakeS3) -> None:
    fake_s3.status, fake_s3.code = 400, "ExpiredToken"
    with pytest.raises(AuthRequired) as e:
        store(fake_s3.endpoint).check_access()
    assert "ecan login" in e.value.hint


def test_missing_object_on_a_failing_service_is_not_reported_as_missing(fake_s3: FakeS3) -> None:
    # A 500 must never look like "no such object" (restore would then skip real avatars).
    fake_s3.status, fake_s3.code = 500, "InternalError"
    with pytest.raises(TransientStorageError):
        store(fake_s3.endpoint).head("p/x")
    with pytest.raises(TransientStorageError):
        store(fake_s3.endpoint).get_bytes("p/x")


@pytest.mark.parametrize("status, code, expected", [
    (403, "RequestTimeTooSkewed", "clock_skew"),
    (403, "SignatureDoesNotMatch", "signature_mismatch"),
    (403, "AccessDenied", "access_denied"),
])
def test_a_refused_head_says_why_though_its_answer_has_no_body(
        fake_s3: FakeS3, status: int, code: str, expected: str) -> None:
    """HEAD answers carry no error body, so botocore sees only "403": the store asks again in a
    way whose answer says why (a skewed clock pauses sync; a missing permission fails the job)."""
    fake_s3.status, fake_s3.code = status, code
    with pytest.raises(StorageError) as e:
        store(fake_s3.endpoint).head("p/x")
    assert e.value.code == expected
    assert pauses_queue(e.value) == (expected != "access_denied")
    assert_no_secret(e.value)


def test_an_expired_token_on_a_head_asks_to_sign_in_again(fake_s3: FakeS3) -> None:
    fake_s3.status, fake_s3.code = 400, "ExpiredToken"
    with pytest.raises(AuthRequired):
        store(fake_s3.endpoint).head("p/x")


def test_a_head_refused_for_no_stated_reason_pauses_sync(fake_s3: FakeS3) -> None:
    fake_s3.status, fake_s3.code = 403, ""  # no reason anywhere, not even with a body
    with pytest.raises(StorageError) as e:
        store(fake_s3.endpoint).head("p/x")
    assert e.value.code == "storage_refused" and pauses_queue(e.value)
    assert "ecan doctor" in e.value.hint


def test_a_skewed_clock_pauses_the_engine_and_keeps_every_job_queued(fake_s3: FakeS3,
                                                                       tmp_path: Path) -> None:
    """End to end through real botocore: every request is refused for the clock. Before, each
    job's first HEAD failed it for good (code '403'); now the queue waits with doctor's hint."""
    from ecan.config import SyncConfig
    from ecan.db import Database
    from ecan.paths import AppPaths
    from ecan.sync.engine import SyncEngine
    from ecan.sync.testing import CloudTwin, write_avatar

    fake_s3.status, fake_s3.code = 403, "RequestTimeTooSkewed"
    paths = AppPaths(tmp_path / "home").ensure()
    db = Database(paths.database)
    for i in range(3):
        write_avatar(paths, db.path, seed=i)
    engine = SyncEngine(db, paths, CloudTwin(store(fake_s3.endpoint)), SyncConfig(concurrency=2),
                        retry_base=0.01, retry_cap=0.05, probe_max=0.2, seed=1)
    try:
        result = engine.drain(timeout=5)
        status = engine.status()
    finally:
        engine.close()
    assert (result.failed, result.remaining) == (0, 3)
    assert status["counts"]["queued"] == 3 and status["counts"]["failed"] == 0
    assert status["last_error"]["code"] == "clock_skew"
    assert "ecan doctor" in status["last_error"]["hint"]
    conn = db.connect()
    try:
        assert [tuple(r) for r in conn.execute("SELECT status, attempts FROM outbox")] == [
            (0, 0)] * 3
    finally:
        conn.close()
