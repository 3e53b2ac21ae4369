"""The GUI fixtures clean up after themselves: a wait that fails while the window starts must not
leave its helper processes (`ecan sync-service`, `ecan decode-service`, import workers) running
on after the test."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.ui.conftest import Gui, helper_processes


class _FailingWaits:
    """qtbot, except that every wait times out (a slow machine, or a real bug)."""

    def __init__(self, qtbot: Any) -> None:
        self._qtbot = qtbot

    def addWidget(self, widget: Any) -> None:  # noqa: N802 - qtbot's name
        self._qtbot.addWidget(widget)

    def waitUntil(self, *_: Any, **__: Any) -> None:  # noqa: N802 - qtbot's name
        raise TimeoutError("waitUntil timed out (injected)")


def test_a_failed_wait_while_the_window_starts_leaves_no_helper_running(
        clean_env: dict[str, str], qtbot: Any, tmp_path: Path) -> None:
    if not Path(f"/proc/{os.getpid()}/task").is_dir():
        pytest.skip("no /proc here: child processes cannot be listed")
    config = tmp_path / "auth_config.yml"
    config.write_text(f"STORAGE:\n  BACKEND: local\n  LOCAL_PATH: {tmp_path / 'cloud'}\n")
    before = helper_processes()
    try:
        with pytest.raises(TimeoutError):
            Gui({**clean_env, "ECAN_CONFIG": str(config)}, _FailingWaits(qtbot), sync=True)
        end = time.monotonic() + 10
        while helper_processes() - before and time.monotonic() < end:
            time.sleep(0.05)
        assert helper_processes() - before == set()
    finally:
        for pid in helper_processes() - before:  # a red run must not leak them either
            os.kill(pid, signal.SIGKILL)
