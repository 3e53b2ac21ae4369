"""A small S3 PUT sent straight on http.client: the request a first sync makes twice per avatar.

botocore spends some 1.4 ms of CPU on every call (event hooks, endpoint rules, its request and
response objects, and a second SHA-256 of a body whose digest the caller already has): on a
two-core computer that makes the client, not the link, the bound of a large first sync
(issue 23; `benchmarks/bench_put_cost.py`). This sends the same request (SigV4 with the payload's
SHA-256, x-amz-checksum-sha256 for S3 to check the body against, the metadata) for ~0.4 ms.

It does only the easy case. Any answer but a 2xx, or no answer, and the caller sends the PUT
again through botocore, which knows every service's errors, retries, credential refreshes and
redirects, so a failure is reported exactly as before. Bodies are small (under the size that
botocore would ask "100 Continue" for), so sending a refused one twice costs little."""

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
from collections.abc import Callable
from typing import Any, NamedTuple
from urllib.parse import quote, urlsplit
from urllib.request import getproxies, proxy_bypass

from ecan import __version__

log = logging.getLogger(__name__)

_ALGORITHM = "AWS4-HMAC-SHA256"
PROBE = "ecan-probe"  # a key that needs no escaping: where it sits in a URL, any key sits
NO_ANSWER = 0
_ERROR_CODE = re.compile(rb"<Code>([A-Za-z0-9.]{1,64})</Code>")


class Answer(NamedTuple):
    """The service's answer to a direct PUT: its status (NO_ANSWER: none came) and, for an
    error, the S3 error code its body names ("" if none)."""

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


class DirectPut:
    """PUTs of small bodies to one bucket. Thread-safe: each thread keeps its own connection
    (kept alive where the service allows it, so a TLS handshake is paid once per thread)."""

    def __init__(self, probe_url: str, region: str,
                 credentials: Callable[[], Credentials | None], *, connect_timeout: float,
                 read_timeout: float, ssl_context: ssl.SSLContext | None = None) -> None:
        """`probe_url`: the URL botocore would PUT the key PROBE to (its endpoint rules,
        addressing style and region applied); every key goes where PROBE sits in it."""
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

    def put(self, key: str, data: bytes, *, sha256: str, content_type: str,
            metadata: dict[str, str]) -> Answer:
        """PUT `data` (whose hex SHA-256 is `sha256`) at `key`. A 2xx answer means stored, and
        checked by the service against the SHA-256."""
        creds = self._credentials()
        if creds is None:
            return Answer(NO_ANSWER)
        path = self._prefix + quote(key, safe="/~")
        headers = self.signed_headers(path, sha256=sha256, content_type=content_type,
                                      metadata=metadata, creds=creds,
                                      amz_date=time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()))
        headers["User-Agent"] = self._agent
        # A kept-alive connection the service has closed meanwhile fails at once: that one
        # attempt is made again on a new connection (the PUT is idempotent).
        for fresh in (getattr(self._local, "conn", None) is None, True):
            try:
                conn = self._connection()
                conn.request("PUT", path, body=data, headers=headers)
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as e:
                log.debug("direct PUT of %s got no answer (%s)", key, type(e).__name__)
                self._drop()
                if fresh or isinstance(e, TimeoutError):
                    return Answer(NO_ANSWER)
                continue
            if response.will_close:
                self._drop()
            code = _ERROR_CODE.search(body) if response.status >= 300 else None
            return Answer(response.status, code.group(1).decode("ascii", "replace") if code
                          else "")
        return Answer(NO_ANSWER)

    def signed_headers(self, path: str, *, sha256: str, content_type: str,
                       metadata: dict[str, str], creds: Credentials,
                       amz_date: str) -> dict[str, str]:
        """The request's headers with its SigV4 Authorization (AWS's "Signature Version 4"
        for S3, the payload signed by its SHA-256)."""
        checksum = base64.b64encode(bytes.fromhex(sha256)).decode()
        signed = {"host": self.host, "content-type": content_type,
                  "x-amz-checksum-sha256": checksum, "x-amz-content-sha256": sha256,
                  "x-amz-date": amz_date}
        signed.update((f"x-amz-meta-{name.lower()}", value) for name, value in metadata.items())
        if creds.token:
            signed["x-amz-security-token"] = creds.token
        names = sorted(signed)
        canonical = "\n".join(["PUT", path, "", *(f"{n}:{' '.join(signed[n].split())}"
                                                  for n in names), "", ";".join(names), sha256])
        day = amz_date[:8]
        scope = f"{day}/{self.region}/s3/aws4_request"
        to_sign = "\n".join([_ALGORITHM, amz_date, scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        signature = hmac.new(self._signing_key(creds.secret_key, day), to_sign.encode(),
                             hashlib.sha256).hexdigest()
        signed["authorization"] = (f"{_ALGORITHM} Credential={creds.access_key}/{scope}, "
                                   f"SignedHeaders={';'.join(names)}, Signature={signature}")
        return signed

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
