"""Editing an avatar in the details pane: name, tags and description are saved through
avatar.update, the gallery follows, search finds the tags, built-in avatars stay read-only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.ui.conftest import Gui


def test_name_tags_and_description_are_edited_in_the_details_pane(
        gui: Gui, qtbot: Any, make_pictures: Callable[..., list[Path]]) -> None:
    from PySide6.QtCore import Qt

    (picture,) = make_pictures(1)
    gui.call("avatar.import_paths", {"paths": [str(picture)]})
    page = gui.window.avatars
    page.reload()
    qtbot.waitUntil(lambda: len(page.current_avatars()) == 1, timeout=10_000)
    page.view.setCurrentIndex(page.proxy.index(0, 0))
    details = page.details
    assert details.name_edit.text() == "photo-000" and not details.save_edits.isEnabled()

    details.name_edit.clear()
    qtbot.keyClicks(details.name_edit, "Support bot")
    qtbot.keyClicks(details.tags_edit, "friendly, blue, friendly")
    qtbot.keyClicks(details.description_edit, "Greets customers")
    assert details.save_edits.isEnabled()
    qtbot.mouseClick(details.save_edits, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Changes saved" in gui.window.statusBar().currentMessage(),
                    timeout=10_000)

    avatar_id = details.avatar_id()
    stored = gui.call("avatar.get", {"id": avatar_id})
    assert (stored["name"], stored["tags"], stored["description"]) == (
        "Support bot", ["friendly", "blue"], "Greets customers")
    assert details.tags_edit.text() == "friendly, blue"  # as stored: no duplicate
    assert not details.save_edits.isEnabled()
    assert [a["name"] for a in page.current_avatars()] == ["Support bot"]
    page.search.setText("blue")
    assert page.proxy.rowCount() == 1
    page.search.setText("customers")
    assert page.proxy.rowCount() == 1
    page.search.setText("")

    # An avatar needs a name: a blank one cannot be saved.
    details.name_edit.clear()
    qtbot.keyClicks(details.name_edit, " ")
    assert not details.save_edits.isEnabled()


def test_built_in_avatars_are_read_only_in_the_details_pane(gui: Gui, qtbot: Any) -> None:
    page = gui.window.avatars
    page.state_filter.setCurrentIndex(page.state_filter.findText("Built-in avatars"))
    qtbot.waitUntil(lambda: page.proxy.rowCount() > 0, timeout=10_000)
    page.view.setCurrentIndex(page.proxy.index(0, 0))
    details = page.details
    assert details.name_edit.isReadOnly() and details.description_edit.isReadOnly()
    assert not details.save_edits.isVisible()
