"""Sync as the user sees it, with the real engine under its Qt worker: progress in the status
bar, a failure with its reason and a working retry (local folder backend), and signing in to
the demo cloud with errors shown in place."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.ui.conftest import Gui


def states(gui: Gui) -> dict[str, str]:
    return {a["name"]: a["sync_state"] for a in gui.window.avatars.current_avatars()}


def resume(gui: Gui, qtbot: Any) -> None:
    """Click Sync > Resume, as the user does once the menu offers it."""
    gui.window.monitor.refresh()
    qtbot.waitUntil(lambda: "Resume" in gui.window.act_pause.text(), timeout=10_000)
    gui.window.act_pause.trigger()


def test_progress_is_shown_then_everything_synced(
        folder_gui: Gui, qtbot: Any, make_pictures: Callable[..., list[Path]]) -> None:
    gui = folder_gui
    gui.call("sync.pause")
    gui.call("avatar.import_paths", {"paths": [str(p) for p in make_pictures(3)]})
    gui.window.monitor.refresh()
    gui.window.avatars.reload()
    # The folder backend also holds the 8 built-in avatars, already synced.
    synced = gui.call("sync.status")["counts"]["synced"]
    label = gui.window.sync_label
    qtbot.waitUntil(lambda: f"Syncing {synced} of {synced + 3}" in label.text()
                    and "paused" in label.text(), timeout=10_000)
    assert set(states(gui).values()) == {"queued"}
    resume(gui, qtbot)
    qtbot.waitUntil(lambda: f"All {synced + 3} synced" in label.text(), timeout=20_000)
    assert "Online" in gui.window.online_label.text()
    qtbot.waitUntil(lambda: set(states(gui).values()) == {"synced"}, timeout=10_000)


def test_a_failure_shows_why_and_retry_fixes_it(
        folder_gui: Gui, qtbot: Any, make_pictures: Callable[..., list[Path]],
        tmp_path: Path) -> None:
    gui = folder_gui
    gui.call("sync.pause")
    pics = make_pictures(2)
    gui.call("avatar.import_paths", {"paths": [str(p) for p in pics]})
    gui.window.avatars.reload()
    victim = next(a for a in gui.call("avatar.list")["avatars"] if a["name"] == "photo-000")
    stash = tmp_path / "stash.png"
    shutil.move(victim["image_path"], stash)  # the stored original vanished: upload must fail
    resume(gui, qtbot)

    qtbot.waitUntil(lambda: states(gui).get("photo-000") == "failed", timeout=20_000)
    qtbot.waitUntil(lambda: states(gui).get("photo-001") == "synced", timeout=20_000)
    page = gui.window.avatars
    page.select_id(victim["id"])
    row = page.model.avatar(victim["id"]) or {}
    tooltip = page.model.describe(row)
    assert "Sync failed" in tooltip and "No such file" in tooltip
    assert page.details.retry.isVisible()
    assert "No such file" in page.details.values["error"].text()
    qtbot.waitUntil(lambda: "1 failed" in gui.window.sync_label.text(), timeout=10_000)
    assert gui.window.act_retry.isEnabled()

    shutil.move(stash, victim["image_path"])  # the user puts it back and retries
    page.details.retry.click()
    qtbot.waitUntil(lambda: states(gui).get("photo-000") == "synced", timeout=20_000)
    qtbot.waitUntil(lambda: "failed" not in gui.window.sync_label.text(), timeout=10_000)


def test_sign_in_shows_errors_in_place_then_signs_in(
        cloud_gui: Gui, qtbot: Any, demo_user: Any) -> None:
    gui = cloud_gui
    qtbot.waitUntil(lambda: gui.window.account_button.text() == "Sign in", timeout=10_000)
    gui.window.open_sign_in(False)
    dialog = gui.window.signin_dialog
    dialog.username.setText(demo_user.username)
    dialog.password.setText("not-the-password")
    dialog.sign_in_button.click()
    qtbot.waitUntil(lambda: dialog.error.isVisible() and dialog.sign_in_button.isEnabled(),
                    timeout=15_000)
    assert dialog.isVisible()
    assert "not-the-password" not in dialog.error.text()
    assert dialog.error.text().strip()

    dialog.password.setText(demo_user.password)
    dialog.sign_in_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=15_000)
    qtbot.waitUntil(lambda: gui.window.account_button.text() == demo_user.username,
                    timeout=10_000)
    assert gui.window.act_sign_out.isVisible()
    assert "identity" in gui.window.act_identity.text()


def test_an_expired_session_prompts_sign_in_and_notifies(gui: Gui, qtbot: Any) -> None:
    """When the engine says its session expired, the window asks the user to sign in again."""
    from ecan.sync.events import StateChanged

    attention: list[tuple[str, str]] = []
    gui.window.monitor.attention_needed.connect(lambda k, t: attention.append((k, t)))
    # As the engine's event arrives from its process.
    gui.worker.deliver(StateChanged(online=True, paused=False, auth_required=True,
                                    signed_in=True, signed_out=False))
    qtbot.waitUntil(lambda: bool(attention), timeout=5_000)
    assert attention[0][0] == "auth_required"
    dialog = gui.window.signin_dialog
    assert dialog.isVisible() and "expired" in dialog.intro.text()
    assert "Sign-in needed" in gui.window.online_label.text()


def test_sync_process_that_dies_is_restarted_and_nothing_is_lost(
        folder_gui: Gui, qtbot: Any, make_pictures: Callable[..., list[Path]]) -> None:
    """The engine runs in its own process: if it is killed, the window says so, starts it
    again, and the queue it left behind is synced."""
    gui = folder_gui
    worker = gui.worker
    proc = worker.helper.process
    assert proc is not None
    qtbot.waitUntil(lambda: proc.state() == proc.ProcessState.Running, timeout=10_000)
    delays: list[int] = []
    worker.restarting.connect(delays.append)
    proc.kill()
    qtbot.waitUntil(lambda: bool(delays), timeout=10_000)
    assert delays[0] >= 1
    qtbot.waitUntil(lambda: "restarts by itself" in gui.window.statusBar().currentMessage(),
                    timeout=5_000)
    gui.window.import_paths([str(p) for p in make_pictures(2)])
    qtbot.waitUntil(lambda: len(states(gui)) == 2 and set(states(gui).values()) == {"synced"},
                    timeout=30_000)
    assert worker.helper.process is not None and worker.helper.process is not proc


def test_the_window_asks_its_sync_process_and_keeps_no_engine(folder_gui: Gui,
                                                               qtbot: Any) -> None:
    """Pause, status and restore are the sync process's engine's to do: the window builds no
    engine of its own, and the pause it asks for comes back as the engine's own news."""
    gui = folder_gui
    news: list[Any] = []
    gui.worker.state_changed.connect(news.append)
    qtbot.waitUntil(lambda: "Pause" in gui.window.act_pause.text(), timeout=10_000)
    gui.window.act_pause.trigger()
    qtbot.waitUntil(lambda: any(e.paused for e in news), timeout=10_000)
    qtbot.waitUntil(lambda: "Resume" in gui.window.act_pause.text(), timeout=10_000)
    assert gui.call("sync.status")["paused"] is True
    restored = gui.call("sync.restore", {"only_if_empty": True})
    assert restored["ran"] is True and restored["failed"] == 0
    built = set(vars(gui.app))
    assert not built & {"sync", "engine"}, "the window built a sync engine of its own"
