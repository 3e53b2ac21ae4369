"""Sign-in, session restore, sign-out and credentials against a real local Cognito (moto server
on 127.0.0.1), with real SQLite files and an in-memory keyring."""

from __future__ import annotations

import io
import json
import socket
import time
import uuid
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
    password: str = field(repr=False)


@dataclass
class CloudInfo:
    """The demo cloud as these tests use it: its info plus users made for auth tests only (so
    revoking a session never disturbs another test's demo user)."""

    endpoint: str
    region: str
    user_pool_id: str
    client_id: str
    identity_pool_id: str
    bucket: str
    users: list[User]
    unconfirmed: User
    admin: Any = field(repr=False)  # a boto3 cognito-idp client with admin rights
    cloud: Any = field(repr=False, default=None)


@pytest.fixture(scope="session")
def cognito_cloud(demo_cloud: Any) -> CloudInfo:
    info = demo_cloud.info
    idp = demo_cloud.admin_client("cognito-idp")
    tag = uuid.uuid4().hex[:8]
    users = [User(u.username, u.password) for u in info.users[:2]]
    revocable = User(f"auth-revoked-{tag}", f"Revoked-pw-{tag}!")
    idp.admin_create_user(UserPoolId=info.user_pool_id, Username=revocable.username)
    idp.admin_set_user_password(UserPoolId=info.user_pool_id, Username=revocable.username,
                                Password=revocable.password, Permanent=True)
    users.append(revocable)
    carol = User(f"auth-unconfirmed-{tag}", f"Carol-pw-{tag}!")
    idp.sign_up(ClientId=info.client_id, Username=carol.username, Password=carol.password)
    return CloudInfo(info.endpoint, info.region, info.user_pool_id, info.client_id,
                     info.identity_pool_id, info.bucket, users, carol, idp, demo_cloud)


def make_config(cloud: CloudInfo, *, flow: str = "USER_SRP_AUTH", endpoint: str = "",
                **storage: Any) -> Config:
    return Config(
        cognito=CognitoConfig(user_pool_id=cloud.user_pool_id, client_id=cloud.client_id,
                              identity_pool_id=cloud.identity_pool_id, region=cloud.region,
                              endpoint_url=endpoint or cloud.endpoint, auth_flow=flow),
        storage=StorageConfig(**{"backend": "s3", "bucket": cloud.bucket, "region": cloud.region,
                                 "endpoint_url": cloud.endpoint, **storage}))


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
    assert auth.status() == {"signed_in": True, "username": alice.username,
                             "identity_id": identity,
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


def test_a_signed_in_sync_reads_the_sdk_data_once(cognito_cloud: CloudInfo, db: Database,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A new `ecan sync` process makes three clients before its first upload (cognito-idp to
    renew the session, cognito-identity for credentials, s3). Each used to read and parse
    botocore's endpoint data again: a fixed cost every signed-in run paid before its first
    byte. One session's clients now share it."""
    import botocore.loaders

    alice = cognito_cloud.users[0]
    config = make_config(cognito_cloud)
    keyring = MemoryKeyring()
    AuthService(config, db, keyring_backend=keyring).sign_in(alice.username, alice.password)
    reads: list[str] = []
    load_file = botocore.loaders.JSONFileLoader.load_file

    def counting(self: Any, file_path: str) -> Any:
        name = Path(file_path).name  # without its extension (.json or .json.gz)
        if name in ("endpoints", "partitions", "sdk-default-configuration"):
            reads.append(name)
        return load_file(self, file_path)

    monkeypatch.setattr(botocore.loaders.JSONFileLoader, "load_file", counting)
    later = AuthService(config, db, keyring_backend=keyring)  # as the next process does
    cloud = CloudAccess(config, AppPaths(db.path.parent), later).open()
    # A real request: credentials are fetched (session renewed, identity exchange) on the way.
    assert cloud.store.head(cloud.layout.thumbnail("0" * 64)) is None
    assert later.identity_calls() == 1
    assert reads and sorted(reads) == sorted(set(reads)), reads


@pytest.mark.parametrize("flow", ["USER_SRP_AUTH", "USER_PASSWORD_AUTH"])
def test_both_flows_sign_in_and_refuse_a_wrong_password(cognito_cloud: CloudInfo, db: Database,
                                                        flow: str) -> None:
    bob = cognito_cloud.users[1]
    auth = AuthService(make_config(cognito_cloud, flow=flow), db,
                       keyring_backend=MemoryKeyring())
    assert auth.auth_flow == flow
    with pytest.raises(UserFacingError) as info:
        auth.sign_in(bob.username, bob.password + "x")
    assert info.value.code == "wrong_password"
    data = auth.sign_in(bob.username, bob.password)
    assert data["username"] == bob.username and data["identity_id"]


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
        "wrong_password": (alice.username, "not-" + alice.password),
        "unknown_user": ("nobody", "Whatever-1234!"),
        "user_not_confirmed": (carol.username, carol.password),
        "network": (alice.username, alice.password),
    }[case]
    with pytest.raises(UserFacingError) as info:
        auth.sign_in(username, password)
    err = info.value
    assert err.code == case and err.hint
    assert password not in str(err) and err.__cause__ is None
    assert keyring.entries == {} and auth.status()["signed_in"] is False


def test_revoked_session_asks_to_sign_in_again(cognito_cloud: CloudInfo, db: Database) -> None:
    alice = cognito_cloud.users[2]  # this test's own user: revoking it disturbs no one
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


def _refresh_token_in(keyring: MemoryKeyring) -> str:
    [saved] = keyring.entries.values()
    return str(json.loads(saved)["refresh_token"])


def test_a_rotated_refresh_token_is_kept_in_the_keyring(cognito_cloud: CloudInfo,
                                                        db: Database) -> None:
    """Cognito with refresh-token rotation answers REFRESH_TOKEN_AUTH with a new refresh
    token and retires the old one. moto does not rotate, so its answer is given a second real
    token of the same user on the way back (a botocore event on the real client: everything
    else is the real exchange), and the retired one is refused from then on."""
    alice = cognito_cloud.users[0]
    config = make_config(cognito_cloud, flow="USER_PASSWORD_AUTH")
    keyring = MemoryKeyring()
    AuthService(config, db, keyring_backend=keyring).sign_in(alice.username, alice.password)
    old = _refresh_token_in(keyring)
    elsewhere = MemoryKeyring()  # a second real session: its token stands in for the new one
    AuthService(config, db, keyring_backend=elsewhere).sign_in(alice.username, alice.password)
    new = _refresh_token_in(elsewhere)
    assert new != old

    def as_rotating_cognito(auth: AuthService, *, old_retired: bool) -> list[str]:
        """Hooks on the real client: a refresh's answer carries `new`; `old` is refused."""
        sent: list[str] = []
        events = auth._client("cognito-idp").meta.events  # test-only: the real client's hooks

        def before(params: dict[str, Any], **_kw: Any) -> None:
            token = params.get("AuthParameters", {}).get("REFRESH_TOKEN")
            if token:
                sent.append(token)
                if old_retired and token == old:  # an unknown token: moto refuses it
                    params["AuthParameters"]["REFRESH_TOKEN"] = "retired-" + token[:8]

        def after(parsed: dict[str, Any], **_kw: Any) -> None:
            result = parsed.get("AuthenticationResult")
            if result is not None and "RefreshToken" not in result:  # a refresh's answer
                result["RefreshToken"] = new

        events.register("provide-client-params.cognito-idp.InitiateAuth", before)
        events.register("after-call.cognito-idp.InitiateAuth", after)
        return sent

    # The next start renews with the saved token and is handed a rotated one.
    later = AuthService(config, db, keyring_backend=keyring)
    sent = as_rotating_cognito(later, old_retired=False)
    assert later.restore() is True
    assert sent == [old]
    assert _refresh_token_in(keyring) == new  # the rotated token replaced the retired one

    # The start after that signs in from the keyring, though the old token is refused now.
    next_start = AuthService(config, db, keyring_backend=keyring)
    sent = as_rotating_cognito(next_start, old_retired=True)
    assert next_start.restore() is True
    assert next_start.id_token().count(".") == 2
    assert sent == [new] and not next_start.status()["session_expired"]


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
    prefix = cloud.layout.root + f"probe-{uuid.uuid4().hex[:8]}/"
    for i in range(200):
        cloud.store.put_bytes(prefix + f"{i}.txt", b"x" * 10, content_type="text/plain")
    # The session cloud's credentials live 90 s: 200 small uploads fit in one lifetime.
    assert auth.identity_calls() == 1
    assert len(list(cloud.store.list(prefix))) == 200


def test_uploads_across_credential_expiry(make_demo_cloud: Any, tmp_path: Path) -> None:
    ttl = 3
    cloud_ = make_demo_cloud(credential_ttl_s=ttl)
    info = cloud_.info
    user = info.users[0]
    config = Config(
        cognito=CognitoConfig(user_pool_id=info.user_pool_id, client_id=info.client_id,
                              identity_pool_id=info.identity_pool_id, region=info.region,
                              endpoint_url=info.endpoint),
        storage=StorageConfig(backend="s3", bucket=info.bucket, region=info.region,
                              endpoint_url=info.endpoint))
    auth = AuthService(config, Database(tmp_path / "ecan.sqlite3"),
                       keyring_backend=MemoryKeyring())
    auth.sign_in(user.username, user.password)
    cloud = CloudAccess(config, AppPaths(tmp_path), auth).open()
    started = time.monotonic()
    uploaded = 0
    # At least 200 uploads, and on until two credential lifetimes have passed.
    while uploaded < 200 or time.monotonic() - started < 2 * ttl:
        cloud.store.put_bytes(cloud.layout.root + f"ttl/{uploaded}.txt", b"x",
                              content_type="text/plain")  # raises on any failure
        uploaded += 1
    elapsed = time.monotonic() - started
    calls = auth.identity_calls()
    print(f"{uploaded} uploads in {elapsed:.1f} s with {ttl} s credentials: {calls} identity calls")
    # Credentials were renewed as they neared expiry (not per request, not never): one call
    # per refresh interval (two thirds of the lifetime), plus the first.
    assert calls >= 2
    assert calls <= elapsed / (ttl * 2 / 3) + 2
    assert calls < uploaded / 10
    assert len(list(cloud.store.list(cloud.layout.root + "ttl/"))) == uploaded


def test_another_users_credentials_cannot_write_under_my_prefix(
        cognito_cloud: CloudInfo, tmp_path: Path) -> None:
    from ecan.storage.errors import is_retryable

    alice, bob = cognito_cloud.users[0], cognito_cloud.users[1]
    config = make_config(cognito_cloud)
    db = Database(tmp_path / "ecan.sqlite3")
    a = AuthService(config, db, keyring_backend=MemoryKeyring())
    alice_identity = a.sign_in(alice.username, alice.password)["identity_id"]
    b = AuthService(config, db, keyring_backend=MemoryKeyring())
    bob_cloud = CloudAccess(config, AppPaths(tmp_path), b)
    b.sign_in(bob.username, bob.password)
    cloud = bob_cloud.open()
    assert cloud.layout.identity_id != alice_identity
    cloud.store.put_bytes(cloud.layout.root + "mine.txt", b"ok", content_type="text/plain")
    with pytest.raises(UserFacingError) as info:
        cloud.store.put_bytes(f"{cloud.layout.prefix}{alice_identity}/images/not-yours.txt",
                              b"x", content_type="text/plain")
    err = info.value
    assert err.code == "access_denied" and err.hint
    assert not is_retryable(err)


def test_cli_login_logout(cognito_cloud: CloudInfo, clean_env: dict[str, str], ecan_home: Path,
                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    from ecan.app import build_app
    from ecan.cli.main import main

    # The demo cloud's own config (default flow): a wrong password must still be refused.
    cognito_cloud.cloud.write_config(ecan_home / "auth_config.yml")
    # What scripts on a machine without an OS keyring do (ARCHITECTURE: contract).
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    alice = cognito_cloud.users[0]

    monkeypatch.setattr("sys.stdin", io.StringIO("wrong-password\n"))
    assert main(["login", "--username", alice.username, "--password-stdin"]) == 1
    err = capsys.readouterr().err
    assert "username or password is wrong" in err and "Traceback" not in err

    monkeypatch.setattr("sys.stdin", io.StringIO(alice.password + "\n"))
    assert main(["login", "--username", alice.username, "--password-stdin", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    identity = validate_identity_id(data["identity_id"])
    # A fresh ECAN_HOME: the restore hook tells the sync side to pull the library down.
    assert data["first_sign_in_on_empty_library"] is True

    # Another command, another process's worth of state: the session is there.
    env = dict(__import__("os").environ)
    app = build_app(env)
    try:
        assert app.auth.restore() is True and app.auth.identity_id() == identity
        assert app.handlers.call("auth.status")["data"]["keyring"] == "file"
    finally:
        app.close()
    # Another library on this computer, with the same config, is not signed in by it: its next
    # sync must never upload under this user's prefix.
    other_home = tmp_path / "other-library"
    other_home.mkdir()
    (other_home / "auth_config.yml").write_text((ecan_home / "auth_config.yml").read_text())
    other = build_app({**env, "ECAN_HOME": str(other_home)})
    try:
        assert other.auth.restore() is False
    finally:
        other.close()

    assert main(["logout", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"signed_in": False}
    app = build_app(env)
    try:
        assert app.auth.restore() is False
    finally:
        app.close()


def test_identity_pool_that_does_not_know_us_is_named(cognito_cloud: CloudInfo,
                                                      db: Database) -> None:
    from dataclasses import replace

    config = make_config(cognito_cloud)
    config = replace(config, cognito=replace(
        config.cognito, identity_pool_id=f"{REGION}:00000000-0000-0000-0000-000000000000"))
    keyring = MemoryKeyring()
    auth = AuthService(config, db, keyring_backend=keyring)
    alice = cognito_cloud.users[0]
    with pytest.raises(UserFacingError) as info:
        auth.sign_in(alice.username, alice.password)
    assert "COGNITO.IDENTITY_POOL_ID" in info.value.message and info.value.hint
    assert keyring.entries == {} and not auth.status()["signed_in"]  # nothing half-kept


def test_sign_out_stops_credentials_already_handed_out(cognito_cloud: CloudInfo, db: Database,
                                                       tmp_path: Path) -> None:
    alice = cognito_cloud.users[0]
    config = make_config(cognito_cloud)
    auth = AuthService(config, db, keyring_backend=MemoryKeyring())
    auth.sign_in(alice.username, alice.password)
    cloud = CloudAccess(config, AppPaths(tmp_path), auth).open()
    cloud.store.put_bytes(cloud.layout.root + "before.txt", b"x", content_type="text/plain")
    auth.sign_out()
    # A worker still holding the old store pauses on AuthRequired; it never uploads as a
    # signed-out user, and never fails the job.
    with pytest.raises(AuthRequired):
        cloud.store.put_bytes(cloud.layout.root + "after.txt", b"x", content_type="text/plain")
