"""The requests a sync makes most, sent straight on http.client: small PUTs, GETs, HEADs and
listing pages (ListObjectsV2).

botocore spends some 1.4 ms of CPU on every call (event hooks, endpoint rules, its request and
response objects, and a second SHA-256 of a body whose digest the caller already has): on a
two-core computer that made the client, not the link, the bound of a large first sync
(issue 23; `benchmarks/bench_put_cost.py`). A direct PUT costs ~0.4 ms. And loading botocore
(its modules, the S3 model) costs a process ~0.1 s before its first request: a sync whose
requests all go this way never loads it (ecan.storage.s3 builds its client on first need).

It does only the easy case. Any other answer than the expected one (a 2xx; for a HEAD also a
404, for a GET also NoSuchKey), or no answer, and the caller sends the request again through
botocore, which knows every service's errors, retries, credential refreshes and redirects, so a
failure is reported exactly as before. PUT bodies are small (under the size that botocore would
ask "100 Continue" for), so sending a refused one twice costs little. Answers come back in the
shape botocore's parsed answers have, so the caller reads either the same way."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import logging
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple
from urllib.parse import quote, unquote_plus, urlsplit
from urllib.request import getproxies, proxy_bypass

from ecan import __version__

log = logging.getLogger(__name__)

_ALGORITHM = "AWS4-HMAC-SHA256"
PROBE = "ecan-probe"  # a key that needs no escaping: where it sits in a URL, any key sits
NO_ANSWER = 0
UNVERIFIED = "certificate"  # Answer.code when the service's certificate did not verify here
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_ERROR_CODE = re.compile(rb"<Code>([A-Za-z0-9.]{1,64})</Code>")
_MAX_ANSWER = 16 * 1024 * 1024  # a listing page of 1,000 keys is well under 1 MB
_META = "x-amz-meta-"


class Answer(NamedTuple):
    """The service's answer to a direct request: its status (NO_ANSWER: none came) and, for an
    error, the S3 error code its body names ("" if none; UNVERIFIED: no answer because the
    service's certificate did not verify)."""

    status: int
    code: str = ""

    @property
    def stored(self) -> bool:
        return 200 <= self.status < 300


class Credentials(NamedTuple):
    """What botocore's credentials freeze into (ReadOnlyCredentials has these fields)."""

    access_key: str
    secret_key: str
    token: str | None


class _Response(NamedTuple):
    status: int
    headers: http.client.HTTPMessage
    body: bytes


class DirectS3:
    """Requests to one bucket. Thread-safe: each thread keeps its own connection (kept alive
    where the service allows it, so a TLS handshake is paid once per thread)."""

    def __init__(self, probe_url: str, region: str,
                 credentials: Callable[[], Credentials | None], *, connect_timeout: float,
                 read_timeout: float, ssl_context: ssl.SSLContext | None = None) -> None:
        """`probe_url`: the URL of the key PROBE in the bucket (the addressing style and region
        applied); every key goes where PROBE sits in it, and the bucket is what precedes it."""
        url = urlsplit(probe_url.partition("?")[0])
        if not url.path.endswith("/" + PROBE) or url.scheme not in ("http", "https"):
            raise ValueError(f"unexpected object URL shape: {url.scheme}://{url.netloc}")
        self.scheme, self.host = url.scheme, url.netloc
        self._prefix = url.path[:-len(PROBE)]
        self.region = region
        self._credentials = credentials
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._ssl = ssl_context
        self._local = threading.local()
        self._keys: dict[tuple[str, str], bytes] = {}  # (secret, day) -> signing key
        self._agent = f"ecan/{__version__}"

    # -- the requests ---------------------------------------------------------------------

    def put(self, key: str, data: bytes, *, sha256: str, content_type: str,
            metadata: dict[str, str]) -> Answer:
        """PUT `data` (whose hex SHA-256 is `sha256`) at `key`. A 2xx answer means stored, and
        checked by the service against the SHA-256."""
        headers = {"content-type": content_type,
                   "x-amz-checksum-sha256": base64.b64encode(bytes.fromhex(sha256)).decode()}
        headers.update((_META + name.lower(), value) for name, value in metadata.items())
        answer, _ = self._send("PUT", self._prefix + _quote_key(key), {}, headers, data,
                               sha256, key)
        return answer

    def head(self, key: str) -> tuple[Answer, dict[str, Any] | None]:
        """HEAD `key`: its answer and, for a 200, the fields botocore's head_object gives
        (ContentLength, ContentType, LastModified, ETag, Metadata)."""
        answer, response = self._send("HEAD", self._prefix + _quote_key(key), {}, {}, b"",
                                      _EMPTY_SHA256, key)
        if response is None or answer.status != 200:
            return answer, None
        try:
            return answer, _head_fields(response.headers)
        except (KeyError, TypeError, ValueError):
            return Answer(answer.status, "unreadable"), None

    def get(self, key: str) -> tuple[Answer, dict[str, Any] | None]:
        """GET `key`: its answer and, for a 200, the fields botocore's get_object gives, with a
        Body to read (or close) before this thread's next request."""
        answer, response = self._open("GET", self._prefix + _quote_key(key), {}, {}, b"",
                                      _EMPTY_SHA256, key)
        if response is None:
            return answer, None
        if response.status != 200:
            return self._read_whole(response, "GET", key)[0], None
        try:
            fields = _head_fields(response.msg)
        except (KeyError, TypeError, ValueError):
            response.close()
            self._drop()
            return Answer(200, "unreadable"), None
        fields["Body"] = _Body(response, fields["ContentLength"], key,
                               lambda: self._finished(response))
        return answer, fields

    def _finished(self, response: http.client.HTTPResponse) -> None:
        """A GET's body is done with: its connection serves the thread's next request if the
        body was read to its end and the service keeps it open; else it is dropped."""
        if not response.isclosed() or response.will_close:
            self._drop()

    def list_objects(self, prefix: str, *, max_keys: int, start_after: str = "",
                     token: str = "") -> tuple[Answer, dict[str, Any] | None]:
        """One ListObjectsV2 page: its answer and, for a 200 that reads as one, the fields
        botocore's list_objects_v2 gives (Contents with Key/Size/LastModified, IsTruncated,
        NextContinuationToken)."""
        # Keys come back URL-encoded, as botocore asks for them: XML cannot carry every byte a
        # key may hold.
        query = {"list-type": "2", "prefix": prefix, "max-keys": str(max_keys),
                 "encoding-type": "url"}
        if start_after:
            query["start-after"] = start_after
        if token:
            query["continuation-token"] = token
        answer, response = self._send("GET", self._prefix.rstrip("/") or "/", query, {}, b"",
                                      _EMPTY_SHA256, prefix)
        if response is None or answer.status != 200:
            return answer, None
        page = _listing(response.body)
        return (answer, page) if page is not None else (Answer(200, "unreadable"), None)

    # -- signing and sending ---------------------------------------------------------------

    def signed_headers(self, method: str, path: str, query: Mapping[str, str],
                       headers: Mapping[str, str], *, payload_sha256: str,
                       creds: Credentials, amz_date: str) -> dict[str, str]:
        """`headers` with the host, date, payload hash and SigV4 Authorization (AWS's
        "Signature Version 4" for S3, the payload signed by its SHA-256) added."""
        signed = {"host": self.host, **headers, "x-amz-content-sha256": payload_sha256,
                  "x-amz-date": amz_date}
        if creds.token:
            signed["x-amz-security-token"] = creds.token
        names = sorted(signed)
        canonical = "\n".join([method, path, _canonical_query(query),
                               *(f"{n}:{' '.join(signed[n].split())}" for n in names), "",
                               ";".join(names), payload_sha256])
        day = amz_date[:8]
        scope = f"{day}/{self.region}/s3/aws4_request"
        to_sign = "\n".join([_ALGORITHM, amz_date, scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        signature = hmac.new(self._signing_key(creds.secret_key, day), to_sign.encode(),
                             hashlib.sha256).hexdigest()
        signed["authorization"] = (f"{_ALGORITHM} Credential={creds.access_key}/{scope}, "
                                   f"SignedHeaders={';'.join(names)}, Signature={signature}")
        return signed

    def _send(self, method: str, path: str, query: Mapping[str, str],
              headers: Mapping[str, str], body: bytes, payload_sha256: str,
              about: str) -> tuple[Answer, _Response | None]:
        """The request, and its answer read whole."""
        answer, response = self._open(method, path, query, headers, body, payload_sha256, about)
        if response is None:
            return answer, None
        return self._read_whole(response, method, about)

    def _open(self, method: str, path: str, query: Mapping[str, str],
              headers: Mapping[str, str], body: bytes, payload_sha256: str,
              about: str) -> tuple[Answer, http.client.HTTPResponse | None]:
        """Send the request; the response, its body not read yet (None: no answer, said why)."""
        creds = self._credentials()
        if creds is None:
            return Answer(NO_ANSWER), None
        signed = self.signed_headers(method, path, query, headers, payload_sha256=payload_sha256,
                                     creds=creds,
                                     amz_date=time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()))
        signed["User-Agent"] = self._agent
        target = f"{path}?{_canonical_query(query)}" if query else path
        # A kept-alive connection the service has closed meanwhile fails at once: that one
        # attempt is made again on a new connection (every request here is idempotent).
        for fresh in (getattr(self._local, "conn", None) is None, True):
            try:
                conn = self._connection()
                conn.request(method, target, body=body if method == "PUT" else None,
                             headers=signed)
                response = conn.getresponse()
            except ssl.SSLCertVerificationError:
                log.info("direct %s of %s: the service's certificate did not verify", method,
                         about)
                self._drop()
                return Answer(NO_ANSWER, UNVERIFIED), None
            except (OSError, http.client.HTTPException) as e:
                log.debug("direct %s of %s got no answer (%s)", method, about, type(e).__name__)
                self._drop()
                if fresh or isinstance(e, TimeoutError):
                    return Answer(NO_ANSWER), None
                continue
            return Answer(response.status), response
        return Answer(NO_ANSWER), None

    def _read_whole(self, response: http.client.HTTPResponse, method: str,
                    about: str) -> tuple[Answer, _Response | None]:
        try:
            data = response.read(_MAX_ANSWER + 1)
        except (OSError, http.client.HTTPException) as e:
            log.debug("direct %s of %s: the answer broke off (%s)", method, about,
                      type(e).__name__)
            self._drop()
            return Answer(NO_ANSWER), None
        if response.will_close or len(data) > _MAX_ANSWER:
            self._drop()
        if len(data) > _MAX_ANSWER:
            return Answer(response.status, "unreadable"), None
        code = _ERROR_CODE.search(data) if response.status >= 300 else None
        return (Answer(response.status, code.group(1).decode("ascii", "replace") if code
                       else ""), _Response(response.status, response.msg, data))

    def _signing_key(self, secret: str, day: str) -> bytes:
        key = self._keys.get((secret, day))
        if key is None:
            key = ("AWS4" + secret).encode()
            for part in (day, self.region, "s3", "aws4_request"):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            self._keys = {(secret, day): key}  # one at a time: keys rotate, days pass
        return key

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self.scheme == "https":
                conn = http.client.HTTPSConnection(self.host, timeout=self._connect_timeout,
                                                   context=self._ssl)
            else:
                conn = http.client.HTTPConnection(self.host, timeout=self._connect_timeout)
            conn.connect()
            if conn.sock is not None:
                conn.sock.settimeout(self._read_timeout)
            self._local.conn = conn
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.close()


class _Body:
    """A direct GET's body, read from the connection as the caller reads it (what botocore's
    StreamingBody offers the callers here: read, iter_chunks, close). A body that stops short
    of its Content-Length, or a connection lost midway, reads as the storage stopping to
    answer, as botocore's does: a passing problem, retried."""

    def __init__(self, response: http.client.HTTPResponse, length: int, key: str,
                 finished: Callable[[], None]) -> None:
        self._response = response
        self._left = length
        self._key = key
        self._finished = finished
        self._closed = False

    def read(self, amt: int | None = None) -> bytes:
        try:
            data = self._response.read(amt)
        except (OSError, http.client.HTTPException):
            self.close()
            raise self._broken() from None
        self._left -= len(data)
        if (not data and self._left > 0 and amt != 0) or self._left < 0:
            self.close()
            raise self._broken()
        return data

    def iter_chunks(self, chunk_size: int) -> Iterator[bytes]:
        while chunk := self.read(chunk_size):
            yield chunk

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._finished()

    def _broken(self) -> Exception:
        from ecan.storage.errors import TransientStorageError

        return TransientStorageError(
            "storage_timeout", f"The storage service stopped sending {self._key} midway.",
            "This is usually a passing network problem; ecan retries.")


def _quote_key(key: str) -> str:
    return quote(key, safe="/~")


def _canonical_query(query: Mapping[str, str]) -> str:
    return "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
                    for k, v in sorted(query.items()))


def _head_fields(headers: http.client.HTTPMessage) -> dict[str, Any]:
    modified = headers.get("Last-Modified")
    return {"ContentLength": int(headers["Content-Length"]),
            "ContentType": headers.get("Content-Type"),
            "LastModified": parsedate_to_datetime(modified) if modified else None,
            "ETag": headers.get("ETag", ""),
            "Metadata": {name[len(_META):].lower(): value for name, value in headers.items()
                         if name.lower().startswith(_META)}}


def _listing(body: bytes) -> dict[str, Any] | None:
    """A ListObjectsV2 answer's fields, or None if it does not read as one."""
    from xml.etree import ElementTree

    try:
        root = ElementTree.fromstring(body)
        ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
        if root.tag != ns + "ListBucketResult":
            return None
        decode = unquote_plus if root.findtext(ns + "EncodingType") == "url" else str
        contents = []
        for item in root.iterfind(ns + "Contents"):
            key, modified = item.findtext(ns + "Key"), item.findtext(ns + "LastModified")
            if not key:
                return None
            contents.append({"Key": decode(key), "Size": int(item.findtext(ns + "Size") or 0),
                             "LastModified": _iso_time(modified) if modified else None})
        return {"Contents": contents,
                "IsTruncated": root.findtext(ns + "IsTruncated") == "true",
                "NextContinuationToken": root.findtext(ns + "NextContinuationToken")}
    except (ElementTree.ParseError, ValueError):
        return None


def _iso_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def object_url(endpoint_url: str, bucket: str, region: str) -> str | None:
    """The URL of the key PROBE, as botocore builds it, where ecan's own settings decide it:
    path style on a configured endpoint (ecan asks botocore for path style there), and AWS's
    virtual-hosted name for a bucket whose name allows it. None where botocore's endpoint rules
    are needed (an endpoint with a path of its own, a bucket name with dots, a region outside
    AWS's standard partition, FIPS, dual-stack or accelerated endpoints asked for in the
    environment): the direct path then stands aside."""
    import os

    if endpoint_url:
        parts = urlsplit(endpoint_url)
        if parts.scheme not in ("http", "https") or parts.path.strip("/") or parts.query:
            return None
        return f"{parts.scheme}://{parts.netloc}/{quote(bucket)}/{PROBE}"
    if any(os.environ.get(name, "").lower() == "true"
           for name in ("AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT",
                        "AWS_S3_USE_ACCELERATE_ENDPOINT")):
        return None
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]", bucket) \
            or not re.fullmatch(r"(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-\d{1,2}", region):
        return None
    # us-east-1 keeps AWS's legacy global name unless told otherwise, as botocore does.
    legacy = region == "us-east-1" and os.environ.get(
        "AWS_S3_US_EAST_1_REGIONAL_ENDPOINT", "").lower() != "regional"
    return f"https://{bucket}.{'s3' if legacy else f's3.{region}'}.amazonaws.com/{PROBE}"


def proxied(url: str) -> bool:
    """Whether the environment sends requests to `url` through a proxy (botocore honours
    HTTP(S)_PROXY and NO_PROXY; the direct path has no proxy support, so it stands aside)."""
    parts = urlsplit(url)
    return bool(getproxies().get(parts.scheme)) and not proxy_bypass(parts.hostname or "")


def frozen(credentials: Any) -> Credentials | None:
    """botocore credentials (refreshed first when due), or None when there are none."""
    if credentials is None:
        return None
    creds = credentials.get_frozen_credentials()
    return Credentials(creds.access_key, creds.secret_key, creds.token)
