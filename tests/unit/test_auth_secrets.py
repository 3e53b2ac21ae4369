"""The keyring choice and the no-keyring fallback: never a crash, never a silent file."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from keyring.backend import KeyringBackend
from keyring.errors import NoKeyringError

from ecan.auth.secrets import (
    ALLOW_FILE_ENV,
    NO_KEYRING_NOTICE,
    MemoryKeyring,
    SecretStore,
    keyring_kind,
    resolve_backend,
)
from ecan.auth.session import refresh_windows


class BrokenKeyring(KeyringBackend):
    """What headless Linux gives you: every operation raises NoKeyringError."""

    priority = 0  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise NoKeyringError("no backend")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise NoKeyringError("no backend")

    def delete_password(self, service: str, username: str) -> None:
        raise NoKeyringError("no backend")


@pytest.fixture
def no_keyring_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.delenv(ALLOW_FILE_ENV, raising=False)
    # keyring reads its config file and data from the XDG dirs: point them at empty folders.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
    return {}


def test_memory_keyring_round_trip() -> None:
    store = SecretStore(MemoryKeyring())
    store.set("acct", "value")
    assert store.get("acct") == "value" and store.kind == "memory" and store.persistent
    store.delete("acct")
    store.delete("acct")  # deleting twice is fine: already signed out
    assert store.get("acct") is None


def test_broken_keyring_keeps_session_in_memory_and_says_so_once(
        caplog: pytest.LogCaptureFixture) -> None:
    store = SecretStore(BrokenKeyring())
    with caplog.at_level(logging.WARNING):
        assert store.get("acct") is None
        store.set("acct", "value")
        store.set("acct2", "value2")
    assert store.get("acct") == "value"
    assert store.kind == "none" and not store.persistent
    assert [r.getMessage() for r in caplog.records].count(NO_KEYRING_NOTICE) == 1
    assert "value" not in caplog.text


def test_a_damaged_keyring_file_is_named_and_no_command_breaks_on_it(tmp_path: Path) -> None:
    """keyrings.alt's file with garbage in it: every command ended in "hit a bug
    (MissingSectionHeaderError)", `ecan list` and `ecan login` too."""
    from keyrings.alt.file import PlaintextKeyring

    damaged = tmp_path / "keyring_pass.cfg"
    damaged.write_text("garbage\n")
    backend = PlaintextKeyring()
    backend.file_path = str(damaged)  # type: ignore[misc]
    store = SecretStore(backend)
    assert store.get("acct") is None
    assert store.problem == (f"the keyring file {damaged} cannot be read "
                             "(MissingSectionHeaderError): move it aside, then sign in again")
    store.set("acct", "value")  # for this run only
    assert store.get("acct") == "value" and not store.persistent
    assert damaged.read_text() == "garbage\n"  # left for the user to look at


def test_no_os_keyring_means_no_file_unless_opted_in(
        no_keyring_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # keyrings.alt is installed here, and keyring itself would pick its plaintext file;
    # ecan does not, unless asked.
    backend = resolve_backend({})
    assert keyring_kind(backend) in ("none", "os")
    if backend is None:
        store = SecretStore(backend)
        store.set("acct", "refresh-secret")
        assert not any(p.is_file() for p in tmp_path.rglob("*"))
    opted = resolve_backend({ALLOW_FILE_ENV: "1"})
    assert keyring_kind(opted) in ("file", "os")


def test_python_keyring_backend_is_respected(no_keyring_env: dict[str, str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    assert keyring_kind(resolve_backend({})) == "file"


class DesktopKeyring(KeyringBackend):
    """An OS keyring as keyring's detection finds one on a desktop (these tests only choose
    it: nothing is kept in it)."""

    priority = 5  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise NotImplementedError


class OutOfReachKeyring(DesktopKeyring):
    """A desktop keyring in a session that cannot reach it (SSH, no D-Bus)."""

    priority = 0  # type: ignore[assignment]


def test_the_os_keyring_found_is_remembered_and_not_looked_for_again(
        no_keyring_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Looking for the OS keyring imports every backend keyring knows (60-90 ms of every
    start): the one found is remembered (its name, no secret) and used while it is usable."""
    import keyring.backend

    searches: list[int] = []

    def detect() -> list[KeyringBackend]:
        searches.append(1)
        return [DesktopKeyring()]

    monkeypatch.setattr(keyring.backend, "get_all_keyring", detect)
    remembered = tmp_path / "home" / "cache" / "keyring.json"
    remembered.parent.parent.mkdir()
    assert isinstance(resolve_backend({}, remembered), DesktopKeyring) and len(searches) == 1
    assert json.loads(remembered.read_text()) == {"backend": f"{__name__}.DesktopKeyring"}
    assert remembered.stat().st_mode & 0o077 == 0
    assert isinstance(resolve_backend({}, remembered), DesktopKeyring) and len(searches) == 1

    # Out of reach here, uninstalled, not a keyring, or a damaged file: looked for again.
    for text in (json.dumps({"backend": f"{__name__}.OutOfReachKeyring"}),
                 json.dumps({"backend": f"{__name__}.UninstalledKeyring"}),
                 json.dumps({"backend": "json.JSONDecoder"}), "{not json"):
        remembered.write_text(text)
        assert type(resolve_backend({}, remembered)) is DesktopKeyring
    assert len(searches) == 5
    assert json.loads(remembered.read_text()) == {"backend": f"{__name__}.DesktopKeyring"}

    # Opted in to the plaintext file (no OS keyring here): remembered while the user opts in.
    monkeypatch.setattr(keyring.backend, "get_all_keyring", lambda: [OutOfReachKeyring()])
    remembered.unlink()
    assert keyring_kind(resolve_backend({ALLOW_FILE_ENV: "1"}, remembered)) == "file"
    monkeypatch.setattr(keyring.backend, "get_all_keyring", detect)
    assert keyring_kind(resolve_backend({ALLOW_FILE_ENV: "1"}, remembered)) == "file"
    assert len(searches) == 5
    assert isinstance(resolve_backend({}, remembered), DesktopKeyring)  # no longer opted in

    # An explicit choice still wins.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    assert keyring_kind(resolve_backend({}, remembered)) == "file"


def test_refresh_windows_scale_with_the_credential_lifetime() -> None:
    # 90 s demo credentials: refresh after 60 s, not on every call (botocore's 15 min default).
    assert refresh_windows(90) == (30, 15)
    # 1 h Cognito credentials: botocore's own defaults.
    assert refresh_windows(3600) == (900, 600)


# ---- secrets typed in Settings (proxy password, static keys, Gemini key) ----------------------

def _kept_app(tmp_path: Path, file_text: str, env: dict[str, str],
              ring: MemoryKeyring) -> Any:
    from ecan.app import build_app

    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / "auth_config.yml").write_text(file_text, encoding="utf-8")
    return build_app({"ECAN_HOME": str(home), **env}, keyring_backend=ring)


S3_FILE = "STORAGE:\n  BACKEND: s3\n  BUCKET: team-avatars\n  REGION: eu-west-1\n"


def test_static_keys_come_from_the_environment_then_the_file_then_the_keyring(
        tmp_path: Path) -> None:
    from ecan.auth.secrets import ACCESS_KEYS, kept_env, read_kept, save_kept

    ring = MemoryKeyring()
    save_kept(SecretStore(ring), ACCESS_KEYS, ("AKIAKEYRING000000001", "keyring-secret"))
    assert read_kept(SecretStore(ring), ACCESS_KEYS) == ("AKIAKEYRING000000001", "keyring-secret")
    # Neither the environment nor the file: the keyring's, and the sync process is given them.
    app = _kept_app(tmp_path, S3_FILE, {}, ring)
    assert (app.config.storage.access_key, app.config.storage.secret_key) == (
        "AKIAKEYRING000000001", "keyring-secret")
    assert app.cloud.mode() == "static"
    assert kept_env(app.config) == {"AVATAR_CLOUD_ACCESS_KEY": "AKIAKEYRING000000001",
                                    "AVATAR_CLOUD_SECRET_KEY": "keyring-secret"}
    app.close()
    # A file the user wrote with keys (legacy) comes before the keyring.
    app = _kept_app(tmp_path, S3_FILE + "  ACCESS_KEY: AKIAFILE000000000001\n"
                    "  SECRET_KEY: file-secret\n", {}, ring)
    assert app.config.storage.secret_key == "file-secret" and kept_env(app.config) == {}
    app.close()
    # The environment comes first of all.
    app = _kept_app(tmp_path, S3_FILE, {"AWS_ACCESS_KEY_ID": "AKIAENV0000000000001",
                                        "AWS_SECRET_ACCESS_KEY": "env-secret"}, ring)
    assert app.config.storage.secret_key == "env-secret" and kept_env(app.config) == {}
    app.close()
    # Local only: the keyring is not read for keys nothing would use.
    app = _kept_app(tmp_path, "", {}, ring)
    assert app.config.storage.access_key == "" and kept_env(app.config) == {}
    app.close()


def test_the_gemini_key_comes_from_the_keyring_only_when_nothing_else_sets_it(
        tmp_path: Path) -> None:
    from ecan.auth.secrets import GEMINI_API_KEY, read_kept, save_kept

    ring = MemoryKeyring()
    save_kept(SecretStore(ring), GEMINI_API_KEY, ("AIzaSyKeyring",))
    app = _kept_app(tmp_path, "", {}, ring)
    assert app.generator.config.api_key == "AIzaSyKeyring"
    app.close()
    app = _kept_app(tmp_path, "GEMINI:\n  API_KEY: AIzaSyFile\n", {}, ring)
    assert app.generator.config.api_key == "AIzaSyFile"
    app.close()
    app = _kept_app(tmp_path, "GEMINI:\n  API_KEY: AIzaSyFile\n",
                    {"NANO_BANANA_API_KEY": "AIzaSyEnv"}, ring)
    assert app.generator.config.api_key == "AIzaSyEnv"
    app.close()
    save_kept(SecretStore(ring), GEMINI_API_KEY, None)  # removed
    assert read_kept(SecretStore(ring), GEMINI_API_KEY) is None and ring.entries == {}


def test_with_no_keyring_keys_typed_are_kept_for_the_run_and_written_nowhere(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ecan.auth.secrets import ACCESS_KEYS, save_kept

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    home = tmp_path / "home"
    home.mkdir()
    (home / "auth_config.yml").write_text(S3_FILE, encoding="utf-8")
    from ecan.app import build_app

    app = build_app({"ECAN_HOME": str(home)})
    try:
        assert not app.kept_secrets.persistent
        save_kept(app.kept_secrets, ACCESS_KEYS, ("AKIATHISRUNONLY00001", "this-run-only"))
        app.reload_config()  # what Settings does after saving
        assert app.config.storage.access_key == "AKIATHISRUNONLY00001"
        assert app.cloud.mode() == "static"
        leaked = [p for p in tmp_path.rglob("*")
                  if p.is_file() and b"this-run-only" in p.read_bytes()]
        assert leaked == []
    finally:
        app.close()


def test_an_app_finds_the_keyring_once_for_its_session_and_the_secrets_typed_in_settings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Finding the keyring loads its backend (and reads its file, for keyrings.alt's): once per
    # run, though an S3 library reads its static keys at start and its session later.
    import ecan.auth.secrets as secrets

    ring, found = MemoryKeyring(), []
    monkeypatch.setattr(secrets, "resolve_backend", lambda **kw: found.append(kw) or ring)
    home = tmp_path / "home"
    home.mkdir()
    (home / "auth_config.yml").write_text(S3_FILE, encoding="utf-8")
    from ecan.app import build_app

    app = build_app({"ECAN_HOME": str(home)})
    try:
        app.auth.secrets.set("session", "kept")
        assert len(found) == 1 and app.kept_secrets.get("session") == "kept"
        assert ring.entries == {(secrets.SERVICE, "session"): "kept"}
    finally:
        app.close()
