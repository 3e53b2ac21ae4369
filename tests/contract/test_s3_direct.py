"""Small PUTs go straight on http.client (ecan.storage.s3direct), not through botocore's
per-call machinery: against the demo cloud, whose S3 checks every request's SigV4 signature and
the identity's policy, and against a recording server that answers what a test tells it to.
Whatever the direct PUT does not get a 2xx for is sent again through botocore, so errors read as
they always did."""

from __future__ import annotations

import datetime
import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from ecan.config import StorageConfig
from ecan.democloud import DemoCloud
from ecan.errors import UserFacingError
from ecan.storage.factory import static_session
from ecan.storage.s3 import S3BlobStore
from ecan.storage.s3direct import Credentials, DirectPut
from tests.fixtures_cloud import identity_credentials

ACCESS, SECRET = "AKIDEXAMPLEDIRECT", "direct-secret-never-shown"


class Recorder:
    """An HTTP/1.1 server that keeps every request (method, path, headers) and answers `status`
    with an S3 error body when it is not 200; `hang_up`: closes each connection after its answer
    (which says nothing of it); `refuse_direct`: 400 to requests that did not come
    through botocore (its User-Agent says Botocore), as a service wanting something only botocore
    sends would."""

    def __init__(self) -> None:
        self.status, self.code = 200, "InternalError"
        self.refuse_direct = False
        self.hang_up = False  # close each connection after answering, without saying so
        self.refuse_first: tuple[int, str] | None = None  # (status, code) for the next request
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.connections = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                outer.connections += 1

            def do_PUT(self) -> None:  # noqa: N802 - http.server's naming
                headers = {k.lower(): v for k, v in self.headers.items()}
                self.rfile.read(int(headers.get("content-length") or 0))
                outer.requests.append(("PUT", self.path, headers))
                status, code = outer.status, outer.code
                if outer.refuse_first is not None:
                    (status, code), outer.refuse_first = outer.refuse_first, None
                if outer.refuse_direct and "botocore" not in headers.get("user-agent", "").lower():
                    status = 400
                body = b"" if status == 200 else (
                    f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code>"
                    f"<Message>no</Message></Error>").encode()
                self.send_response(status)
                self.send_header("ETag", '"e"')
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = outer.hang_up

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def direct(self) -> list[dict[str, str]]:
        return [h for _, _, h in self.requests if h.get("user-agent", "").startswith("ecan/")]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    r = Recorder()
    yield r
    r.close()


def recorded_store(recorder: Recorder, **options: Any) -> S3BlobStore:
    session = static_session(StorageConfig(access_key=ACCESS, secret_key=SECRET))
    options.setdefault("max_attempts", 2)
    return S3BlobStore(session, "b", endpoint_url=recorder.endpoint, region="us-east-1",
                       **options)


def test_a_small_put_is_one_request_that_asks_for_no_continue_and_keeps_its_connection(
        recorder: Recorder) -> None:
    store = recorded_store(recorder)
    for i in range(3):
        store.put_bytes(f"a/{i}.png", b"p" * 300_000, content_type="image/png",
                        metadata={"ecan": "x y"})
    assert len(recorder.requests) == 3 and len(recorder.direct()) == 3
    first = recorder.direct()[0]
    assert "expect" not in first  # no round trip for "100 Continue" before the body
    assert first["x-amz-meta-ecan"] == "x y"
    assert first["x-amz-meta-sha256"] == hashlib.sha256(b"p" * 300_000).hexdigest()
    assert first["x-amz-content-sha256"] == first["x-amz-meta-sha256"]  # the payload is signed
    assert "x-amz-checksum-sha256" in first and first["content-type"] == "image/png"
    assert recorder.connections == 1  # kept alive: one connection for the thread's PUTs
    assert SECRET not in repr(recorder.requests)


def test_a_connection_the_service_closed_meanwhile_is_replaced_without_botocore(
        recorder: Recorder) -> None:
    """Services close idle kept-alive connections; the next PUT on one fails at once and is
    made again on a new connection, not left to the slower fallback."""
    recorder.hang_up = True
    store = recorded_store(recorder)
    for i in range(3):
        store.put_bytes(f"a/{i}.png", b"p" * 1000, content_type="image/png")
    assert len(recorder.requests) == 3 and len(recorder.direct()) == 3
    assert recorder.connections == 3


def test_a_large_body_still_goes_through_botocore_and_asks_first(recorder: Recorder) -> None:
    store = recorded_store(recorder)
    store.put_bytes("a/large.bin", b"l" * 3_000_000, content_type="application/octet-stream")
    [(_, _, headers)] = recorder.requests
    assert "botocore" in headers["user-agent"].lower() and headers["expect"] == "100-continue"


@pytest.mark.parametrize("status, code, expected", [
    (500, "InternalError", "storage_unavailable"),
    (403, "AccessDenied", "access_denied"),
])
def test_a_refused_direct_put_is_sent_again_by_botocore_and_reported_as_before(
        recorder: Recorder, status: int, code: str, expected: str) -> None:
    recorder.status, recorder.code = status, code
    store = recorded_store(recorder, max_attempts=2)
    with pytest.raises(UserFacingError) as e:
        store.put_bytes("a/x.png", b"x" * 1000, content_type="image/png")
    assert e.value.code == expected and SECRET not in str(e.value)
    # The direct one, then botocore's own attempts (2 for a 500; a 403 is not retried).
    assert len(recorder.direct()) == 1
    assert len(recorder.requests) == 1 + (2 if status == 500 else 1)
    recorder.status = 200
    store.put_bytes("a/y.png", b"y" * 1000, content_type="image/png")
    assert len(recorder.direct()) == 2  # the same service refusing both: the path stays


def test_a_service_that_refuses_only_the_direct_put_gets_botocore_from_then_on(
        recorder: Recorder) -> None:
    recorder.refuse_direct = True
    recorder.code = "AuthorizationHeaderMalformed"  # what S3 says to a request for another region
    store = recorded_store(recorder)
    store.put_bytes("a/1.png", b"1" * 1000, content_type="image/png")
    store.put_bytes("a/2.png", b"2" * 1000, content_type="image/png")
    assert len(recorder.direct()) == 1 and len(recorder.requests) == 3


@pytest.mark.parametrize("status, code", [(403, "InvalidAccessKeyId"), (400, "ExpiredToken"),
                                          (503, "SlowDown")])
def test_a_refusal_that_botocore_gets_past_by_itself_keeps_the_direct_path(
        recorder: Recorder, status: int, code: str) -> None:
    """Credentials the service no longer takes (botocore's retry fetches new ones), a busy
    service: nothing to do with the direct path, which stays for the next PUTs."""
    recorder.refuse_first = (status, code)
    store = recorded_store(recorder)
    store.put_bytes("a/1.png", b"1" * 1000, content_type="image/png")
    store.put_bytes("a/2.png", b"2" * 1000, content_type="image/png")
    assert len(recorder.direct()) == 2 and len(recorder.requests) == 3


def test_a_service_gone_reads_as_unreachable(recorder: Recorder) -> None:
    store = recorded_store(recorder, max_attempts=1, connect_timeout=1.0)
    recorder.close()
    with pytest.raises(UserFacingError) as e:
        store.put_bytes("a/x.png", b"x", content_type="image/png")
    assert e.value.code == "endpoint_unreachable"


def test_a_proxy_in_the_environment_leaves_the_puts_to_botocore(
        recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    """The direct path has no proxy support: with HTTP_PROXY set it stands aside (here the
    "proxy" is the recorder itself, which then sees botocore's proxied request)."""
    monkeypatch.setenv("HTTP_PROXY", recorder.endpoint)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    store = S3BlobStore(static_session(StorageConfig(access_key=ACCESS, secret_key=SECRET)),
                        "b", endpoint_url="http://storage.invalid:9", region="us-east-1",
                        max_attempts=1)
    store.put_bytes("a/x.png", b"x", content_type="image/png")
    [(_, path, headers)] = recorder.requests
    assert path.startswith("http://storage.invalid:9/b/a/x.png")  # a proxy request line
    assert not recorder.direct()


def test_the_signature_is_the_one_botocore_computes() -> None:
    """Same request, same time, same headers signed: the same Authorization as botocore's own
    SigV4 signer for S3 (with a session token, and a key that needs escaping)."""
    direct = DirectPut("https://bkt.s3.eu-west-1.amazonaws.com/ecan-probe?X-Amz-Algorithm=x",
                       "eu-west-1", lambda: None, connect_timeout=1, read_timeout=1)
    body = b"hello"
    sha = hashlib.sha256(body).hexdigest()
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "tok/en==")
    path = "/avatars/us-east-1%3Aabc/images/%C3%A9t%C3%A9%20x.png"
    ours = direct.signed_headers(path, sha256=sha, content_type="image/png",
                                 metadata={"ecan": "a  b", "sha256": sha}, creds=creds,
                                 amz_date="20261205T120000Z")
    request = AWSRequest(method="PUT", url=f"https://bkt.s3.eu-west-1.amazonaws.com{path}",
                         data=body, headers={k: v for k, v in ours.items()
                                             if k not in ("authorization", "x-amz-date",
                                                          "x-amz-security-token")})
    signer = S3SigV4Auth(BotoCredentials(*creds), "s3", "eu-west-1")
    real_now = datetime.datetime

    class Frozen(datetime.datetime):
        @classmethod
        def utcnow(cls) -> Any:
            return real_now(2026, 12, 5, 12, 0, 0)

        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return real_now(2026, 12, 5, 12, 0, 0, tzinfo=tz)

    import botocore.auth

    original = botocore.auth.datetime.datetime
    botocore.auth.datetime.datetime = Frozen  # type: ignore[misc]
    try:
        signer.add_auth(request)
    finally:
        botocore.auth.datetime.datetime = original  # type: ignore[misc]
    assert request.headers["X-Amz-Date"] == "20261205T120000Z"
    assert request.headers["Authorization"] == ours["authorization"]


def _identity_session(cloud: DemoCloud, secret: str | None = None) -> tuple[str, Any]:
    """(identity id, a botocore session holding that signed-in identity's temporary keys)."""
    identity, c = identity_credentials(cloud.info, cloud.info.users[0])
    session = static_session(StorageConfig())
    session.set_credentials(c["AccessKeyId"], secret or c["SecretKey"], c["SessionToken"])
    return identity, session


def test_the_demo_cloud_checks_and_stores_a_direct_put(demo_cloud: DemoCloud) -> None:
    """The demo cloud's S3 verifies every signature and the identity's policy: the direct PUT
    of a key that needs escaping lands, with its metadata, without botocore sending anything."""
    identity, session = _identity_session(demo_cloud)
    info = demo_cloud.info
    store = S3BlobStore(session, info.bucket, endpoint_url=info.endpoint, region=info.region)
    through_botocore: list[str] = []
    store._client.meta.events.register(  # noqa: SLF001 - watching what botocore sends
        "before-send.s3", lambda request, **_: through_botocore.append(request.method))
    key = f"{info.path_prefix}{identity}/images/été + x~(1).png"
    body = b"\x89PNG direct" * 100
    result = store.put_bytes(key, body, content_type="image/png", metadata={"ecan": "a b"})
    assert through_botocore == []
    assert result.sha256 == hashlib.sha256(body).hexdigest()
    found = store.head(key)
    assert found is not None and found.sha256 == result.sha256 and found.size == len(body)
    assert found.metadata == {"ecan": "a b"} and found.content_type == "image/png"
    assert store.get_bytes(key) == body


def test_a_wrong_secret_is_refused_by_the_demo_cloud_and_reported_as_before(
        demo_cloud: DemoCloud) -> None:
    identity, session = _identity_session(demo_cloud, secret="not-the-secret-at-all")
    info = demo_cloud.info
    store = S3BlobStore(session, info.bucket, endpoint_url=info.endpoint, region=info.region,
                        max_attempts=1)
    with pytest.raises(UserFacingError) as e:
        store.put_bytes(f"{info.path_prefix}{identity}/images/x.png", b"x",
                        content_type="image/png")
    assert e.value.code == "signature_mismatch" and "not-the-secret" not in str(e.value)
