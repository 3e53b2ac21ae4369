"""Signing out is the user's choice: the window says "signed out" and what waits, and never
treats it as an expired session (no balloon, no sign-in dialog, no progress that cannot move)."""

from __future__ import annotations

from typing import Any

from tests.ui.conftest import Gui


def test_signing_out_shows_signed_out_and_waiting_without_expiry_prompts(
        cloud_gui: Gui, qtbot: Any, demo_user: Any) -> None:
    from PySide6.QtGui import QColor, QGuiApplication, QImage

    from ecan.sync.events import StateChanged

    gui = cloud_gui
    window = gui.window
    attention: list[tuple[str, str]] = []
    window.monitor.attention_needed.connect(lambda k, t: attention.append((k, t)))

    # Sign in as the user does, and let the built-in avatars settle.
    qtbot.waitUntil(lambda: window.account_button.text() == "Sign in", timeout=10_000)
    window.open_sign_in(False)
    dialog = window.signin_dialog
    dialog.username.setText(demo_user.username)
    dialog.password.setText(demo_user.password)
    dialog.sign_in_button.click()
    qtbot.waitUntil(lambda: window.account_button.text() == demo_user.username,
                    timeout=20_000)
    qtbot.waitUntil(lambda: "Online" in window.online_label.text(), timeout=20_000)
    window.signin_dialog = None

    # Sign out from the account menu.
    assert window.act_sign_out.isVisible()
    window.act_sign_out.trigger()
    qtbot.waitUntil(lambda: window.account_button.text() == "Sign in", timeout=10_000)
    # The sign-out revoked the session before the sync process heard of it: what it asked the
    # cloud meanwhile was refused as if the session had expired, and it says so for a while.
    for _ in range(20):
        gui.worker.deliver(StateChanged(online=True, paused=False, auth_required=True,
                                        signed_in=True, signed_out=False))
        qtbot.wait(50)

    # A picture pasted while signed out.
    image = QImage(90, 60, QImage.Format.Format_RGB32)
    image.fill(QColor("orange"))
    QGuiApplication.clipboard().setImage(image)
    window.paste()
    qtbot.waitUntil(lambda: any(a["name"] == "pasted" for a in
                                window.avatars.current_avatars()), timeout=10_000)

    qtbot.waitUntil(lambda: "Signed out · 1 waiting" in window.sync_label.text(),
                    timeout=20_000)
    # Give an expiry prompt every chance to appear (the engine looks again at a wake and at
    # every status poll), then check none did.
    window.monitor.refresh()
    qtbot.wait(3_000)
    assert "Signed out · 1 waiting" in window.sync_label.text()
    assert "Syncing" not in window.sync_label.text()
    assert not window.sync_bar.isVisible()
    online = window.online_label.text()
    assert "Online" not in online and "#1f9d55" not in online and "Signed out" in online
    assert "Sign-in needed" not in online
    assert attention == []
    assert window.signin_dialog is None or not window.signin_dialog.isVisible()
    assert window.statusBar().currentMessage() == "" or \
        "expired" not in window.statusBar().currentMessage()
    status = gui.call("sync.status")
    assert status["signed_out"] and not status["auth_required"]
    assert status["counts"]["queued"] == 1
