"""UI test fixtures: the real app on a temp ECAN_HOME (local-only or on the session's demo
cloud), the real bridge and main window, offscreen."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image


@pytest.fixture
def make_pictures(tmp_path: Path) -> Callable[..., list[Path]]:
    made: list[Path] = []

    def make(n: int, folder: str = "pics", size: int = 96) -> list[Path]:
        d = tmp_path / folder
        d.mkdir(parents=True, exist_ok=True)
        out = []
        # Distinct content per call: the library dedupes identical pictures by hash.
        seed = len(made)
        for i in range(n):
            p = d / f"photo-{i:03d}.png"
            k = seed + i
            Image.new("RGB", (size, size), ((k * 37) % 256, (k * 91) % 256, (k * 53) % 256)
                      ).save(p)
            out.append(p)
        made.extend(out)
        return out
    return make


# Import workers are spawned (multiprocessing's spawn_main); its resource tracker is shared by
# the whole test process and is left alone.
_HELPERS = (b"sync-service", b"decode-service", b"spawn_main")


def helper_processes() -> set[int]:
    """This process's live children that are the window's helpers (the sync and decode services,
    import workers), by /proc; empty where /proc cannot tell."""
    found: set[int] = set()
    for listing in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        try:
            pids = [int(p) for p in listing.read_text().split()]
        except (OSError, ValueError):
            continue
        for pid in pids:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except (OSError, IndexError):
                continue  # gone meanwhile
            if state not in ("Z", "X") and any(h in cmdline for h in _HELPERS):
                found.add(pid)
    return found


class Gui:
    """A running main window over a real app, wired as the launcher wires it (its sync through a
    sync process; `sync=True` starts that process); `close()` stops everything it started."""

    def __init__(self, env: dict[str, str], qtbot: Any, *, sync: bool = False) -> None:
        from PySide6.QtCore import QSettings

        from ecan.app import build_app
        from ecan.auth.secrets import MemoryKeyring
        from ecan.bridge.bridge import Bridge
        from ecan.bridge.sync_process import SyncProcess
        from ecan.ui.main_window import MainWindow

        # Helpers already running (another Gui of this test): not ours to end.
        self._helpers_before = helper_processes()
        self._qtbot = qtbot
        self.worker: Any = None
        self.window: Any = None
        self.bridge: Any = None
        self.app = build_app(env, keyring_backend=MemoryKeyring(), image_workers=True)
        try:
            self.bridge = Bridge(self.app.handlers)
            self.settings = QSettings(str(self.app.paths.home / "ui.ini"),
                                      QSettings.Format.IniFormat)
            self.window = MainWindow(self.bridge, self.settings, log_path=self.app.log_path,
                                     app=self.app)
            qtbot.addWidget(self.window)
            # What the app runs: the engine in its own process, fed the window's session.
            self.worker = SyncProcess(self.app, self.window)
            self.app.sync_control = self.worker
            self.window.attach_sync_worker(self.worker)
            if sync:
                self.worker.start()
            self.window.show()
            self.window.start()
            qtbot.waitUntil(self.window.avatars.is_loaded, timeout=10_000)
        except BaseException:
            # The fixture never gets this object to tear down: stop what was started here.
            self.close()
            raise

    def call(self, method: str, payload: dict[str, Any] | None = None) -> Any:
        """A handler call as the window makes one: off the GUI thread (`sync.*` waits for the
        sync process's answer, which arrives through the GUI thread's event loop)."""
        box: dict[str, Any] = {}
        threading.Thread(target=lambda: box.update(
            response=self.app.handlers.call(method, payload or {}))).start()
        self._qtbot.waitUntil(lambda: "response" in box, timeout=60_000)
        response = box["response"]
        assert response["ok"], response
        return response["data"]

    def close(self) -> None:
        """Stop everything this Gui started, each step even if one before it failed; then end
        any of its helper processes still running (a stop that did not work)."""
        steps: list[Callable[[], object]] = []
        if self.worker is not None:
            steps.append(lambda: self.worker.stop(5.0))
        if self.window is not None:
            steps.append(self.window.close)
        if self.bridge is not None:
            steps.append(self.bridge.close)
        if self.window is not None:
            steps.append(self.window.avatars.thumbs.close)
        steps.append(self.app.close)
        failed: BaseException | None = None
        for step in steps:
            try:
                step()
            except Exception as e:  # noqa: BLE001 - the rest must still run; raised below
                failed = failed or e
        for pid in helper_processes() - self._helpers_before:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if failed is not None:
            raise failed


@pytest.fixture
def languages(qapp: Any) -> Iterator[Any]:
    """The app's language switch; English (with its plural forms) again afterwards."""
    from ecan.ui.i18n import Languages

    langs = Languages(qapp)
    yield langs
    langs.apply("en")


@pytest.fixture
def gui(clean_env: dict[str, str], qtbot: Any) -> Iterator[Gui]:
    g = Gui(clean_env, qtbot)
    yield g
    g.close()


@pytest.fixture
def cloud_gui(cloud_env: dict[str, str], qtbot: Any) -> Iterator[Gui]:
    g = Gui(cloud_env, qtbot, sync=True)
    yield g
    g.close()


@pytest.fixture
def folder_gui(clean_env: dict[str, str], qtbot: Any, tmp_path: Path) -> Iterator[Gui]:
    """The window syncing to a folder backend through its real sync process."""
    config = tmp_path / "auth_config.yml"
    config.write_text(f"STORAGE:\n  BACKEND: local\n  LOCAL_PATH: {tmp_path / 'cloud'}\n")
    g = Gui({**clean_env, "ECAN_CONFIG": str(config)}, qtbot, sync=True)
    yield g
    g.close()


class Boxes:
    """Answers the next modal message boxes the way a user would (a button's text, or "Enter"
    / "Escape" pressed on the box) and records what each box said: `texts` (main text),
    `details` (informative text), `buttons` (the buttons' texts), `default` (what Enter
    answers)."""

    def __init__(self, qtbot: Any) -> None:
        self._qtbot = qtbot
        self._answers: list[str] = []
        self.texts: list[str] = []
        self.details: list[str] = []
        self.buttons: list[list[str]] = []
        self.default: list[str] = []

    def answer(self, *answers: str) -> Boxes:
        from PySide6.QtCore import QTimer

        self._answers.extend(answers)
        QTimer.singleShot(0, self._poll)
        return self

    def pending(self) -> int:
        return len(self._answers)

    def _poll(self) -> None:
        from PySide6.QtCore import Qt, QTimer
        from PySide6.QtWidgets import QApplication, QMessageBox

        if not self._answers:
            return
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox) or not box.isVisible():
            QTimer.singleShot(10, self._poll)
            return
        answer = self._answers.pop(0)
        self.texts.append(box.text())
        self.details.append(box.informativeText())
        self.buttons.append([b.text() for b in box.buttons()])
        default = box.defaultButton()
        self.default.append(default.text() if default is not None else "")
        if answer in ("Enter", "Escape"):
            key = Qt.Key.Key_Return if answer == "Enter" else Qt.Key.Key_Escape
            self._qtbot.keyClick(box, key)
        else:
            button = next(b for b in box.buttons() if b.text().replace("&", "") == answer)
            button.click()
        if self._answers:
            QTimer.singleShot(10, self._poll)

    def clear(self) -> None:
        self._answers.clear()


@pytest.fixture
def boxes(qtbot: Any) -> Iterator[Boxes]:
    b = Boxes(qtbot)
    yield b
    b.clear()
