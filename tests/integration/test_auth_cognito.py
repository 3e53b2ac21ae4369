"""Sign-in, session restore, sign-out and credentials against a real local Cognito (moto server
on 127.0.0.1), with real SQLite files and an in-memory keyring."""

from __future__ import annotations

import io
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ecan.auth.cloud import CloudAccess
from ecan.auth.secrets import MemoryKeyring
from ecan.auth.session import AuthService
from ecan.config import CognitoConfig, Config, StorageConfig
from ecan.db import Database
from ecan.errors import AuthRequired, UserFacingError
from ecan.paths import AppPaths
from ecan.storage.keys import validate_identity_id

REGION = "us-east-1"


@dataclass
class User:
    username: str
    password: str


@dataclass
class CloudInfo:
    """The shape of the demo cloud's info (endpoint, pool ids, bucket, users)."""

    endpoint: str
    region: str
    user_pool_id: str
    client_id: str
    identity_pool_id: str
    bucket: str
    users: list[User]
    unconfirmed: User
    admin: Any = field(repr=False)  # a boto3 cognito-idp client with admin rights


@pytest.fixture(scope="session")
def cognito_cloud() -> Iterator[CloudInfo]:
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    kw = {"endpoint_url": endpoint, "region_name": REGION, "aws_access_key_id": "admin",
          "aws_secret_access_key": "admin"}
    idp = boto3.client("cognito-idp", **kw)
    pool = idp.create_user_pool(PoolName="ecan-test")["UserPool"]["Id"]
    client = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="ecan",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH",
                           "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]["ClientId"]
    users = [User("alice", "Alice-pw-1234!"), User("bob", "Bob-pw-5678!")]
    for u in users:
        idp.admin_create_user(UserPoolId=pool, Username=u.username)
        idp.admin_set_user_password(UserPoolId=pool, Username=u.username, Password=u.password,
                                    Permanent=True)
    carol = User("carol", "Carol-pw-9999!")
    idp.sign_up(ClientId=client, Username=carol.username, Password=carol.password)
    ident = boto3.client("cognito-identity", **kw)
    provider = f"cognito-idp.{REGION}.amazonaws.com/{pool}"
    ipool = ident.create_identity_pool(
        IdentityPoolName="ecan", AllowUnauthenticatedIdentities=False,
        CognitoIdentityProviders=[{"ProviderName": provider, "ClientId": client}],
    )["IdentityPoolId"]
    s3 = boto3.client("s3", **kw)
    s3.create_bucket(Bucket="ecan-avatars")
    yield CloudInfo(endpoint, REGION, pool, client, ipool, "ecan-avatars", users, carol, idp)
    server.stop()


def make_config(cloud: CloudInfo, *, flow: str = "USER_PASSWORD_AUTH", endpoint: str = "",
                **storage: Any) -> Config:
    return Config(
        cognito=CognitoConfig(user_pool_id=cloud.user_pool_id, client_id=cloud.client_id,
                              identity_pool_id=cloud.identity_pool_id, region=cloud.region,
                              endpoint_url=endpoint or cloud.endpoint, auth_flow=flow),
        storage=StorageConfig(**{"backend": "s3", "bucket": cloud.bucket, "region": cloud.region,
                                 "endpoint_url": cloud.endpoint, **storage}))


def write_config(cloud: CloudInfo, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "COGNITO:\n"
        f"  USER_POOL_ID: {cloud.user_pool_id}\n  CLIENT_ID: {cloud.client_id}\n"
        f"  IDENTITY_POOL_ID: '{cloud.identity_pool_id}'\n  REGION: {cloud.region}\n"
        f"  ENDPOINT_URL: {cloud.endpoint}\n  AUTH_FLOW: USER_PASSWORD_AUTH\n"
        "STORAGE:\n"
        f"  BACKEND: s3\n  BUCKET: {cloud.bucket}\n  REGION: {cloud.region}\n"
        f"  ENDPOINT_URL: {cloud.endpoint}\n")


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return Database(tmp_path / "home" / "ecan.sqlite3")


def test_sign_in_restore_and_sign_out(cognito_cloud: CloudInfo, db: Database) -> None:
    alice = cognito_cloud.users[0]
    config = make_config(cognito_cloud)
    keyring = MemoryKeyring()
    auth = AuthService(config, db, keyring_backend=keyring)
    assert auth.status()["signed_in"] is False

    data = auth.sign_in(alice.username, alice.password)
    identity = validate_identity_id(data["identity_id"])
    assert identity.startswith(f"{REGION}:")
    assert auth.status() == {"signed_in": True, "username": "alice", "identity_id": identity,
                             "keyring": "memory", "keyring_notice": None,
                             "session_expired": False}
    # The refresh token is in the keyring, and only the refresh token (no ID/access token).
    [saved] = keyring.entries.values()
    blob = json.loads(saved)
    assert set(blob) == {"username", "refresh_token", "sub"}

    # A new process: the session comes back from the keyring, with the same identity.
    again = AuthService(config, db, keyring_backend=keyring)
    assert again.restore() is True
    assert again.status()["identity_id"] == identity
    assert again.id_token().count(".") == 2

    # Signing in again on this machine reuses the remembered identity (GetId once per user).
    third = AuthService(config, db, keyring_backend=MemoryKeyring())
    assert third.sign_in(alice.username, alice.password)["identity_id"] == identity

    again.sign_out()
    assert again.status()["signed_in"] is False and again.status()["identity_id"] is None
    assert keyring.entries == {}
    with pytest.raises(AuthRequired):
        again.id_token()
    assert AuthService(config, db, keyring_backend=keyring).restore() is False


def test_srp_sign_in(cognito_cloud: CloudInfo, db: Database) -> None:
    bob = cognito_cloud.users[1]
    auth = AuthService(make_config(cognito_cloud, flow="USER_SRP_AUTH"), db,
                       keyring_backend=MemoryKeyring())
    data = auth.sign_in(bob.username, bob.password)
    assert data["username"] == "bob" and data["identity_id"]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("case", ["wrong_password", "unknown_user", "user_not_confirmed",
                                  "network"])
def test_bad_sign_ins_are_plain_errors(cognito_cloud: CloudInfo, db: Database,
                                       case: str) -> None:
    alice, carol = cognito_cloud.users[0], cognito_cloud.unconfirmed
    endpoint = f"http://127.0.0.1:{_closed_port()}" if case == "network" else ""
    keyring = MemoryKeyring()
    auth = AuthService(make_config(cognito_cloud, endpoint=endpoint), db,
                       keyring_backend=keyring)
    username, password = {
        "wrong_password": ("alice", "not-" + alice.password),
        "unknown_user": ("nobody", "Whatever-1234!"),
        "user_not_confirmed": (carol.username, carol.password),
        "network": ("alice", alice.password),
    }[case]
    with pytest.raises(UserFacingError) as info:
        auth.sign_in(username, password)
    err = info.value
    assert err.code == case and err.hint
    assert password not in str(err) and err.__cause__ is None
    assert keyring.entries == {} and auth.status()["signed_in"] is False


def test_revoked_session_asks_to_sign_in_again(cognito_cloud: CloudInfo, db: Database) -> None:
    alice = cognito_cloud.users[0]
    config = make_config(cognito_cloud)
    keyring = MemoryKeyring()
    AuthService(config, db, keyring_backend=keyring).sign_in(alice.username, alice.password)
    # The refresh token is revoked elsewhere (admin sign-out, password change, expiry).
    cognito_cloud.admin.admin_user_global_sign_out(UserPoolId=cognito_cloud.user_pool_id,
                                                   Username=alice.username)
    later = AuthService(config, db, keyring_backend=keyring)
    assert later.restore() is False
    status = later.status()
    assert status["session_expired"] is True and status["signed_in"] is False
    assert keyring.entries == {}
    with pytest.raises(AuthRequired, match="sign in again"):
        later.id_token()
    # Cloud access pauses on AuthRequired rather than failing anything.
    paths = AppPaths(db.path.parent)
    with pytest.raises(AuthRequired):
        CloudAccess(config, paths, later).open()


def test_cloud_access_modes(cognito_cloud: CloudInfo, db: Database, tmp_path: Path) -> None:
    paths = AppPaths(tmp_path / "home")
    alice = cognito_cloud.users[0]
    config = make_config(cognito_cloud)
    auth = AuthService(config, db, keyring_backend=MemoryKeyring())
    access = CloudAccess(config, paths, auth)
    assert access.configured() and access.mode() == "cognito"
    with pytest.raises(AuthRequired):
        access.open()
    identity = auth.sign_in(alice.username, alice.password)["identity_id"]
    cloud = access.open()
    assert cloud.mode == "cognito" and cloud.layout.identity_id == identity
    assert "R2" in cloud.detail
    assert access.open() is cloud  # cached
    auth.sign_out()
    with pytest.raises(AuthRequired):
        access.open()  # a sign-out invalidates the cached cloud

    no_pool = Config(storage=StorageConfig(backend="s3", bucket="ecan-avatars",
                                           access_key="AKIAEXAMPLEKEY", secret_key="s3cr3t",
                                           endpoint_url=cognito_cloud.endpoint))
    static = CloudAccess(no_pool, paths, AuthService(no_pool, db, keyring_backend=MemoryKeyring()))
    assert static.open().mode == "static" and static.open().layout.identity_id == "default"

    folder = Config(storage=StorageConfig(backend="local", local_path=str(tmp_path / "cloud")))
    local = CloudAccess(folder, paths, AuthService(folder, db, keyring_backend=MemoryKeyring()))
    assert local.open().mode == "local-folder"

    none = CloudAccess(Config(), paths, AuthService(Config(), db, keyring_backend=MemoryKeyring()))
    assert not none.configured()
    with pytest.raises(UserFacingError) as info:
        none.open()
    assert info.value.code == "no_cloud"


def test_many_uploads_cost_one_identity_call_per_credential_lifetime(
        cognito_cloud: CloudInfo, db: Database, tmp_path: Path) -> None:
    alice = cognito_cloud.users[0]
    config = make_config(cognito_cloud)
    auth = AuthService(config, db, keyring_backend=MemoryKeyring())
    auth.sign_in(alice.username, alice.password)
    cloud = CloudAccess(config, AppPaths(tmp_path / "home"), auth).open()
    for i in range(200):
        cloud.store.put_bytes(cloud.layout.root + f"probe/{i}.txt", b"x" * 10,
                              content_type="text/plain")
    assert auth.identity_calls() == 1
    assert len(list(cloud.store.list(cloud.layout.root + "probe/"))) == 200


def test_cli_login_logout(cognito_cloud: CloudInfo, clean_env: dict[str, str], ecan_home: Path,
                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    from ecan.app import build_app
    from ecan.cli.main import main

    write_config(cognito_cloud, ecan_home / "auth_config.yml")
    # What scripts on a machine without an OS keyring do (ARCHITECTURE: contract).
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    alice = cognito_cloud.users[0]

    monkeypatch.setattr("sys.stdin", io.StringIO("wrong-password\n"))
    assert main(["login", "--username", "alice", "--password-stdin"]) == 1
    err = capsys.readouterr().err
    assert "username or password is wrong" in err and "Traceback" not in err

    monkeypatch.setattr("sys.stdin", io.StringIO(alice.password + "\n"))
    assert main(["login", "--username", "alice", "--password-stdin", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    identity = validate_identity_id(data["identity_id"])

    # Another command, another process's worth of state: the session is there.
    env = dict(__import__("os").environ)
    app = build_app(env)
    try:
        assert app.auth.restore() is True and app.auth.identity_id() == identity
        assert app.handlers.call("auth.status")["data"]["keyring"] == "file"
    finally:
        app.close()

    assert main(["logout", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"signed_in": False}
    app = build_app(env)
    try:
        assert app.auth.restore() is False
    finally:
        app.close()
