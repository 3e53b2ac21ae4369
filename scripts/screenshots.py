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
    from ecan.bridge.sync_process import SyncProcess
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

    def call(method: str, payload: dict[str, Any]) -> dict[str, Any]:
        """A handler call off the GUI thread, as the window makes them (`sync.*` waits for the
        sync process, whose answer comes through this thread's event loop)."""
        import threading

        box: dict[str, Any] = {}
        threading.Thread(target=lambda: box.update(
            response=app.handlers.call(method, payload))).start()
        wait(qapp, lambda: "response" in box, timeout=120.0)
        return dict(box["response"])

    samples = [str(p) for p in sample_paths()]
    call("avatar.import_paths", {"paths": samples})
    bridge = Bridge(app.handlers)
    settings = QSettings(str(work / "ui.ini"), QSettings.Format.IniFormat)
    window = MainWindow(bridge, settings, log_path=app.log_path, app=app)
    worker = SyncProcess(app, window)
    app.sync_control = worker
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
    return account_dialogs(out)


def account_dialogs(out: Path) -> int:
    """The sign-in dialog's every step and the authenticator set-up, in both languages, each
    with the error or note a user meets there (states set directly: no cloud needed)."""
    import base64

    from ecan.app import build_app
    from ecan.auth.flows import otpauth_uri, qr_png
    from ecan.auth.secrets import MemoryKeyring
    from ecan.bridge.bridge import Bridge
    from ecan.ui.account_dialogs import TotpSetupDialog
    from ecan.ui.i18n import Languages
    from ecan.ui.launcher import qt_app
    from ecan.ui.signin_dialog import SignInDialog

    out.mkdir(parents=True, exist_ok=True)
    qapp = qt_app()
    languages = Languages(qapp)
    work = Path(tempfile.mkdtemp(prefix="ecan-shots-"))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "AVATAR_CLOUD_", "ECAN_CONFIG"))}
    app = build_app({**env, "ECAN_HOME": str(work / "home")}, keyring_backend=MemoryKeyring())
    bridge = Bridge(app.handlers)
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    key = {"secret": secret, "qr_png_base64": base64.b64encode(
        qr_png(otpauth_uri(secret, "alice"))).decode()}
    masked = "a***@e***.com"

    def shoot(name: str, widget: Any) -> None:
        settle(qapp)
        path = out / f"{name}.png"
        widget.grab().save(str(path), "PNG")
        print(f"wrote {path}")

    def error(code: str, message: str = "") -> dict[str, str]:
        return {"code": code, "message": message, "hint": ""}

    for lang in ("en", "zh_CN"):
        languages.apply(lang)
        d = SignInDialog(bridge, None, username="alice", hosted_ui=True)
        d.show()
        d.password.setText("not-it")
        d.signin_page.show_error(error("wrong_password"))
        shoot(f"{lang}-a1-signin", d)
        d.start_sign_up()
        d.new_username.setText("alice")
        d.email.setText("alice@example.com")
        d.new_password.setText("short")
        d.signup_page.show_error(error("weak_password", "The password is not accepted: "
                                       "Password did not conform with policy: Password not "
                                       "long enough."))
        shoot(f"{lang}-a2-signup-weak-password", d)
        d.signup_page.show_error(error("user_exists"))
        shoot(f"{lang}-a3-signup-user-exists", d)
        d._show_confirm(masked)
        d.confirm_code.setText("123456")
        d._resent({"code_sent_to": {"destination": masked}})
        d.confirm_page.show_error(error("wrong_code"))
        shoot(f"{lang}-a4-confirm-wrong-code", d)
        d.confirm_page.show_error(error("throttled"))
        shoot(f"{lang}-a5-confirm-too-many", d)
        d.start_forgot()
        shoot(f"{lang}-a6-forgot", d)
        d._code_sent({"code_sent_to": {"destination": masked}})
        d.reset_code.setText("654321")
        d.reset_password.setText("Brand-New-Pass-8")
        d.reset_page.show_error(error("expired_code"))
        shoot(f"{lang}-a7-reset-expired-code", d)
        d._stepped({"signed_in": False, "challenge": "NEW_PASSWORD_REQUIRED",
                    "challenge_id": "x"})
        d.required_password.setText("one")
        d.required_repeat.setText("two")
        d.submit_new_password()
        shoot(f"{lang}-a8-new-password", d)
        d._stepped({"signed_in": False, "challenge": "SOFTWARE_TOKEN_MFA", "challenge_id": "x"})
        d.mfa_code.setText("000000")
        d.mfa_page.show_error(error("wrong_code"))
        shoot(f"{lang}-a9-totp-code", d)
        d._stepped({"signed_in": False, "challenge": "SMS_MFA", "challenge_id": "x",
                    "destination": "+*******0123"})
        shoot(f"{lang}-a10-sms-code", d)
        d.show_page(d.browser_page)
        d.retry_browser_button.hide()
        d.show_browser_address(
            "https://myapp.auth.us-east-1.amazoncognito.com/oauth2/authorize?response_type=code"
            "&client_id=1example23456789&redirect_uri=http%3A%2F%2Flocalhost%3A47615%2Fcallback"
            "&scope=openid+email+profile&state=Jx2" + "x" * 40)
        shoot(f"{lang}-a11-browser", d)
        d.close()
        t = TotpSetupDialog(bridge)
        t.show()
        wait(qapp, lambda: bridge.in_flight() == 0)  # its call fails here: no cloud
        t.page.clear_error()
        t._got_key(key)
        t.code.setText("12345")
        t.page.show_error(error("wrong_code"))
        shoot(f"{lang}-a12-totp-setup", t)
        t.close()
        # The account menu while alice is signed in, with bob's library also on this computer.
        from PySide6.QtGui import QAction
        from PySide6.QtWidgets import QMenu

        from ecan.ui.account_dialogs import AccountSwitcher

        menu = QMenu()
        from PySide6.QtCore import QCoreApplication

        def window_tr(text: str) -> str:  # the main window's own strings
            return QCoreApplication.translate("MainWindow", text)

        menu.addAction(window_tr("Signed in as {user} (identity {identity})").format(
            user="alice", identity="us-east-1:5f0c…")).setEnabled(False)
        menu.addSeparator()
        menu.addAction(window_tr("Set up an &authenticator app…"))
        sign_out = QAction(window_tr("Sign &out"), menu)
        menu.addAction(sign_out)
        switcher = AccountSwitcher(bridge)
        switcher.attach(menu, before=sign_out)
        switcher._got({"accounts": [{"username": "alice", "current": True},
                                    {"username": "bob", "current": False}]})
        menu.popup(menu.mapToGlobal(menu.pos()))
        shoot(f"{lang}-a13-account-menu", menu)
        menu.close()

        # After signing in, on a computer where avatars were added without an account.
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication, QMessageBox

        from ecan.ui.account_dialogs import LocalAvatarsOffer

        def shoot_box(name: str) -> None:
            box = QApplication.activeModalWidget()
            if not isinstance(box, QMessageBox):
                QTimer.singleShot(50, lambda: shoot_box(name))
                return
            shoot(name, box)
            box.reject()

        QTimer.singleShot(50, lambda n=f"{lang}-a14-move-local-avatars": shoot_box(n))
        LocalAvatarsOffer(bridge, d).ask(3, "alice")
    languages.apply("en")
    bridge.close()
    app.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--accounts"]:
        raise SystemExit(account_dialogs(Path(sys.argv[2] if len(sys.argv) > 2
                                              else "screenshots")))
    raise SystemExit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")))
