"""The keyring choice and the no-keyring fallback: never a crash, never a silent file."""

from __future__ import annotations

import logging
from pathlib import Path

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


def test_refresh_windows_scale_with_the_credential_lifetime() -> None:
    # 90 s demo credentials: refresh after 60 s, not on every call (botocore's 15 min default).
    assert refresh_windows(90) == (30, 15)
    # 1 h Cognito credentials: botocore's own defaults.
    assert refresh_windows(3600) == (900, 600)
