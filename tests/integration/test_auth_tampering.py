"""A sign-in service that hands out tokens signed by the wrong key (tampered), and a clock so
far off that fresh credentials look expired: clear messages, nothing half-kept. The local
Cognito runs behind a small HTTP relay that plays those faults."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ecan.auth.cloud import CloudAccess
from ecan.auth.secrets import MemoryKeyring
from ecan.auth.session import AuthService
from ecan.db import Database
from ecan.errors import UserFacingError
from ecan.paths import AppPaths
from tests.integration.test_auth_cognito import CloudInfo, cognito_cloud, make_config

__all__ = ["cognito_cloud"]


def _foreign_jwks() -> dict[str, Any]:
    """A key set with the same key id as the pool's but another key: every genuine token
    then fails verification, exactly as a tampered one does."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    jwk = json.loads(RSAAlgorithm.to_jwk(key))
    jwk.update({"kid": "dummy", "alg": "RS256", "use": "sig"})
    return {"keys": [jwk]}


class Relay(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _RelayHandler)
        self.upstream = upstream
        self.forge_keys = False
        self.skew_credentials = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _RelayHandler(BaseHTTPRequestHandler):
    server: Relay

    def log_message(self, *_args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _forward(self, body: bytes | None) -> tuple[int, bytes, str]:
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("host", "content-length", "connection")}
        req = urllib.request.Request(self.server.upstream + self.path, data=body,
                                     headers=headers, method=self.command)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.read(), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers.get("Content-Type", "")

    def do_GET(self) -> None:  # noqa: N802
        if self.server.forge_keys and self.path.endswith("/jwks.json"):
            self._send(200, json.dumps(_foreign_jwks()).encode(), "application/json")
            return
        self._send(*self._forward(None))

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status, data, ctype = self._forward(body)
        target = self.headers.get("X-Amz-Target", "")
        if (self.server.skew_credentials and target.endswith(".GetCredentialsForIdentity")
                and status == 200):
            doc = json.loads(data)
            # What a computer whose clock runs an hour fast sees: credentials already expired.
            doc["Credentials"]["Expiration"] = time.time() - 600
            data = json.dumps(doc).encode()
        self._send(status, data, ctype)


@pytest.fixture
def relay(cognito_cloud: CloudInfo) -> Iterator[Relay]:
    server = Relay(cognito_cloud.endpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return Database(tmp_path / "home" / "ecan.sqlite3")


def test_tokens_that_do_not_verify_are_refused(cognito_cloud: CloudInfo, relay: Relay,
                                               db: Database) -> None:
    relay.forge_keys = True
    keyring = MemoryKeyring()
    auth = AuthService(make_config(cognito_cloud, endpoint=relay.url), db,
                       keyring_backend=keyring)
    alice = cognito_cloud.users[0]
    with pytest.raises(UserFacingError) as info:
        auth.sign_in(alice.username, alice.password)
    assert info.value.code == "token_invalid"
    assert "COGNITO.USER_POOL_ID" in info.value.hint
    assert keyring.entries == {} and not auth.status()["signed_in"]


def test_tampered_refresh_token_means_sign_in_again(cognito_cloud: CloudInfo,
                                                    db: Database) -> None:
    keyring = MemoryKeyring()
    config = make_config(cognito_cloud)
    alice = cognito_cloud.users[0]
    AuthService(config, db, keyring_backend=keyring).sign_in(alice.username, alice.password)
    [(key, raw)] = keyring.entries.items()
    blob = json.loads(raw)
    blob["refresh_token"] = blob["refresh_token"][::-1]
    keyring.entries[key] = json.dumps(blob)
    later = AuthService(config, db, keyring_backend=keyring)
    assert later.restore() is False
    assert later.status()["session_expired"] is True


def test_clock_skew_is_named_and_keeps_work_queued(cognito_cloud: CloudInfo, relay: Relay,
                                                   db: Database, tmp_path: Path) -> None:
    relay.skew_credentials = True
    config = make_config(cognito_cloud, endpoint=relay.url)
    auth = AuthService(config, db, keyring_backend=MemoryKeyring())
    alice = cognito_cloud.users[0]
    auth.sign_in(alice.username, alice.password)
    cloud = CloudAccess(config, AppPaths(tmp_path / "home"), auth).open()
    with pytest.raises(UserFacingError) as info:
        cloud.store.put_bytes(cloud.layout.root + "skew.txt", b"x", content_type="text/plain")
    err = info.value
    assert err.code == "clock_skew" and "clock" in err.hint
    assert getattr(err, "retryable", False) is True  # the sync engine retries, never fails
    assert auth.status()["signed_in"] is True  # a clock problem is not a sign-out
