"""Pausing from the window as a user does: the Sync menu's "Pause for 1 hour" shows "Paused
until HH:MM" in the status bar and the tray's tooltip, the tray menu offers the everyday
actions, and Settings sets the upload limit, pauses, resumes and turns on start at login."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ui.conftest import Gui


@pytest.fixture
def folder_gui(clean_env: dict[str, str], qtbot: Any, tmp_path: Path,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[Gui]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    config = tmp_path / "auth_config.yml"
    config.write_text(f"STORAGE:\n  BACKEND: local\n  LOCAL_PATH: {tmp_path / 'cloud'}\n")
    g = Gui({**clean_env, "ECAN_CONFIG": str(config), "XDG_CONFIG_HOME": str(tmp_path / "xdg")},
            qtbot, sync=True)
    yield g
    g.close()


def test_pause_for_an_hour_from_the_sync_menu_says_until_when(folder_gui: Gui,
                                                              qtbot: Any) -> None:
    from ecan.ui.main_window import paused_text

    window = folder_gui.window
    texts = [a.text() for a in window.menu_sync.actions()]
    assert {"Pause for 1 &hour", "Pause until &tomorrow", "&Pause sync"} <= set(texts)
    before = time.time()
    window.act_pause_hour.trigger()
    qtbot.waitUntil(lambda: "Paused until" in window.sync_label.text(), timeout=15_000)
    status = folder_gui.call("sync.status")
    assert status["paused"] is True
    assert before + 3590 <= status["paused_until"] <= time.time() + 3610
    assert paused_text(status["paused_until"]) in window.sync_label.text()
    assert paused_text(status["paused_until"]) in window.tray_tip
    # Paused: Resume is offered (the menu's toggle and the tray's item).
    assert window.act_pause.text() == "&Resume sync" and window.act_resume.isEnabled()
    window.act_resume.trigger()
    qtbot.waitUntil(lambda: "Paused" not in window.sync_label.text()
                    and not window.act_resume.isEnabled(), timeout=15_000)
    assert folder_gui.call("sync.status")["paused"] is False


def test_the_tray_menu_offers_open_pause_resume_sync_now_and_quit(folder_gui: Gui) -> None:
    menu = folder_gui.window._tray_menu()
    assert [a.text() for a in menu.actions() if not a.isSeparator()] == [
        "Open ecan", "Pause for 1 &hour", "&Resume sync", "Sync &now", "&Quit"]


def test_settings_set_the_limit_pause_and_start_at_login(folder_gui: Gui, qtbot: Any,
                                                         tmp_path: Path) -> None:
    window = folder_gui.window
    window.monitor.refresh()
    qtbot.waitUntil(lambda: "bandwidth_limit_kbps" in window.monitor.status, timeout=10_000)
    window.open_settings()
    dialog = window.settings_dialog
    assert dialog.bandwidth.value() == 0 and dialog.bandwidth.text() == "Unlimited"
    assert not dialog.start_at_login.isChecked()
    dialog.pause_tomorrow.click()
    qtbot.waitUntil(lambda: "tomorrow" in dialog.pause_state.text()
                    or "Paused until" in dialog.pause_state.text(), timeout=15_000)
    assert folder_gui.call("sync.status")["paused_until"] is not None
    dialog.resume_button.click()
    qtbot.waitUntil(lambda: dialog.pause_state.text() == "Syncing", timeout=15_000)
    dialog.bandwidth.setValue(256)
    dialog.start_at_login.setChecked(True)
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=15_000)
    qtbot.waitUntil(lambda: folder_gui.call("sync.status")["bandwidth_limit_kbps"] == 256,
                    timeout=15_000)
    entry = tmp_path / "xdg" / "autostart" / "ecan.desktop"
    assert entry.is_file() and "gui" in entry.read_text()
    # Opened again, the form shows what is in force; unticking removes the entry.
    window.monitor.refresh()
    qtbot.waitUntil(lambda: window.monitor.status.get("bandwidth_limit_kbps") == 256,
                    timeout=10_000)
    window.open_settings()
    dialog = window.settings_dialog
    assert dialog.bandwidth.value() == 256 and dialog.start_at_login.isChecked()
    dialog.start_at_login.setChecked(False)
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=15_000)
    assert not entry.exists()


def test_in_chinese_the_pause_and_the_domains_errors_read_in_chinese(
        folder_gui: Gui, qtbot: Any, languages: Any) -> None:
    window = folder_gui.window
    languages.apply("zh_CN")
    qtbot.waitUntil(lambda: window.act_pause_hour.text() == "暂停 1 小时(&H)", timeout=5_000)
    # A message the (English-writing) domain sends back: shown in the window's language.
    window.bridge.run("sync.pause", {"duration": "soon"})
    qtbot.waitUntil(lambda: "“soon” 不是有效的时长。" in window.statusBar().currentMessage(),
                    timeout=15_000)
    assert "30m" in window.statusBar().currentMessage()  # the hint, in Chinese around it
    window.act_pause_hour.trigger()
    qtbot.waitUntil(lambda: "已暂停，" in window.sync_label.text(), timeout=15_000)
    assert "恢复" in window.sync_label.text() and "Paused" not in window.sync_label.text()


def test_a_proxy_typed_with_its_password_keeps_the_password_out_of_the_file(
        folder_gui: Gui, qtbot: Any) -> None:
    from ecan.auth.secrets import PROXY_ACCOUNT, SERVICE

    window = folder_gui.window
    window.open_settings()
    dialog = window.settings_dialog
    dialog.proxy.setText("http://alice:hunter2@127.0.0.1:3128")
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=15_000)
    config = Path(folder_gui.app.env["ECAN_CONFIG"]).read_text()
    assert "PROXY: http://alice@127.0.0.1:3128" in config and "hunter2" not in config
    keyring = folder_gui.app.keyring_backend
    assert keyring.get_password(SERVICE, PROXY_ACCOUNT) == "hunter2"
    # In force at once: the window's clients use the proxy with its password.
    assert folder_gui.app.config.network.url() == "http://alice:hunter2@127.0.0.1:3128"
