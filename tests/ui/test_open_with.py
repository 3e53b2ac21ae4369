"""Files given to the app ("Open with ecan"): a second launch hands them to the window already
running on the library, and macOS's file-open events import them; either way they end up in the
gallery the user is looking at, the way a drop does."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


def names_shown(window: Any) -> list[str]:
    return sorted(str(a.get("name")) for a in window.avatars.current_avatars())


@pytest.fixture
def session(clean_env: dict[str, str], qapp: Any, qtbot: Any) -> Iterator[Any]:
    """The window's session as `ecan gui` builds it, local-only, without its sync process."""
    from ecan.app import build_app
    from ecan.auth.secrets import MemoryKeyring
    from ecan.ui.i18n import Languages
    from ecan.ui.launcher import GuiSession, ui_settings

    app = build_app(clean_env, keyring_backend=MemoryKeyring(), image_workers=True)
    s = GuiSession(qapp, app, Languages(qapp), ui_settings(app.paths))
    qtbot.addWidget(s.window)
    s.window.show()
    s.window.start()
    qtbot.waitUntil(s.window.avatars.is_loaded, timeout=10_000)
    yield s
    s.window.close()
    s.shutdown()


def test_a_second_launch_hands_its_files_to_the_running_window(
        clean_env: dict[str, str], qapp: Any, qtbot: Any,
        make_pictures: Callable[..., list[Path]]) -> None:
    """The first `ecan gui` runs here (its whole start-up, event loop and all); the second is a
    real `ecan gui FILE FOLDER` process, started from another folder with relative paths."""
    from PySide6.QtCore import QProcess, QTimer
    from PySide6.QtWidgets import QApplication

    from ecan.ui.launcher import run_gui
    from ecan.ui.main_window import MainWindow

    single = make_pictures(1, "single")[0]
    folder = make_pictures(2, "folder")[0].parent
    env = {**clean_env, "QT_QPA_PLATFORM": "offscreen",
           "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}
    second = QProcess()
    second.setProgram(sys.executable)
    second.setArguments(["-m", "ecan", "gui", single.name, os.path.relpath(folder, single.parent)])
    second.setWorkingDirectory(str(single.parent))
    second.setProcessEnvironment(_qt_env(env))
    seen: dict[str, Any] = {"names": [], "count": "", "stack_is_gallery": False}

    def window() -> MainWindow | None:
        return next((w for w in QApplication.topLevelWidgets()
                     if isinstance(w, MainWindow) and w.isVisible()), None)

    ticks = {"n": 0}

    def watch() -> None:
        ticks["n"] += 1
        w = window()
        if ticks["n"] > 600:  # a safety net, not a measure: the asserts below say what failed
            QApplication.quit()
        if w is None:
            return
        if "launched" not in seen:
            if w.is_settled():  # the first window is up and listening
                seen["launched"] = True
                second.start()
            return
        if second.state() != QProcess.ProcessState.NotRunning:
            return
        seen["names"] = names_shown(w)
        seen["count"] = w.avatars.count_label.text()
        seen["stack_is_gallery"] = w.avatars.stack.currentWidget() is w.avatars.view
        if len(seen["names"]) == 3 and w.is_settled():
            # Quit first: a window closed inside the event loop would post a Quit event that
            # outlives this loop and ends the next test's waits at once.
            seen["window"] = w
            QApplication.quit()

    poll = QTimer()
    poll.setInterval(100)
    poll.timeout.connect(watch)
    poll.start()
    try:
        code = run_gui(env=env)  # returns once `watch` closes the window (60 s at most)
    finally:
        poll.stop()
        second.waitForFinished(10_000)
        if seen.get("window") is not None:
            seen["window"].close()
        # What the app's exit left queued runs here, not in the next test's first wait.
        qtbot.wait(200)
    assert code == 0
    assert second.exitCode() == 0, bytes(second.readAllStandardError().data()).decode()
    said = bytes(second.readAllStandardError().data()).decode()
    assert "already running" in said and "given the 2 files" in said
    assert seen["names"] == ["photo-000", "photo-000", "photo-001"]
    assert seen["count"] == "3 avatars" and seen["stack_is_gallery"]


def _qt_env(env: dict[str, str]) -> Any:
    from PySide6.QtCore import QProcessEnvironment

    qenv = QProcessEnvironment()
    for k, v in env.items():
        qenv.insert(k, v)
    return qenv


def test_files_macos_opens_with_ecan_are_imported_into_the_gallery(
        session: Any, qapp: Any, qtbot: Any, make_pictures: Callable[..., list[Path]]) -> None:
    from PySide6.QtGui import QFileOpenEvent
    from PySide6.QtWidgets import QApplication

    first, second = make_pictures(2, "finder")
    # Finder sends one event per file; they become one import.
    for p in (first, second):
        QApplication.sendEvent(qapp, QFileOpenEvent(str(p)))
    qtbot.waitUntil(lambda: len(names_shown(session.window)) == 2
                    and session.window.is_settled(), timeout=20_000)
    assert names_shown(session.window) == ["photo-000", "photo-001"]
    assert session.window.avatars.count_label.text() == "2 avatars"
    assert session.window.statusBar().currentMessage() == "Added 2."



