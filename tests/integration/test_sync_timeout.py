"""`ecan sync --timeout S` bounds the whole command. Against a cloud that accepts connections
but never answers (a frozen server), each step used to get S seconds of its own, and the
requests under way their whole read timeout one after another: `--timeout 3` took minutes."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_two_way_sync import Machines


def test_sync_timeout_bounds_the_command_when_the_cloud_stops_answering(
        make_demo_cloud: Callable[..., Any], clean_env: dict[str, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    cloud = make_demo_cloud()
    m = Machines(cloud, tmp_path, monkeypatch, capsys)
    m.login("a")
    m.new_picture("a")
    m.new_picture("a")
    os.kill(cloud.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        code, data, err = m.on("a").cli("sync", "--timeout", "3")
        took = time.monotonic() - started
    finally:
        os.kill(cloud.pid, signal.SIGCONT)
    # A bound with a wide margin, not a measurement: one request's read timeout (10 s) may
    # still be under way when the time is up; before, this took minutes.
    assert took < 30, took
    assert code == 1 and (data["synced"], data["remaining"]) == (0, 2), data
    assert "nothing pulled: the time given (--timeout) is up" in err, err
    log = next((tmp_path / "a").glob("logs/ecan.log")).read_text()
    assert "taken over by another process" not in log  # (what the stop gave back was said so)
    # Nothing was lost: what was under way went back to the queue, and goes up now.
    assert m.sync("a")["synced"] == 2
