"""auth.* handlers and `ecan login/logout` without a cloud: plain errors, the password never
echoed."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from ecan.cli.main import main

PASSWORD = "Hunter2-very-secret-pw"


def test_invalid_requests_never_echo_the_password(app: Any) -> None:
    for payload in ({"username": "alice", "password": PASSWORD, "extra": PASSWORD},
                    {"username": PASSWORD, "password": 12345},
                    {"username": "alice", "password": PASSWORD * 20},
                    {"password": PASSWORD}):
        r = app.handlers.call("auth.sign_in", payload)
        assert not r["ok"] and r["error"]["code"] == "invalid_request"
        assert PASSWORD not in json.dumps(r)


def test_sign_in_without_cognito_config_names_the_setting(app: Any) -> None:
    r = app.handlers.call("auth.sign_in", {"username": "alice", "password": PASSWORD})
    assert r["error"]["code"] == "config_error"
    assert "COGNITO.USER_POOL_ID" in r["error"]["message"]
    assert PASSWORD not in json.dumps(r)


def test_status_when_nothing_is_configured(app: Any) -> None:
    r = app.handlers.call("auth.status")
    assert r["ok"]
    assert r["data"]["signed_in"] is False and r["data"]["cloud_mode"] == "none"


def test_login_with_empty_stdin_is_a_usage_error(clean_env: dict[str, str],
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["login", "--username", "alice", "--password-stdin", "--json"]) == 2
    out = capsys.readouterr()
    assert json.loads(out.out)["error"]["code"] == "invalid_password"
    assert "Traceback" not in out.err


def test_logout_when_not_signed_in_is_fine(clean_env: dict[str, str],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["logout", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"signed_in": False}
