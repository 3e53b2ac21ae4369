"""How the window's process is set up (ecan.ui.launcher.qt_app), checked in a fresh process:
what it does must happen before Qt first paints."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

# Paints what Qt would hand to its raster thread pool (a translucent fill of 760 scanlines),
# then lists the process's threads by name.
PAINT_AND_LIST_THREADS = """
import json, os, sys
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication
from ecan.ui.launcher import qt_app
app = qt_app() if sys.argv[1] == "qt_app" else QApplication([])
image = QImage(1180, 760, QImage.Format.Format_ARGB32_Premultiplied)
painter = QPainter(image)
painter.fillRect(image.rect(), QColor(40, 80, 160, 100))
painter.end()
names = [open(f"/proc/self/task/{t}/comm").read().strip() for t in os.listdir("/proc/self/task")]
print(json.dumps(names))
"""


def _threads_after_painting(make_app: str) -> list[str]:
    run_env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    run_env.pop("QT_NO_GUI_THREADPOOL", None)
    out = subprocess.run([sys.executable, "-c", PAINT_AND_LIST_THREADS, make_app], env=run_env,
                         capture_output=True, text=True, timeout=60, check=True)
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def test_the_window_paints_on_its_own_thread_without_qts_pool() -> None:
    """Qt would split big fills across a thread pool and wait for it: on a busy 2-core machine
    that wait is a dropped frame. The window's process turns the pool off."""
    if not os.path.isdir("/proc/self/task"):
        pytest.skip("thread names are read from Linux's /proc")
    assert "Thread (pooled)" not in _threads_after_painting("qt_app")
    # The check can fail: a plain QApplication's same painting starts the pool's threads.
    assert "Thread (pooled)" in _threads_after_painting("plain")


def test_the_windows_settings_file_is_private(tmp_path: Path, qapp: Any) -> None:
    """ui.ini (window state, language, the last folders used) is the user's alone, whatever
    the umask."""
    from ecan.paths import AppPaths
    from ecan.ui.launcher import ui_settings

    paths = AppPaths(tmp_path / "home").ensure()
    old = os.umask(0o022)
    try:
        settings = ui_settings(paths)
        settings.setValue("language", "de")
        settings.sync()
    finally:
        os.umask(old)
    assert settings.status() == settings.Status.NoError
    assert stat.S_IMODE((paths.home / "ui.ini").stat().st_mode) == 0o600
