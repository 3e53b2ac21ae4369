"""Small PUTs go straight on http.client (ecan.storage.s3direct), not through botocore's
per-call machinery: against the demo cloud, whose S3 checks every request's SigV4 signature and
the identity's policy, and against a recording server that answers what a test tells it to.
Whatever the direct PUT does not get a 2xx for is sent again through botocore, so errors read as
they always did."""

from __future__ import annotations

import datetime
import hashlib
import logging
import ssl
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from ecan.config import StorageConfig
from ecan.democloud import DemoCloud
from ecan.errors import UserFacingError
from ecan.storage.errors import ObjectTooLarge, TransientStorageError
from ecan.storage.factory import static_keys, static_session
from ecan.storage.s3 import S3BlobStore
from ecan.storage.s3direct import PROBE, Credentials, DirectS3, object_url
from tests.fixtures_cloud import identity_credentials

ACCESS, SECRET = "AKIDEXAMPLEDIRECT", "direct-secret-never-shown"


class Recorder:
    """An HTTP/1.1 server that keeps every request (method, path, headers) and answers `status`
    with an S3 error body when it is not 200 (a GET's 200: `listing`, or `body`, of which
    `short` sends half before hanging up); `hang_up`: closes each
    connection after its answer (which says nothing of it); `refuse_direct`: 400 to requests
    that did not come through botocore (its User-Agent says Botocore), as a service wanting
    something only botocore sends would; `tls`: (certificate, key) files to serve HTTPS with."""

    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        self.status, self.code = 200, "InternalError"
        self.refuse_direct = False
        self.hang_up = False  # close each connection after answering, without saying so
        self.refuse_first: tuple[int, str] | None = None  # (status, code) for the next request
        self.listing = _listing_xml([])
        self.body = b"an object's bytes " * 100  # what GET answers (HEAD: its length)
        self.short = False  # send half the body, then close the connection
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.connections = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                outer.connections += 1

            def _answer(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                self.rfile.read(int(headers.get("content-length") or 0))
                outer.requests.append((self.command, self.path, headers))
                status, code = outer.status, outer.code
                if outer.refuse_first is not None:
                    (status, code), outer.refuse_first = outer.refuse_first, None
                if outer.refuse_direct and "botocore" not in headers.get("user-agent", "").lower():
                    status = 400
                listing = "list-type=2" in self.path
                body = b"" if self.command == "PUT" else outer.listing if listing else outer.body
                if status != 200:
                    body = (f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code>"
                            f"<Message>no</Message></Error>").encode()
                self.send_response(status)
                self.send_header("ETag", '"e"')
                if self.command in ("HEAD", "GET") and not listing and status == 200:
                    self.send_header("Last-Modified", "Sat, 05 Dec 2026 12:00:00 GMT")
                    self.send_header("x-amz-meta-sha256", hashlib.sha256(outer.body).hexdigest())
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    # `short`: the connection is lost after half the body
                    self.wfile.write(body[:len(body) // 2] if outer.short and not listing
                                     and status == 200 else body)
                self.close_connection = outer.hang_up or outer.short

            do_PUT = do_GET = do_HEAD = _answer  # noqa: N815 - http.server's naming

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        scheme = "http"
        if tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.endpoint = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def direct(self) -> list[dict[str, str]]:
        return [h for _, _, h in self.requests if h.get("user-agent", "").startswith("ecan/")]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _listing_xml(keys: list[str]) -> bytes:
    items = "".join(f"<Contents><Key>{k}</Key><Size>3</Size>"
                    "<LastModified>2026-12-05T12:00:00.000Z</LastModified></Contents>"
                    for k in keys)
    return ("<?xml version='1.0' encoding='UTF-8'?><ListBucketResult "
            "xmlns='http://s3.amazonaws.com/doc/2006-03-01/'><Name>b</Name>"
            f"<KeyCount>{len(keys)}</KeyCount><IsTruncated>false</IsTruncated>{items}"
            "</ListBucketResult>").encode()


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


def _botocore_signature(request: AWSRequest, creds: Credentials) -> str:
    """botocore's own SigV4 Authorization for S3 of `request`, signed at 2026-12-05 12:00 UTC."""
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
    return str(request.headers["Authorization"])


CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "tok/en==")
UNSIGNED = ("authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256")


def test_a_put_signature_is_the_one_botocore_computes() -> None:
    """Same request, same time, same headers signed: the same Authorization as botocore's own
    SigV4 signer for S3 (with a session token, and a key that needs escaping)."""
    direct = DirectS3("https://bkt.s3.eu-west-1.amazonaws.com/ecan-probe?X-Amz-Algorithm=x",
                      "eu-west-1", lambda: None, connect_timeout=1, read_timeout=1)
    body = b"hello"
    sha = hashlib.sha256(body).hexdigest()
    path = "/avatars/us-east-1%3Aabc/images/%C3%A9t%C3%A9%20x.png"
    ours = direct.signed_headers("PUT", path, {}, {"content-type": "image/png",
                                                  "x-amz-meta-ecan": "a  b",
                                                  "x-amz-meta-sha256": sha},
                                 payload_sha256=sha, creds=CREDS, amz_date="20261205T120000Z")
    request = AWSRequest(method="PUT", url=f"https://bkt.s3.eu-west-1.amazonaws.com{path}",
                         data=body, headers={k: v for k, v in ours.items() if k not in UNSIGNED})
    assert _botocore_signature(request, CREDS) == ours["authorization"]


def test_a_listing_signature_is_the_one_botocore_computes() -> None:
    """A GET with a query string whose values need escaping (a continuation token, a prefix
    with a colon): botocore escapes and sorts the parameters itself, from the dict."""
    direct = DirectS3("http://127.0.0.1:9/bkt/ecan-probe", "eu-west-1", lambda: None,
                      connect_timeout=1, read_timeout=1)
    query = {"list-type": "2", "prefix": "avatars/us-east-1:abc/images/", "max-keys": "1000",
             "encoding-type": "url", "continuation-token": "1a/b+c==", "start-after": "x y"}
    empty = hashlib.sha256(b"").hexdigest()
    ours = direct.signed_headers("GET", "/bkt", query, {}, payload_sha256=empty, creds=CREDS,
                                 amz_date="20261205T120000Z")
    request = AWSRequest(method="GET", url="http://127.0.0.1:9/bkt", params=query,
                         headers={k: v for k, v in ours.items() if k not in UNSIGNED})
    assert _botocore_signature(request, CREDS) == ours["authorization"]


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


def test_heads_and_listings_go_direct_and_read_as_botocore_reads_them(
        demo_cloud: DemoCloud) -> None:
    """Listing pages (keys that need escaping, across pages) and HEADs (metadata, size, type,
    time; a missing key) by the direct path give what botocore's requests give, and botocore
    sends nothing for them."""
    identity, session = _identity_session(demo_cloud)
    info = demo_cloud.info
    store = S3BlobStore(session, info.bucket, endpoint_url=info.endpoint, region=info.region,
                        page_size=2)
    root = f"{info.path_prefix}{identity}/images/listed-{uuid.uuid4().hex[:8]}/"
    keys = [root + name for name in ("a b+c.png", "plain.png", "x~(1)&=.png", "z/deep.png",
                                     "été.png")]
    for key in keys:
        store.put_bytes(key, key.encode(), content_type="image/png", metadata={"ecan": "m"})
    sent: list[str] = []
    client = store._client  # noqa: SLF001 - watching what botocore sends, and asking it
    client.meta.events.register("before-send.s3", lambda request, **_: sent.append(request.url))

    listed = list(store.list(root))
    after_first = list(store.list(root, start_after=keys[0]))
    heads = [store.head(key) for key in keys]
    missing = store.head(root + "missing.png")
    store.check_access(root)
    assert sent == []

    theirs = client.list_objects_v2(Bucket=info.bucket, Prefix=root)["Contents"]
    assert [(o.key, o.size, o.last_modified) for o in listed] == \
        [(c["Key"], c["Size"], c["LastModified"].timestamp()) for c in theirs]
    assert sorted(o.key for o in listed) == sorted(keys)
    assert [o.key for o in after_first] == [o.key for o in listed[1:]]
    for key, head in zip(keys, heads, strict=True):
        assert head == store._info(key, client.head_object(Bucket=info.bucket, Key=key))
        assert head is not None and head.metadata == {"ecan": "m"}
        assert head.size == len(key.encode())
    assert missing is None


def test_a_missing_key_is_answered_by_the_direct_head_alone(recorder: Recorder) -> None:
    recorder.status = 404
    assert recorded_store(recorder).head("a/missing.png") is None
    assert len(recorder.requests) == 1 and len(recorder.direct()) == 1


def test_a_head_refused_without_a_reason_is_asked_again_and_the_direct_path_stays(
        recorder: Recorder) -> None:
    """A HEAD's refusal has no body: expired credentials and a missing permission look the
    same, so botocore asks again (it refreshes what it must), and the direct path stays."""
    recorder.refuse_first = (403, "")
    store = recorded_store(recorder)
    first = store.head("a/1.png")
    assert first is not None and first.size == len(recorder.body)
    assert first.sha256 == hashlib.sha256(recorder.body).hexdigest()
    assert store.head("a/2.png") is not None
    assert len(recorder.direct()) == 2 and len(recorder.requests) == 3


def test_a_service_that_refuses_only_direct_listings_gets_botocore_for_everything(
        recorder: Recorder) -> None:
    recorder.refuse_direct = True
    recorder.code = "AuthorizationHeaderMalformed"
    recorder.listing = _listing_xml(["a/1.png", "a/2.png"])
    store = recorded_store(recorder)
    assert [o.key for o in store.list("a/")] == ["a/1.png", "a/2.png"]
    assert store.head("a/1.png") is not None
    store.put_bytes("a/3.png", b"3", content_type="image/png")
    assert len(recorder.direct()) == 1 and len(recorder.requests) == 4


@pytest.mark.parametrize("endpoint, bucket, region, is_r2", [
    ("http://127.0.0.1:9000", "avatars", "us-east-1", False),
    ("http://127.0.0.1:9000/", "avatars", "eu-west-1", False),
    ("https://0123abcd.r2.cloudflarestorage.com", "ecan-avatars", "", True),
    ("", "my-avatars", "us-east-1", False),
    ("", "my-avatars", "eu-west-1", False),
    ("", "my-avatars", "ap-southeast-2", False),
])
def test_the_object_url_is_the_one_botocore_sends_to(endpoint: str, bucket: str, region: str,
                                                     is_r2: bool) -> None:
    """Where ecan's own settings decide it, the direct path finds a key's URL without loading
    botocore: the URL botocore itself sends a PUT of that key to."""
    store = S3BlobStore(static_session(StorageConfig(access_key=ACCESS, secret_key=SECRET)),
                        bucket, endpoint_url=endpoint, region=region, is_r2=is_r2)

    class Sent(Exception):
        pass

    def stop(request: Any, **_: Any) -> None:
        raise Sent(request.url)

    store._client.meta.events.register("before-send.s3", stop)  # noqa: SLF001
    with pytest.raises(Sent) as sent:
        store._client.put_object(Bucket=bucket, Key=PROBE, Body=b"x")  # noqa: SLF001
    assert object_url(store.endpoint_url, bucket, store.region) == str(sent.value)


@pytest.mark.parametrize("endpoint, bucket, region", [
    ("https://storage.example/s3", "avatars", "us-east-1"),  # an endpoint with a path
    ("", "my.dotted.bucket", "eu-west-1"),  # virtual-hosted HTTPS cannot name it
    ("", "avatars", "cn-north-1"),  # another partition's domain
    ("", "avatars", "us-gov-west-1"),
])
def test_object_urls_it_does_not_know_are_left_to_botocore(endpoint: str, bucket: str,
                                                          region: str) -> None:
    assert object_url(endpoint, bucket, region) is None


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no public CA bundle knows, and its key."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ecan test storage")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def test_a_certificate_only_botocore_is_told_of_leaves_the_requests_to_botocore(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """A company CA given to botocore's own settings (ca_bundle, as ~/.aws/config can), not
    to AWS_CA_BUNDLE: the direct path cannot verify the service, botocore can. Uploads go
    through, and after the first the direct path stops trying."""
    monkeypatch.delenv("AWS_CA_BUNDLE", raising=False)
    cert, key = _self_signed(tmp_path)
    recorder = Recorder(tls=(cert, key))
    storage = StorageConfig(access_key=ACCESS, secret_key=SECRET)

    def session() -> Any:
        made = static_session(storage)
        made.set_config_variable("ca_bundle", str(cert))
        return made

    try:
        store = S3BlobStore(session, "b", endpoint_url=recorder.endpoint, region="us-east-1",
                            credentials=static_keys(storage), max_attempts=1)
        with caplog.at_level(logging.INFO, logger="ecan.storage"):
            for i in range(3):
                store.put_bytes(f"a/{i}.png", b"p", content_type="image/png")
        assert len(recorder.requests) == 3 and recorder.direct() == []
        tried = [r for r in caplog.records if "certificate did not verify" in r.getMessage()]
        assert len(tried) == 1
    finally:
        recorder.close()


def test_static_keys_sign_direct_requests_without_making_a_botocore_session(
        demo_cloud: DemoCloud, tmp_path: Path) -> None:
    """Static keys from the config: puts, heads and listings go out without botocore (its
    session is made only when a request needs it)."""
    from ecan.paths import AppPaths
    from ecan.storage.factory import make_blob_store

    info = demo_cloud.info
    storage = StorageConfig(bucket=info.bucket, endpoint_url=info.endpoint, region=info.region,
                            access_key=info.admin.access_key_id,
                            secret_key=info.admin.secret_access_key)
    store = make_blob_store(storage, AppPaths(tmp_path))
    assert isinstance(store, S3BlobStore)
    store.put_bytes("static/a.png", b"a", content_type="image/png")
    assert [o.key for o in store.list("static/")] == ["static/a.png"]
    found = store.head("static/a.png")
    assert found is not None and found.sha256 == hashlib.sha256(b"a").hexdigest()
    assert store._session is None  # noqa: SLF001 - botocore was never asked for anything


def test_gets_go_direct_and_read_as_botocore_reads_them(demo_cloud: DemoCloud,
                                                        tmp_path: Path) -> None:
    """What a pull and a restore read (journal entries, whole objects into files) comes by the
    direct path, checked against its sha256, with botocore sending nothing; a missing key
    reads as missing."""
    identity, session = _identity_session(demo_cloud)
    info = demo_cloud.info
    store = S3BlobStore(session, info.bucket, endpoint_url=info.endpoint, region=info.region)
    key = f"{info.path_prefix}{identity}/images/got-{uuid.uuid4().hex[:8]} é+x.png"
    body = bytes(range(256)) * 4000  # ~1 MB: several chunks
    store.put_bytes(key, body, content_type="image/png", metadata={"ecan": "g"})
    sent: list[str] = []
    client = store._client  # noqa: SLF001 - watching what botocore sends, and asking it
    client.meta.events.register("before-send.s3", lambda request, **_: sent.append(request.url))

    got = store.get_bytes(key)
    data, version = store.get_versioned(key, max_bytes=len(body))
    with pytest.raises(ObjectTooLarge):
        store.get_bytes(key, max_bytes=1000)
    info_ = store.download_file(key, tmp_path / "restored.png")
    with pytest.raises(KeyError):
        store.get_bytes(key + ".missing")
    assert sent == []

    assert got == data == body and (tmp_path / "restored.png").read_bytes() == body
    assert version == client.head_object(Bucket=info.bucket, Key=key)["ETag"]
    assert info_ == store._info(key, client.head_object(Bucket=info.bucket, Key=key))
    assert info_.sha256 == hashlib.sha256(body).hexdigest() and info_.metadata == {"ecan": "g"}


def test_a_get_keeps_its_connection_for_the_next_request(recorder: Recorder) -> None:
    store = recorded_store(recorder)
    for i in range(3):
        assert store.get_bytes(f"a/{i}.png") == recorder.body
    store.head("a/0.png")
    assert len(recorder.direct()) == 4 and recorder.connections == 1


def test_a_download_cut_off_midway_is_retryable_and_leaves_nothing(recorder: Recorder,
                                                                   tmp_path: Path) -> None:
    """The connection is lost after half the object: a passing problem the outbox retries,
    and neither the destination nor a temporary file is left behind."""
    recorder.short = True
    store = recorded_store(recorder)
    dest = tmp_path / "restored.png"
    with pytest.raises(TransientStorageError) as e:
        store.download_file("a/x.png", dest)
    assert e.value.code == "storage_timeout" and e.value.retryable
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(TransientStorageError):
        store.get_bytes("a/x.png")
    recorder.short = False
    assert store.get_bytes("a/x.png") == recorder.body  # and the next one goes through


def test_a_refused_get_is_sent_again_by_botocore_and_reported_as_before(
        recorder: Recorder) -> None:
    recorder.status, recorder.code = 403, "AccessDenied"
    store = recorded_store(recorder)
    with pytest.raises(UserFacingError) as e:
        store.get_bytes("a/x.png")
    assert e.value.code == "access_denied"
    assert len(recorder.direct()) == 1 and len(recorder.requests) == 2
    recorder.status, recorder.code = 404, "NoSuchKey"
    with pytest.raises(KeyError):
        store.get_bytes("a/y.png")
    assert len(recorder.requests) == 3  # missing: the direct answer says so, no second ask
