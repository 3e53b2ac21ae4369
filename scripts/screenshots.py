"""Render each main screen of ecan, in English and Simplified Chinese, to PNGs (run under Xvfb by
scripts/screenshots.sh). The library is real: the bundled samples imported and synced to a
folder backend, plus pictures waiting and one failed, so every badge shows."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image


def wait(qapp: Any, until: Callable[[], bool], timeout: float = 30.0) -> None:
    import time

    end = time.monotonic() + timeout
    while not until() and time.monotonic() < end:
        qapp.processEvents()
        time.sleep(0.02)


def settle(qapp: Any, seconds: float = 0.6) -> None:
    wait(qapp, lambda: False, seconds)


def main(out: Path) -> int:
    from PySide6.QtCore import QSettings

    from ecan.app import build_app
    from ecan.auth.secrets import MemoryKeyring
    from ecan.bridge.bridge import Bridge
    from ecan.bridge.sync_worker import SyncWorker
    from ecan.resources import sample_paths
    from ecan.ui.gallery_model import IdRole
    from ecan.ui.i18n import Languages
    from ecan.ui.launcher import qt_app
    from ecan.ui.main_window import MainWindow

    out.mkdir(parents=True, exist_ok=True)
    qapp = qt_app()
    languages = Languages(qapp)
    work = Path(tempfile.mkdtemp(prefix="ecan-shots-"))
    config = work / "auth_config.yml"
    config.write_text(f"STORAGE:\n  BACKEND: local\n  LOCAL_PATH: {work / 'cloud'}\n")
    env = {**os.environ, "ECAN_HOME": str(work / "home"), "ECAN_CONFIG": str(config)}
    for name in ("AVATAR_CLOUD_BUCKET", "AWS_S3_BUCKET", "S3_BUCKET_NAME", "USE_R2_STORAGE"):
        env.pop(name, None)
    app = build_app(env, keyring_backend=MemoryKeyring())
    call = app.handlers.call
    samples = [str(p) for p in sample_paths()]
    call("avatar.import_paths", {"paths": samples})
    bridge = Bridge(app.handlers)
    settings = QSettings(str(work / "ui.ini"), QSettings.Format.IniFormat)
    window = MainWindow(bridge, settings, log_path=app.log_path, app=app)
    worker = SyncWorker(app.sync, window)
    window.attach_sync_worker(worker)
    window.resize(1180, 760)
    window.show()
    window.start()
    worker.start()
    wait(qapp, lambda: (call("sync.status", {})["data"]["counts"]["queued"] == 0
                        and window.is_settled()))
    # Some waiting and one failure, so every badge is on screen.
    call("sync.pause", {})
    extra = work / "more"
    extra.mkdir()
    for i, colour in enumerate([(233, 150, 60), (90, 160, 220), (150, 90, 200)]):
        Image.new("RGB", (256, 256), colour).save(extra / f"sketch-{i + 1}.png")
    call("avatar.import_paths", {"paths": [str(p) for p in sorted(extra.iterdir())]})
    listed = call("avatar.list", {})["data"]["avatars"]
    broken = next(a for a in listed if a["name"] == "sketch-1")
    shutil.move(broken["image_path"], work / "stash.png")
    call("sync.resume", {})
    worker.wake()
    wait(qapp, lambda: call("sync.status", {})["data"]["counts"]["failed"] >= 1)
    call("sync.pause", {})
    window.avatars.reload()
    window.monitor.refresh()
    wait(qapp, window.is_settled)
    settle(qapp, 1.0)

    def shoot(name: str, widget: Any) -> None:
        settle(qapp)
        path = out / f"{name}.png"
        widget.grab().save(str(path), "PNG")
        print(f"wrote {path}")

    for lang in ("en", "zh_CN"):
        languages.apply(lang)
        window.tabs.setCurrentWidget(window.avatars)
        window.avatars.state_filter.setCurrentIndex(0)
        window.avatars.select_id(broken["id"])
        settle(qapp, 1.0)
        shoot(f"{lang}-1-gallery", window)
        window.avatars.state_filter.setCurrentIndex(2)  # built-in
        window.avatars.view.clearSelection()
        shoot(f"{lang}-2-builtin", window)
        window.avatars.state_filter.setCurrentIndex(0)
        window.tabs.setCurrentWidget(window.agents)
        agents = call("agent.list", {})["data"]["agents"]
        if not agents:
            call("agent.save", {"name": "Support bot", "description": "Answers questions",
                                "avatar_id": listed[0]["id"]})
        window.agents.reload()
        settle(qapp, 1.0)
        window.agents.list.setCurrentRow(0)
        shoot(f"{lang}-3-agents", window)
        window.tabs.setCurrentWidget(window.avatars)

        # The delete confirmation, for two avatars of which the agent's stays.
        from PySide6.QtCore import QItemSelectionModel, QTimer
        from PySide6.QtWidgets import QApplication, QMessageBox

        in_use = call("agent.list", {})["data"]["agents"][0]["avatar_id"]
        window.avatars.reload()  # the agent above was saved behind the window's back
        wait(qapp, window.is_settled)
        window.avatars.select_id(in_use)
        other = next(a["id"] for a in window.avatars.current_avatars() if a["id"] != in_use)
        flag = QItemSelectionModel.SelectionFlag.Select
        window.avatars.view.selectionModel().select(
            next(window.avatars.proxy.index(r, 0) for r in range(window.avatars.proxy.rowCount())
                 if window.avatars.proxy.index(r, 0).data(IdRole) == other), flag)

        def shoot_box(name: str = f"{lang}-8-delete-confirmation") -> None:
            box = QApplication.activeModalWidget()
            if not isinstance(box, QMessageBox):
                QTimer.singleShot(50, lambda: shoot_box(name))
                return
            shoot(name, box)
            box.reject()

        QTimer.singleShot(50, shoot_box)
        window.delete_avatars(window.avatars.selected_ids())

        from ecan.ui.signin_dialog import SignInDialog

        dialog = SignInDialog(bridge, window, expired=True, username="demo")
        dialog.show()
        dialog._show_error({"message": "Incorrect username or password.",
                            "hint": "Check them and try again."})
        shoot(f"{lang}-4-signin", dialog)
        dialog.close()

        from ecan.ui.settings_dialog import SettingsDialog

        sdialog = SettingsDialog(bridge, app, settings, window)
        sdialog.show()
        sdialog.backend.setCurrentIndex(3)
        sdialog.bucket.setText("Bad_Bucket")
        sdialog.save()
        shoot(f"{lang}-5-settings", sdialog)
        sdialog.close()

        from ecan.ui.import_flow import ImportSummaryDialog

        summary = ImportSummaryDialog([
            {"path": "/home/me/a.png", "ok": True},
            {"path": "/home/me/notes.txt", "ok": False,
             "error": "notes.txt: not a picture ecan can read (PNG, JPEG, GIF or WebP)"},
            {"path": "/home/me/huge.png", "ok": False,
             "error": "huge.png: 30000 × 30000 pixels is over the 40 megapixel limit"},
        ], window)
        summary.show()
        shoot(f"{lang}-6-import-summary", summary)
        summary.close()

        from PySide6.QtGui import QImage

        from ecan.ui.crop_dialog import CropDialog

        crop = CropDialog(QImage(samples[3]), window)
        crop.zoom.setValue(150)
        crop.show()
        shoot(f"{lang}-7-crop", crop)
        crop.close()

    # The empty state of a fresh library.
    languages.apply("en")
    empty_env = {**env, "ECAN_HOME": str(work / "empty"), "ECAN_CONFIG": ""}
    empty_env.pop("ECAN_CONFIG")
    empty_app = build_app(empty_env, keyring_backend=MemoryKeyring())
    empty_bridge = Bridge(empty_app.handlers)
    empty = MainWindow(empty_bridge, QSettings(str(work / "e.ini"), QSettings.Format.IniFormat),
                       app=empty_app)
    empty.resize(1180, 760)
    empty.show()
    empty.start()
    wait(qapp, empty.is_settled)
    for lang in ("en", "zh_CN"):
        languages.apply(lang)
        shoot(f"{lang}-0-empty", empty)
    languages.apply("en")
    empty.avatars.thumbs.close()  # ends its picture decoder process
    empty.close()
    empty_bridge.close()
    empty_app.close()

    worker.stop(5.0)
    window.avatars.thumbs.close()
    window.close()
    bridge.close()
    app.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")))
