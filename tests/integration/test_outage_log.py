"""An outage fills the log with one line per expected retry, never a traceback for each: the
sync process's log during a spell with the cloud (identity exchange and storage) unreachable."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image

from ecan.app import build_app
from ecan.auth.secrets import MemoryKeyring


def test_an_outage_logs_one_line_per_retry_and_no_traceback(
        make_demo_cloud: Callable[..., Any], clean_env: dict[str, str], tmp_path: Path) -> None:
    # Short-lived credentials: during the outage every request falls in their refresh window.
    cloud = make_demo_cloud(credential_ttl_s=6)
    user = cloud.info.users[0]
    env = {**clean_env, "ECAN_CONFIG": str(cloud.write_config(tmp_path / "cloud.yml"))}
    app = build_app(env, keyring_backend=MemoryKeyring())
    try:
        assert app.handlers.call("auth.sign_in", {"username": user.username,
                                                  "password": user.password})["ok"]
        first, second = str(tmp_path / "a.png"), str(tmp_path / "b.png")
        Image.new("RGB", (64, 64), (200, 30, 30)).save(first)
        Image.new("RGB", (64, 64), (30, 200, 30)).save(second)
        assert app.handlers.call("avatar.import_paths", {"paths": [first]})["ok"]
        assert app.engine.drain(timeout=60).synced == 1
        log_file = app.log_path
        before = log_file.read_text(encoding="utf-8")

        cloud.stop()  # the outage
        assert app.handlers.call("avatar.import_paths", {"paths": [second]})["ok"]
        result = app.engine.drain(timeout=10)
        assert result.remaining == 1 and result.failed == 0
    finally:
        app.close()
    during = log_file.read_text(encoding="utf-8")[len(before):]
    assert "Traceback" not in during, during[:3000]
    # The expected failures are there, one line each, with their reason.
    assert "will retry" in during
    refresh = [line for line in during.splitlines() if "Refreshing temporary credentials" in line]
    assert refresh and all("Cannot reach the sign-in service" in line for line in refresh)
