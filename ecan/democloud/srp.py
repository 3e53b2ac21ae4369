"""SRP sign-in that checks the password: a WSGI middleware in front of moto, whose USER_SRP_AUTH
sends a random SRP_B and then accepts any PASSWORD_CLAIM_SIGNATURE (so a wrong password signs
in). This plays the server's side of Cognito's SRP-6a the way the real service does: it sends a
real B for the user's verifier and refuses a claim signature that does not prove the password.

The maths mirrors pycognito's client (`pycognito.aws_srp`, whose helpers it reuses): the
verifier's x is H(salt | H(pool suffix + USER_ID_FOR_SRP + ":" + password)).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# (app client id, username) -> (its user pool id, the user's current password), or None.
PasswordLookup = Callable[[str, str], "tuple[str, str] | None"]

_IDP = "AWSCognitoIdentityProviderService."
_JSON = "application/x-amz-json-1.1"
_CHALLENGE_TTL_S = 300  # a pending challenge older than this is forgotten (Cognito: minutes)


@dataclass(frozen=True)
class _Pending:
    pool_id: str
    user_id_for_srp: str
    big_a: int
    small_b: int
    big_b: int
    verifier: int
    created: float


class SrpVerifier:
    """WSGI middleware: makes moto's PASSWORD_VERIFIER challenge a real SRP exchange.

    `password_of(client_id, username)` reads the user's pool and password from moto (which
    keeps passwords in clear; the real service keeps only the verifier derived here)."""

    def __init__(self, app: WSGIApp, password_of: PasswordLookup,
                 clock: Callable[[], float] = time.time) -> None:
        self._app = app
        self._password_of = password_of
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: dict[str, _Pending] = {}  # SECRET_BLOCK -> the challenge it belongs to

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target not in (_IDP + "InitiateAuth", _IDP + "RespondToAuthChallenge"):
            return self._app(environ, start_response)
        body = _read_body(environ)
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            request = None
        if not isinstance(request, dict):
            return self._app(environ, start_response)  # moto explains what is wrong
        if target == _IDP + "InitiateAuth" and request.get("AuthFlow") == "USER_SRP_AUTH":
            return self._initiate(environ, start_response, request)
        if target == _IDP + "RespondToAuthChallenge" and \
                request.get("ChallengeName") == "PASSWORD_VERIFIER":
            if not self._claim_is_valid(request):
                return _error(start_response, "NotAuthorizedException",
                              "Incorrect username or password.")
        return self._app(environ, start_response)

    # -- InitiateAuth: replace moto's random B with a real one ---------------------------------

    def _initiate(self, environ: dict[str, Any], start_response: Callable[..., Any],
                  request: dict[str, Any]) -> Iterable[bytes]:
        from pycognito.aws_srp import G_HEX, N_HEX, get_random, hex_hash, hex_to_long, long_to_hex

        status, headers, body = _call(self._app, environ)
        if not status.startswith("200"):
            return _respond(start_response, status, headers, body)
        response = json.loads(body)
        params = response.get("ChallengeParameters") or {}
        srp_a = (request.get("AuthParameters") or {}).get("SRP_A", "")
        found = self._password_of(str(request.get("ClientId", "")), str(params.get("USERNAME", "")))
        try:
            big_a = hex_to_long(srp_a)
        except (TypeError, ValueError):
            big_a = 0
        big_n, g = hex_to_long(N_HEX), hex_to_long(G_HEX)
        if response.get("ChallengeName") != "PASSWORD_VERIFIER" or found is None or \
                big_a % big_n == 0:
            return _error(start_response, "NotAuthorizedException",
                          "Incorrect username or password.")
        pool_id, password = found
        k = hex_to_long(hex_hash("00" + N_HEX + "0" + G_HEX))
        verifier = pow(g, _x(pool_id, params["USER_ID_FOR_SRP"], password, params["SALT"]), big_n)
        small_b = get_random(128) % big_n
        big_b = (k * verifier + pow(g, small_b, big_n)) % big_n
        params["SRP_B"] = long_to_hex(big_b)
        now = self._clock()
        with self._lock:
            self._pending = {s: p for s, p in self._pending.items()
                             if now - p.created < _CHALLENGE_TTL_S}
            self._pending[params["SECRET_BLOCK"]] = _Pending(
                pool_id, params["USER_ID_FOR_SRP"], big_a, small_b, big_b, verifier, now)
        return _respond(start_response, status, headers, json.dumps(response).encode())

    # -- RespondToAuthChallenge: check the proof ---------------------------------------------

    def _claim_is_valid(self, request: dict[str, Any]) -> bool:
        from pycognito.aws_srp import (
            N_HEX,
            calculate_u,
            compute_hkdf,
            hex_to_long,
            long_to_hex,
            pad_hex,
        )

        answers = request.get("ChallengeResponses") or {}
        block = answers.get("PASSWORD_CLAIM_SECRET_BLOCK", "")
        with self._lock:
            pending = self._pending.pop(block, None)  # a challenge is answered once
        if pending is None or self._clock() - pending.created >= _CHALLENGE_TTL_S:
            return False
        big_n = hex_to_long(N_HEX)
        u = calculate_u(pending.big_a, pending.big_b)
        if u == 0:
            return False
        secret = pow(pending.big_a * pow(pending.verifier, u, big_n), pending.small_b, big_n)
        key = compute_hkdf(bytearray.fromhex(pad_hex(secret)),
                           bytearray.fromhex(pad_hex(long_to_hex(u))))
        message = (pending.pool_id.split("_", 1)[1].encode() + pending.user_id_for_srp.encode()
                   + base64.standard_b64decode(block) + str(answers.get("TIMESTAMP", "")).encode())
        expected = base64.standard_b64encode(hmac.new(key, message, hashlib.sha256).digest())
        claimed = str(answers.get("PASSWORD_CLAIM_SIGNATURE", "")).encode()
        return hmac.compare_digest(expected, claimed)


def _x(pool_id: str, user_id_for_srp: str, password: str, salt_hex: str) -> int:
    from pycognito.aws_srp import hash_sha256, hex_hash, hex_to_long, pad_hex

    inner = hash_sha256(f"{pool_id.split('_', 1)[1]}{user_id_for_srp}:{password}".encode())
    return int(hex_to_long(hex_hash(pad_hex(salt_hex) + inner)))


def _read_body(environ: dict[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body: bytes = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)  # moto reads it again
    return body


def _call(app: WSGIApp, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """Run `app` and collect its whole response."""
    captured: dict[str, Any] = {}
    chunks: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]],
                       exc_info: Any = None) -> Callable[[bytes], None]:
        captured["status"], captured["headers"] = status, headers
        return chunks.append

    result = app(environ, start_response)
    try:
        chunks.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return captured["status"], captured["headers"], b"".join(chunks)


def _respond(start_response: Callable[..., Any], status: str, headers: list[tuple[str, str]],
             body: bytes) -> Iterable[bytes]:
    kept = [(k, v) for k, v in headers if k.lower() != "content-length"]
    start_response(status, [*kept, ("Content-Length", str(len(body)))])
    return [body]


def _error(start_response: Callable[..., Any], code: str, message: str) -> Iterable[bytes]:
    body = json.dumps({"__type": code, "message": message}).encode()
    return _respond(start_response, "400 Bad Request",
                    [("Content-Type", _JSON), ("x-amzn-ErrorType", code),
                     ("x-amzn-RequestId", str(uuid.uuid4()))], body)
