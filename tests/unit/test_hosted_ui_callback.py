"""The hosted UI's callback: the one `ecan cloud deploy` registers with the app client is the one
the desktop sends the browser back to (real Cognito wants an exact match, and plain http only
for `localhost`); a busy port is named, with the setting that changes it."""

from __future__ import annotations

import socket
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecan.app import App, build_app
from ecan.auth.secrets import MemoryKeyring
from ecan.cloudops.spec import DeploySpec
from ecan.errors import UserFacingError

_CONFIG = """COGNITO:
  USER_POOL_ID: us-east-1_Abc123
  CLIENT_ID: 1example23456789
  IDENTITY_POOL_ID: us-east-1:11111111-2222-3333-4444-555555555555
  REGION: us-east-1
  DOMAIN: myapp.auth.us-east-1.amazoncognito.com
"""


def _app(clean_env: dict[str, str], tmp_path: Path, **env: str) -> App:
    config = tmp_path / "auth_config.yml"
    config.write_text(_CONFIG)
    return build_app({**clean_env, "ECAN_CONFIG": str(config), **env},
                     keyring_backend=MemoryKeyring())


@pytest.fixture
def app(clean_env: dict[str, str], tmp_path: Path) -> Iterator[App]:
    a = _app(clean_env, tmp_path)
    yield a
    a.close()


def _redirect(started: dict[str, str]) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlparse(started["url"]).query)["redirect_uri"][0]


def test_the_desktop_comes_back_where_the_deploy_registered(app: App) -> None:
    deployed = DeploySpec(name="ecan-test").callback_urls
    try:
        started = app.auth.hosted_ui.start()
    except UserFacingError as e:  # another program (another test run) holds the port
        pytest.skip(e.message)
    try:
        assert _redirect(started) == started["redirect_uri"]
        assert [started["redirect_uri"]] == list(deployed) == \
            ["http://localhost:47615/callback"]
    finally:
        app.auth.hosted_ui.cancel(started["flow_id"])


def test_a_busy_callback_port_is_named_with_its_setting(clean_env: dict[str, str],
                                                       tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        app = _app(clean_env, tmp_path, ECAN_CALLBACK_PORT=str(port))
        try:
            resp = app.handlers.call("auth.hosted_ui_start", {})
        finally:
            app.close()
    assert not resp["ok"]
    error = resp["error"]
    assert error["code"] == "callback_port_busy"
    assert str(port) in error["message"]
    assert "COGNITO.CALLBACK_PORT" in error["hint"] and "ECAN_CALLBACK_PORT" in error["hint"]


def test_another_port_by_the_environment(clean_env: dict[str, str], tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = _app(clean_env, tmp_path, ECAN_CALLBACK_PORT=str(port))
    try:
        started = app.auth.hosted_ui.start()
        app.auth.hosted_ui.cancel(started["flow_id"])
    finally:
        app.close()
    assert started["redirect_uri"] == f"http://localhost:{port}/callback"


def test_starting_again_replaces_the_sign_in_still_waiting(clean_env: dict[str, str],
                                                           tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = _app(clean_env, tmp_path, ECAN_CALLBACK_PORT=str(port))
    try:
        first = app.auth.hosted_ui.start()
        second = app.auth.hosted_ui.start()  # same fixed port: the first one's listener goes
        with pytest.raises(UserFacingError) as stopped:
            app.auth.hosted_ui.finish(first["flow_id"], timeout=30)
        assert stopped.value.code in ("cancelled", "challenge_expired")
        app.auth.hosted_ui.cancel(second["flow_id"])
    finally:
        app.close()
    assert second["redirect_uri"] == f"http://localhost:{port}/callback"
