"""A full session (login, uploads, logout) leaves no password, token or key anywhere under
$ECAN_HOME (files, SQLite and its WAL, logs) or in what ecan printed and logged."""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path

import pytest

from ecan.app import build_app
from ecan.cli.main import main
from tests.integration.test_auth_cognito import CloudInfo, cognito_cloud

__all__ = ["cognito_cloud"]  # the session fixture, shared with the sign-in tests


def test_full_session_leaks_no_secret(cognito_cloud: CloudInfo, clean_env: dict[str, str],
                                      ecan_home: Path, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str],
                                      caplog: pytest.LogCaptureFixture) -> None:
    cognito_cloud.cloud.write_config(ecan_home / "auth_config.yml")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "keyring-outside-home"))
    alice = cognito_cloud.users[0]
    caplog.set_level(logging.DEBUG, logger="ecan")

    monkeypatch.setattr("sys.stdin", io.StringIO("not-" + alice.password + "\n"))
    assert main(["login", "--username", alice.username, "--password-stdin"]) == 1
    monkeypatch.setattr("sys.stdin", io.StringIO(alice.password + "\n"))
    assert main(["login", "--username", alice.username, "--password-stdin", "--json"]) == 0

    app = build_app(dict(os.environ))
    try:
        assert app.auth.restore()
        assert app.handlers.call("auth.status")["data"]["signed_in"]
        cloud = app.cloud.open()
        sample = tmp_path / "avatar.png"
        sample.write_bytes(b"\x89PNG fake but fine for storage" * 100)
        import hashlib

        digest = hashlib.sha256(sample.read_bytes()).hexdigest()
        for i in range(5):
            cloud.store.put_file(cloud.layout.root + f"images/leak-{i}.png", sample,
                                 content_type="image/png", sha256=digest)
        # What we look for: everything secret this session handled.
        cog = app.auth._cognito  # test-only peek at the in-memory tokens
        frozen = app.auth.boto_session().get_credentials().get_frozen_credentials()
        needles = {
            "password": alice.password,
            "id token": cog.id_token, "access token": cog.access_token,
            "refresh token": cog.refresh_token,
            "access key": frozen.access_key, "secret key": frozen.secret_key,
            "session token": frozen.token,
        }
        # Something fails in a way that gets logged: still no secret.
        app.handlers.call("auth.sign_in", {"username": alice.username, "password": 42})
    finally:
        app.close()
    assert main(["logout"]) == 0
    assert all(needles.values())

    captured = capsys.readouterr()
    texts = {"stdout": captured.out, "stderr": captured.err, "logs": caplog.text}
    for path in ecan_home.rglob("*"):
        if path.is_file():
            texts[str(path.relative_to(ecan_home))] = path.read_bytes().decode("latin-1")
    assert any(name.endswith("ecan.log") for name in texts)
    assert any(name.startswith("ecan.sqlite3") for name in texts)
    leaks = [f"{what} in {where}" for what, secret in needles.items()
             for where, text in texts.items() if secret in text]
    assert leaks == []
