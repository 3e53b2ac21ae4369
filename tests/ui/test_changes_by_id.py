"""Changes carry ids: the window repaints the rows a call names, and lists the library again only
when it is not told which rows changed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.ui.conftest import Gui


def count_calls(gui: Gui, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The methods the window's bridge calls from now on, in order."""
    methods: list[str] = []
    call = gui.app.handlers.call

    def counted(method: Any, payload: Any = None) -> dict[str, Any]:
        methods.append(str(method))
        return call(method, payload)

    monkeypatch.setattr(gui.app.handlers, "call", counted)
    return methods


def test_an_avatar_deleted_elsewhere_leaves_the_gallery_and_the_selection_stays(
        gui: Gui, qtbot: Any, make_pictures: Callable[..., list[Path]],
        monkeypatch: pytest.MonkeyPatch, languages: Any) -> None:
    languages.apply("en")
    page = gui.window.avatars
    gui.call("avatar.import_paths", {"paths": [str(p) for p in make_pictures(3)]})
    page.reload()
    qtbot.waitUntil(lambda: len(page.current_avatars()) == 3, timeout=10_000)
    qtbot.waitUntil(lambda: gui.bridge.in_flight() == 0, timeout=10_000)
    doomed, chosen, _other = (a["id"] for a in page.current_avatars())
    page.select_id(chosen)
    assert page.details.avatar_id() == chosen
    methods = count_calls(gui, monkeypatch)

    # What the generate dialog's Discard does, while the user looks at another avatar.
    gui.bridge.run("avatar.delete", {"id": doomed})
    qtbot.waitUntil(lambda: len(page.current_avatars()) == 2, timeout=10_000)
    qtbot.waitUntil(lambda: gui.bridge.in_flight() == 0 and not page.reload_pending(),
                    timeout=10_000)

    assert doomed not in {a["id"] for a in page.current_avatars()}
    assert page.selected_ids() == [chosen] and page.details.avatar_id() == chosen
    assert page.count_label.text() == "2 avatars"
    assert "avatar.list" not in methods  # the one row, not the library again


def test_a_rename_reaches_the_agents_picker_without_listing_the_library(
        gui: Gui, qtbot: Any, make_pictures: Callable[..., list[Path]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    agents = gui.window.agents
    (avatar_id,) = (r["avatar_id"] for r in gui.call(
        "avatar.import_paths", {"paths": [str(p) for p in make_pictures(1)]})["results"])
    gui.window.avatars.reload()
    gui.window.tabs.setCurrentWidget(agents)
    qtbot.waitUntil(lambda: agents.is_loaded() and agents.avatars.avatar(avatar_id) is not None
                    and gui.window.avatars.model.avatar(avatar_id) is not None, timeout=10_000)
    qtbot.waitUntil(lambda: gui.bridge.in_flight() == 0, timeout=10_000)
    methods = count_calls(gui, monkeypatch)

    gui.window.edit_avatar(avatar_id, {"name": "Renamed"})
    qtbot.waitUntil(lambda: (agents.avatars.avatar(avatar_id) or {}).get("name") == "Renamed",
                    timeout=10_000)
    qtbot.waitUntil(lambda: gui.bridge.in_flight() == 0, timeout=10_000)
    assert gui.window.avatars.model.avatar(avatar_id)["name"] == "Renamed"
    assert "avatar.list" not in methods
