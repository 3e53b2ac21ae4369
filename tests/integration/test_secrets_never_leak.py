"""A full session (login, uploads, logout) leaves no password, token or key anywhere under
$ECAN_HOME (files, SQLite and its WAL, logs) or in what ecan printed and logged."""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path
from typing import Any

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
    # The temporary credentials are kept for their lifetime, in the keyring only (beside the
    # refresh token): the next `ecan sync` skips the identity exchange. Signing out takes them.
    kept = frozen.secret_key in "\n".join(_keyring_values())
    assert kept, "the temporary credentials are not kept in the keyring"
    assert main(["logout"]) == 0
    assert all(needles.values())
    left = "\n".join(_keyring_values())
    assert [what for what, secret in needles.items() if secret in left] == []

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


def _keyring_values() -> list[str]:
    """Every value in keyrings.alt's plaintext keyring file (stored base64-encoded there)."""
    import configparser

    from keyrings.alt.escape import unescape
    from keyrings.alt.file import PlaintextKeyring

    kr = PlaintextKeyring()
    parser = configparser.RawConfigParser()
    parser.read(kr.file_path)
    return [kr.get_password(unescape(section), unescape(option)) or ""
            for section in parser.sections() for option in parser.options(section)]


# Each shape a secret takes in an error or a log line, and the secret itself (with the parts
# of it that must not survive on their own).
_SESSION_TOKEN = ("IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexample+Token/"
                  "Z2FyYmFnZS1mb3ItdGVzdHMtb25seS1ub3QtYS1yZWFsLXRva2VuLWF0LWFsbA==")
SHAPES: list[tuple[str, str, list[str]]] = [
    ("bearer header", "request failed: Authorization: Bearer abcDEF123.token-value_XYZ",
     ["abcDEF123.token-value_XYZ"]),
    ("password with spaces", "sign-in refused for password: correct horse battery staple",
     ["correct", "horse battery staple"]),
    ("quoted password with spaces", "{'USERNAME': 'alice', 'PASSWORD': 'correct horse staple'}",
     ["correct horse", "horse staple"]),
    ("gemini key", "400 API key AIzaSyD3xample-Key_0123456789abcdefghij not valid",
     ["AIzaSyD3xample-Key_0123456789abcdefghij", "3xample-Key_0123456789"]),
    ("bare aws secret key", "signing with wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY failed",
     ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "bPxRfiCYEXAMPLEKEY"]),
    ("bare session token", f"credentials ASIA... with {_SESSION_TOKEN} expired",
     [_SESSION_TOKEN, _SESSION_TOKEN[20:60]]),
    ("password in a url", "cannot reach https://alice:s3cret-pass@minio.example.com/bucket",
     ["s3cret-pass"]),
]
_IDS = [s[0] for s in SHAPES]


@pytest.mark.parametrize(("what", "text", "secrets"), SHAPES, ids=_IDS)
def test_each_secret_shape_is_masked_in_a_log_record(what: str, text: str,
                                                     secrets: list[str]) -> None:
    from ecan.logsetup import SecretFilter

    record = logging.LogRecord("ecan.test", logging.WARNING, __file__, 1, "failed: %s",
                               (text,), None)
    assert SecretFilter().filter(record)
    message = record.getMessage()
    assert [s for s in secrets if s in message] == [], message
    assert "***" in message


@pytest.mark.parametrize(("what", "text", "secrets"), SHAPES, ids=_IDS)
def test_each_secret_shape_is_masked_in_the_outbox(what: str, text: str, secrets: list[str],
                                                   tmp_path: Path) -> None:
    from ecan.config import SyncConfig
    from ecan.db import Database
    from ecan.db.sync_state import Outbox
    from ecan.paths import AppPaths
    from ecan.storage.errors import StorageError, TransientStorageError
    from ecan.storage.memory import MemoryBlobStore
    from ecan.sync.engine import SyncEngine
    from ecan.sync.testing import CloudTwin, write_avatar

    paths = AppPaths(tmp_path / "home").ensure()
    db = Database(paths.database)
    write_avatar(paths, db.path, seed=1)
    store = MemoryBlobStore()
    store.fail_next(StorageError("access_denied", f"refused: {text}", "Ask the operator."))
    engine = SyncEngine(db, paths, CloudTwin(store), SyncConfig(concurrency=1),
                        retry_base=0.01, retry_cap=0.05, probe_max=0.2, seed=1)
    try:
        result = engine.drain(timeout=10)
    finally:
        engine.close()
    assert result.failed == 1
    # A transient error is stored too (the job waits for its next try).
    write_avatar(paths, db.path, seed=2)
    box = Outbox(db.path)
    try:
        job = box.claim()
        assert job is not None
        box.retry_later(job, str(TransientStorageError("network", f"lost: {text}", "")),
                        next_attempt_at=0.0)
    finally:
        box.close()
    conn = db.connect()
    try:
        stored = [r[0] for r in conn.execute("SELECT last_error FROM outbox")]
        stored += [r[0] for r in conn.execute("SELECT sync_error FROM avatar")]
    finally:
        conn.close()
    text_stored = "\n".join(s for s in stored if s)
    assert "refused:" in text_stored and "lost:" in text_stored
    assert [s for s in secrets if s in text_stored] == [], text_stored


def _loud_child() -> list[str]:
    """A helper process that says every secret shape on stderr, then dies."""
    import sys

    lines = "".join(f"{text}\n" for _what, text, _secrets in SHAPES)
    return [sys.executable, "-c",
            f"import sys\nsys.stderr.write({lines!r})\nsys.stderr.flush()\nsys.exit(3)"]


def _assert_masked(text: str) -> None:
    assert "refused for password:" in text  # the child's words did reach the log
    leaks = [what for what, _text, secrets in SHAPES for s in secrets if s in text]
    assert leaks == [], text


def test_the_sync_process_output_reaches_the_log_masked(
        clean_env: dict[str, str], qtbot: Any, caplog: pytest.LogCaptureFixture) -> None:
    from ecan.bridge.sync_process import SyncProcess

    app = build_app(clean_env)
    proc = SyncProcess(app, command=_loud_child())
    try:
        with qtbot.waitSignal(proc.restarting, timeout=15_000):
            proc.start()
    finally:
        proc.stop(1.0)
        app.close()
    _assert_masked(caplog.text)


def test_the_decoder_process_output_reaches_the_log_masked(
        qtbot: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from PySide6.QtCore import QSize

    from ecan.bridge.decoder_process import DecoderProcess

    caplog.set_level(logging.INFO)
    decoder = DecoderProcess(command=_loud_child())
    try:
        # It dies on every picture: after the second death the picture is answered as
        # unreadable, by which time the child has spoken twice.
        with qtbot.waitSignal(decoder.decoded, timeout=15_000):
            decoder.decode(str(tmp_path / "a.png"), QSize(64, 64))
    finally:
        decoder.close()
    _assert_masked(caplog.text)
