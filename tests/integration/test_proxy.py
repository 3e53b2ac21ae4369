"""The proxy setting: with NETWORK.PROXY naming a proxy (its password in the keyring), every
request a sync makes (sign-in, identity exchange, uploads) goes through it, with the password;
the password is in no file and no log line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ecan.auth.secrets import MemoryKeyring, SecretStore, save_proxy_password
from tests.forwardproxy import ForwardProxy

PASSWORD = "pr0xy-s3cret!"


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    p = ForwardProxy("alice", PASSWORD).start()
    yield p
    p.stop()


def test_a_sync_goes_through_the_configured_proxy_with_its_password(
        cloud_env: dict[str, str], demo_cloud: Any, proxy: ForwardProxy,
        ecan_home: Path) -> None:
    from ecan.app import build_app
    from ecan.sync.testing import write_avatar

    config = Path(cloud_env["ECAN_CONFIG"])
    port = proxy.url.rsplit(":", 1)[1]
    config.write_text(config.read_text() + f"NETWORK:\n  PROXY: http://alice@127.0.0.1:{port}\n")
    keyring = MemoryKeyring()
    save_proxy_password(SecretStore(keyring), PASSWORD)
    app = build_app(cloud_env, keyring_backend=keyring)
    try:
        assert app.config.network.url() == f"http://alice:pr0xy-s3cret%21@127.0.0.1:{port}"
        user = demo_cloud.info.users[0]
        app.auth.sign_in(user.username, user.password)
        write_avatar(app.paths, app.db.path, seed=7)
        result = app.engine.drain(timeout=60)
    finally:
        app.close()
    assert (result.synced, result.failed, result.remaining) == (1, 0, 0)
    assert proxy.refused == 0
    endpoint = demo_cloud.info.endpoint.split("//", 1)[1]
    methods = {method for method, host, _path in proxy.requests if host == endpoint}
    # Sign-in and the identity exchange (POST), the upload itself (PUT).
    assert {"POST", "PUT"} <= methods, proxy.requests
    assert any(path.startswith(f"/{demo_cloud.info.bucket}/") for _m, _h, path in proxy.requests)
    assert PASSWORD not in config.read_text()
    for log in (ecan_home / "logs").glob("*"):
        assert PASSWORD not in log.read_text(errors="replace")
        assert "pr0xy-s3cret%21" not in log.read_text(errors="replace")


def test_without_the_password_the_proxy_refuses_and_nothing_is_uploaded(
        cloud_env: dict[str, str], demo_cloud: Any, proxy: ForwardProxy) -> None:
    from ecan.app import build_app

    config = Path(cloud_env["ECAN_CONFIG"])
    port = proxy.url.rsplit(":", 1)[1]
    config.write_text(config.read_text() + f"NETWORK:\n  PROXY: http://alice@127.0.0.1:{port}\n")
    app = build_app(cloud_env, keyring_backend=MemoryKeyring())
    try:
        user = demo_cloud.info.users[0]
        with pytest.raises(Exception):  # noqa: B017 - the sign-in fails, whichever way
            app.auth.sign_in(user.username, user.password)
    finally:
        app.close()
    assert proxy.refused >= 1 and proxy.requests == []


def test_a_password_in_the_proxy_address_is_refused_in_the_config_file(
        clean_env: dict[str, str], ecan_home: Path) -> None:
    from ecan.config import load_config, split_proxy
    from ecan.errors import ConfigError
    from ecan.paths import AppPaths

    ecan_home.mkdir(parents=True, exist_ok=True)
    (ecan_home / "auth_config.yml").write_text(
        f"NETWORK:\n  PROXY: http://alice:{PASSWORD}@proxy.example.com:3128\n")
    with pytest.raises(ConfigError) as info:
        load_config(AppPaths(ecan_home), clean_env)
    assert "NETWORK.PROXY" in str(info.value) and PASSWORD not in str(info.value)
    assert split_proxy(f"http://alice:{PASSWORD}@proxy.example.com:3128") == (
        "http://alice@proxy.example.com:3128", PASSWORD)
    assert split_proxy("http://proxy.example.com:3128") == ("http://proxy.example.com:3128", "")
