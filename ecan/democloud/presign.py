"""Presigned S3 URLs for the local cloud: a WSGI middleware in front of moto, which under IAM
enforcement cannot authenticate query-string (presigned) requests at all. This checks a
presigned request the way S3 does (SigV4 signature, X-Amz-Expires, session token) and hands it
on to moto signed in the header instead, so moto still applies the key's IAM policy."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, unquote

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# access key id -> (secret key, session token or None), for keys this cloud knows.
SecretLookup = Callable[[str], "tuple[str, str | None] | None"]

_ALGORITHM = "AWS4-HMAC-SHA256"
_AUTH_PARAMS = {"x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires",
                "x-amz-signedheaders", "x-amz-signature", "x-amz-security-token"}
_MAX_EXPIRES_S = 7 * 24 * 3600


class PresignedUrls:
    def __init__(self, app: WSGIApp, secret_of: SecretLookup,
                 clock: Callable[[], float] = time.time) -> None:
        self._app = app
        self._secret_of = secret_of
        self._clock = clock

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        query = environ.get("QUERY_STRING", "")
        if "X-Amz-Signature=" not in query or environ.get("HTTP_AUTHORIZATION"):
            return self._app(environ, start_response)
        problem = self._rewrite(environ)
        if problem:
            code, message = problem
            return _error(start_response, code, message)
        return self._app(environ, start_response)

    def _rewrite(self, environ: dict[str, Any]) -> tuple[str, str] | None:
        """Verify the presigned request; on success turn it into a header-signed one in place.
        Returns (code, message) of S3's error otherwise."""
        pairs = _raw_pairs(environ.get("QUERY_STRING", ""))
        params = {unquote(k).lower(): unquote(v) for k, v in pairs}
        try:
            key_id, date, region, service, _ = params["x-amz-credential"].split("/")
            amz_date = params["x-amz-date"]
            expires = int(params["x-amz-expires"])
            signed = params["x-amz-signedheaders"].split(";")
            signature = params["x-amz-signature"]
            when = dt.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        except (KeyError, ValueError):
            return "AuthorizationQueryParametersError", "The presigned URL is malformed."
        if params.get("x-amz-algorithm") != _ALGORITHM or not 1 <= expires <= _MAX_EXPIRES_S:
            return "AuthorizationQueryParametersError", "The presigned URL is malformed."
        known = self._secret_of(key_id)
        if known is None:
            return "InvalidAccessKeyId", \
                "The AWS Access Key Id you provided does not exist in our records."
        secret, token = known
        if token is not None and params.get("x-amz-security-token") != token:
            return "InvalidToken", "The provided token is malformed or otherwise invalid."
        headers = {h: _header(environ, h) for h in signed}
        canonical = "\n".join([
            environ.get("REQUEST_METHOD", "GET"),
            _raw_path(environ),
            "&".join(sorted(f"{_enc(unquote(k))}={_enc(unquote(v))}" for k, v in pairs
                            if unquote(k).lower() != "x-amz-signature")),
            "".join(f"{h}:{headers[h]}\n" for h in signed),
            ";".join(signed),
            "UNSIGNED-PAYLOAD",
        ])
        scope = f"{date}/{region}/{service}/aws4_request"
        to_sign = "\n".join([_ALGORITHM, amz_date, scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        k = _hmac(("AWS4" + secret).encode(), date)
        for part in (region, service, "aws4_request"):
            k = _hmac(k, part)
        expected = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return "SignatureDoesNotMatch", ("The request signature we calculated does not "
                                             "match the signature you provided.")
        if self._clock() > when.timestamp() + expires:
            return "AccessDenied", "Request has expired"
        self._sign_in_header(environ, key_id, secret, token, region)
        return None

    def _sign_in_header(self, environ: dict[str, Any], key_id: str, secret: str,
                        token: str | None, region: str) -> None:
        from botocore.auth import S3SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        rest = "&".join(part for part in environ.get("QUERY_STRING", "").split("&")
                        if part and unquote(part.partition("=")[0]).lower() not in _AUTH_PARAMS)
        host = environ.get("HTTP_HOST", "")
        url = f"http://{host}{_raw_path(environ)}" + (f"?{rest}" if rest else "")
        request = AWSRequest(method=environ.get("REQUEST_METHOD", "GET"), url=url,
                             headers={"host": host})
        request.context["payload_signing_enabled"] = False  # UNSIGNED-PAYLOAD, as presigned
        S3SigV4Auth(Credentials(key_id, secret, token), "s3", region).add_auth(request)
        environ["QUERY_STRING"] = rest
        for name, value in request.headers.items():
            if name.lower() != "host":
                environ["HTTP_" + name.upper().replace("-", "_")] = value


def _raw_pairs(query: str) -> list[tuple[str, str]]:
    pairs = []
    for part in query.split("&"):
        if part:
            k, _, v = part.partition("=")
            pairs.append((k, v))
    return pairs


def _raw_path(environ: dict[str, Any]) -> str:
    # The path as sent (still percent-encoded), which is what S3 signs.
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return str(raw).split("?", 1)[0]
    return quote(environ.get("PATH_INFO", "/"), safe="/-_.~")


def _header(environ: dict[str, Any], name: str) -> str:
    if name == "host":
        return str(environ.get("HTTP_HOST", ""))
    key = "CONTENT_TYPE" if name == "content-type" else \
        "CONTENT_LENGTH" if name == "content-length" else "HTTP_" + name.upper().replace("-", "_")
    return " ".join(str(environ.get(key, "")).split())


def _enc(value: str) -> str:
    return quote(value, safe="-_.~")


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def _error(start_response: Callable[..., Any], code: str, message: str) -> Iterable[bytes]:
    status = "400 Bad Request" if code == "AuthorizationQueryParametersError" else "403 Forbidden"
    data = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message></Error>").encode()
    start_response(status, [("Content-Type", "application/xml"),
                            ("Content-Length", str(len(data)))])
    return [data]
