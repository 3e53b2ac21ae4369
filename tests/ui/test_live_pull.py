"""Two computers signed in as one user: what the other one changes (an import, a rename, a
delete, an agent) shows up in this window by itself, through its real sync process's pulls,
and the Activity list says what happened where."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_two_way_sync import Machines
from tests.ui.conftest import Gui

# The window's sync process pulls every PULL_EVERY_S (30 s) with nobody touching anything.
LIVE_S = 75


def test_the_other_computers_changes_show_up_without_a_click(
        make_demo_cloud: Callable[..., Any], clean_env: dict[str, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        qtbot: Any) -> None:
    from ecan.ui.gallery_model import IdRole

    cloud = make_demo_cloud()
    other = Machines(cloud, tmp_path, monkeypatch, capsys)  # computer B, by its command line
    other.login("b")
    kept = other.new_picture("b")
    dropped = other.new_picture("b")
    other.sync("b")
    shas = {a["id"]: sha for sha, a in other.avatars("b").items()}

    # Computer A: the window signs in on an empty library and finds B's two avatars.
    env = {**clean_env, "ECAN_HOME": str(tmp_path / "a"),
           "ECAN_CONFIG": str(cloud.write_config(tmp_path / "a.yml"))}
    gui = Gui(env, qtbot, sync=True)
    try:
        window = gui.window
        window.open_sign_in(False)
        window.signin_dialog.username.setText(other.user.username)
        window.signin_dialog.password.setText(other.user.password)
        window.signin_dialog.sign_in_button.click()

        def shown() -> dict[str, str]:
            """sha256 -> name of the avatars the gallery shows."""
            return {str(a["sha256"]): str(a["name"])
                    for a in window.avatars.current_avatars() if a["resource_type"] != "system"}

        qtbot.waitUntil(lambda: set(shown()) == {shas[kept], shas[dropped]}, timeout=30_000)
        window.tabs.setCurrentWidget(window.agents)  # the agent picker on screen

        # On B: one more picture, a rename, a delete and a new agent, synced.
        added = other.new_picture("b")
        shas[added] = next(sha for sha, a in other.avatars("b").items() if a["id"] == added)
        assert other.cli("edit", kept, "--name", "Renamed on B")[0] == 0
        assert other.cli("delete", dropped)[0] == 0
        assert other.cli("agent", "save", "Helper", "--avatar", added)[0] == 0
        other.sync("b")

        # A's window follows by itself: nobody clicks, types or switches windows.
        want = {shas[kept]: "Renamed on B", shas[added]: "pic3"}
        qtbot.waitUntil(lambda: shown() == want, timeout=LIVE_S * 1000)
        agents = window.agents

        def picker_shas() -> set[str]:
            model = agents.avatars
            ids = {str(model.index(r).data(IdRole)) for r in range(model.rowCount())}
            return {str(a["sha256"]) for a in window.avatars.current_avatars()
                    if a["id"] in ids}

        qtbot.waitUntil(lambda: [agents.list.item(i).text() for i in range(agents.list.count())]
                        == ["Helper"] and {shas[added], shas[kept]} <= picker_shas()
                        and shas[dropped] not in picker_shas(), timeout=LIVE_S * 1000)

        # The Activity list says what B did, and that B did it.
        window.act_activity.trigger()
        dialog = window.activity_dialog
        qtbot.waitUntil(lambda: dialog.is_loaded() and len(dialog.rows()) >= 4, timeout=10_000)
        rows = dialog.rows()
        changes = {change: computer for change, computer, _when in rows}
        assert changes.keys() >= {"Renamed “pic1” to “Renamed on B”", "Deleted “pic2”",
                                  "Added “pic3”", "Saved agent “Helper”"}, rows
        assert "This computer" not in {changes["Deleted “pic2”"], changes["Added “pic3”"]}
        assert all(when for _c, _m, when in rows)
    finally:
        gui.close()


def test_the_activity_list_shows_a_failed_upload_with_its_fix(
        clean_env: dict[str, str], tmp_path: Path, qtbot: Any, languages: Any,
        make_pictures: Callable[..., list[Path]]) -> None:
    """A library syncing to a folder: a picture damaged on disk cannot be uploaded, and the
    Activity list says so, with what to do; the import before it is listed too."""
    folder = tmp_path / "cloud"
    config = tmp_path / "folder.yml"
    config.write_text(f"STORAGE:\n  BACKEND: local\n  LOCAL_PATH: {folder}\n")
    gui = Gui({**clean_env, "ECAN_CONFIG": str(config)}, qtbot, sync=True)
    gui.window.act_pause.trigger()  # so the upload waits until the picture is damaged
    qtbot.waitUntil(lambda: bool(gui.window.monitor.status.get("paused")), timeout=10_000)
    try:
        [picture] = make_pictures(1, "bad")
        data = gui.call("avatar.import_paths", {"paths": [str(picture)]})
        avatar_id = data["results"][0]["avatar_id"]
        stored = gui.app.paths.home / gui.app.library.get(avatar_id).image_path
        stored.write_bytes(b"damaged")
        gui.window.act_activity.trigger()  # open while it happens: it follows by itself
        dialog = gui.window.activity_dialog
        qtbot.waitUntil(lambda: dialog.is_loaded() and len(dialog.rows()) == 1, timeout=10_000)
        gui.window.act_pause.trigger()  # resume
        qtbot.waitUntil(lambda: len(dialog.rows()) == 2, timeout=30_000)
        (failed, failed_on, _), (added, added_on, _) = dialog.rows()
        assert failed.startswith("Upload of “photo-000” failed: ")
        assert "no longer matches its checksum" in failed
        assert failed.endswith("\nFix: The file was changed or damaged on disk: delete the avatar "
                               "and import it again.")
        assert (added, added_on, failed_on) == ("Added “photo-000”", "This computer",
                                                "This computer")
        # In Chinese, the failure and its fix are Chinese too, not the domain's English.
        languages.apply("zh_CN")
        qtbot.waitUntil(lambda: dialog.rows()[0][0].startswith("“photo-000”上传失败："),
                        timeout=5000)
        failed = dialog.rows()[0][0]
        assert "与其校验和不再一致" in failed and "checksum" not in failed
        assert "\n解决方法：" in failed and "delete the avatar" not in failed
    finally:
        gui.close()


def test_coming_back_to_the_window_asks_for_a_pull_at_most_every_few_seconds(
        gui: Gui, qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Switching back to ecan shows what the other computers did meanwhile (a pull now, not at
    the next 30 s one); switching back and forth quickly does not list the cloud each time."""
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    from ecan.ui import main_window

    asked: list[str] = []
    window = gui.window
    window.sync_worker = type("Worker", (), {"pull": lambda self: asked.append("pull")})()
    window._focus_pulled = float("-inf")  # long after the window first showed
    monkeypatch.setattr(window, "isActiveWindow", lambda: True)

    def come_back() -> None:
        QApplication.sendEvent(window, QEvent(QEvent.Type.ActivationChange))

    come_back()
    assert asked == ["pull"]
    come_back()  # a moment later
    assert asked == ["pull"]
    window._focus_pulled -= main_window.FOCUS_PULL_S  # as if that much time had passed
    come_back()
    assert asked == ["pull", "pull"]
