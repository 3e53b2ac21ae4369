"""The window's Trash (Edit > Trash…): what a user deletes waits there with the days it has left,
Restore brings it back into the gallery, and what another computer deletes or restores shows up
in an open Trash by itself."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from tests.ui.conftest import Boxes, Gui


def gallery_ids(gui: Gui) -> set[str]:
    return {str(a["id"]) for a in gui.window.avatars.current_avatars()}


def open_trash(gui: Gui, qtbot: Any) -> Any:
    gui.window.act_trash.trigger()
    dialog = gui.window.trash_dialog
    qtbot.waitUntil(lambda: dialog.isVisible() and dialog.is_loaded(), timeout=10_000)
    return dialog


def import_pictures(gui: Gui, qtbot: Any, paths: list[Path]) -> list[dict[str, Any]]:
    gui.call("avatar.import_paths", {"paths": [str(p) for p in paths]})
    gui.window.avatars.reload()
    qtbot.waitUntil(lambda: len(gui.window.avatars.current_avatars()) == len(paths),
                    timeout=10_000)
    return list(gui.window.avatars.current_avatars())


def test_deleted_avatars_wait_in_the_trash_and_restore_brings_them_back(
        gui: Gui, qtbot: Any, make_pictures: Callable[..., list[Path]], boxes: Boxes,
        languages: Any) -> None:
    languages.apply("en")
    window = gui.window
    kept, first, second = import_pictures(gui, qtbot, make_pictures(3))
    assert window.act_trash.text() == "&Trash…"
    assert window.act_trash in window.menu_edit.actions()

    # An empty trash says so, and why it is there.
    dialog = open_trash(gui, qtbot)
    assert dialog.rows() == []
    assert dialog.stack.currentWidget() is dialog.empty
    assert dialog.empty.text().startswith("The trash is empty.")
    assert "30 days" in dialog.empty.text()
    assert not dialog.restore_button.isEnabled()

    # Delete one in the gallery: the status bar says where it went, the open trash lists it.
    window.avatars.select_id(first["id"])
    boxes.answer("Delete")
    window.act_delete.trigger()
    assert "trash" in boxes.texts[0]
    qtbot.waitUntil(lambda: first["id"] not in gallery_ids(gui), timeout=10_000)
    qtbot.waitUntil(lambda: dialog.ids() == [first["id"]], timeout=10_000)
    qtbot.waitUntil(lambda: "to the trash" in window.statusBar().currentMessage(),
                    timeout=10_000)
    assert window.statusBar().currentMessage() == (
        f"Moved “{first['name']}” to the trash. Edit > Trash… brings it back.")
    name, deleted, purged = dialog.rows()[0]
    assert name == first["name"] and deleted and purged == "in 30 days"
    assert dialog.stack.currentWidget() is dialog.list
    assert dialog.list.header().model().headerData(2, dialog.list.header().orientation()) \
        == "Deleted for good"
    # Its thumbnail arrives (from the file the trash keeps).
    qtbot.waitUntil(lambda: not dialog.list.topLevelItem(0).icon(0).isNull(), timeout=10_000)

    # A second one, deleted later, comes first.
    window.avatars.select_id(second["id"])
    boxes.answer("Delete")
    window.act_delete.trigger()
    qtbot.waitUntil(lambda: dialog.ids() == [second["id"], first["id"]], timeout=10_000)
    assert gallery_ids(gui) == {kept["id"]}

    # Restore both: they leave the trash and are in the gallery again, at once.
    dialog.select_ids([first["id"], second["id"]])
    assert dialog.restore_button.isEnabled()
    dialog.restore_button.click()
    qtbot.waitUntil(lambda: gallery_ids(gui) == {kept["id"], first["id"], second["id"]},
                    timeout=10_000)
    qtbot.waitUntil(lambda: dialog.stack.currentWidget() is dialog.empty, timeout=10_000)
    assert dialog.rows() == []
    assert window.statusBar().currentMessage() == "Restored 2 avatars."
    # The library has them back, out of the trash (their upload is queued by the undelete).
    assert gui.call("avatar.trash")["avatars"] == []
    assert {a["id"] for a in gui.call("avatar.list")["avatars"]} >= {first["id"], second["id"]}


def test_the_trash_in_chinese(gui: Gui, qtbot: Any, make_pictures: Callable[..., list[Path]],
                              languages: Any) -> None:
    (avatar,) = import_pictures(gui, qtbot, make_pictures(1))
    gui.call("avatar.delete", {"id": avatar["id"]})
    languages.apply("zh_CN")
    qtbot.waitUntil(lambda: gui.window.act_trash.text() == "回收站(&T)…", timeout=5000)
    dialog = open_trash(gui, qtbot)
    assert dialog.windowTitle() == "回收站"
    assert dialog.restore_button.text() == "恢复(&R)"
    assert dialog.close_button.text() == "关闭"
    assert dialog.intro.text().startswith("删除的头像会在这里保留 30 天")
    assert dialog.rows()[0][0] == avatar["name"] and dialog.rows()[0][2] == "30 天后"
    header = dialog.list.headerItem()
    assert [header.text(i) for i in range(3)] == ["头像", "删除时间", "彻底删除"]
    dialog.select_ids([avatar["id"]])
    dialog.restore_button.click()
    qtbot.waitUntil(lambda: dialog.stack.currentWidget() is dialog.empty, timeout=10_000)
    assert dialog.empty.text().startswith("回收站是空的。")
    qtbot.waitUntil(lambda: gui.window.statusBar().currentMessage()
                    == f"已恢复“{avatar['name']}”。", timeout=10_000)


def test_what_another_computer_deletes_and_restores_shows_in_the_open_trash(
        gui: Gui, qtbot: Any, make_pictures: Callable[..., list[Path]],
        languages: Any) -> None:
    languages.apply("en")
    window = gui.window
    avatar, other = import_pictures(gui, qtbot, make_pictures(2))
    dialog = open_trash(gui, qtbot)
    assert dialog.rows() == []

    # A pull applies another computer's delete (what ecan.sync.journal does) and the sync
    # process reports it: the window is told by the `pulled` event, nothing else.
    deleted_at = time.time()
    assert gui.app.library.remove_remote(avatar["id"], deleted_at) == "trashed"
    window._pulled(SimpleNamespace(avatars=(), removed=(avatar["id"],), agents=()))
    qtbot.waitUntil(lambda: dialog.ids() == [avatar["id"]], timeout=10_000)
    assert dialog.rows()[0][2] == "in 30 days"
    qtbot.waitUntil(lambda: gallery_ids(gui) == {other["id"]}, timeout=10_000)

    # The other computer brings it back: it leaves this trash and returns to the gallery.
    assert gui.app.library.restore_from_trash_remote(avatar["id"], deleted_at + 1)
    window._pulled(SimpleNamespace(avatars=(avatar["id"],), removed=(), agents=()))
    qtbot.waitUntil(lambda: dialog.rows() == [], timeout=10_000)
    qtbot.waitUntil(lambda: gallery_ids(gui) == {avatar["id"], other["id"]}, timeout=10_000)


def test_a_restored_avatar_syncs_to_the_cloud_again(
        folder_gui: Gui, qtbot: Any, make_pictures: Callable[..., list[Path]], boxes: Boxes,
        languages: Any) -> None:
    languages.apply("en")
    gui, window = folder_gui, folder_gui.window
    gui.call("avatar.import_paths", {"paths": [str(p) for p in make_pictures(1)]})
    window.avatars.reload()

    def state() -> str | None:
        return next((str(a["sync_state"]) for a in window.avatars.current_avatars()
                     if a["resource_type"] == "uploaded"), None)

    qtbot.waitUntil(lambda: state() == "synced", timeout=30_000)
    (avatar,) = (a for a in window.avatars.current_avatars() if a["resource_type"] == "uploaded")
    window.avatars.select_id(avatar["id"])
    boxes.answer("Delete")
    window.act_delete.trigger()
    dialog = open_trash(gui, qtbot)
    qtbot.waitUntil(lambda: dialog.ids() == [avatar["id"]], timeout=10_000)
    qtbot.waitUntil(lambda: state() is None, timeout=10_000)

    dialog.select_ids([avatar["id"]])
    dialog.restore_button.click()
    # Back in the gallery, queued for upload, then synced by the window's sync process.
    qtbot.waitUntil(lambda: state() is not None, timeout=10_000)
    qtbot.waitUntil(lambda: state() == "synced", timeout=30_000)
    assert gui.call("sync.status")["counts"].get("queued", 0) == 0
