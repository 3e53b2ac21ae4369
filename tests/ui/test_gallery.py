"""The gallery's model and cards, without the rest of the window: answers that arrive out of
order, and badges that follow the state they show."""

from __future__ import annotations

from typing import Any

import pytest


def row(avatar_id: str, state: str) -> dict[str, Any]:
    return {"id": avatar_id, "name": f"{avatar_id}.png", "thumb_path": "", "sync_state": state}


@pytest.fixture
def model(qtbot: Any) -> Any:
    from PySide6.QtCore import QSize

    from ecan.bridge.thumbs import ThumbnailLoader
    from ecan.ui.gallery_model import AvatarListModel

    loader = ThumbnailLoader(QSize(32, 32))
    yield AvatarListModel(loader)
    loader.close()


def states(model: Any) -> dict[str, str]:
    return {a["id"]: a["sync_state"] for a in model.avatars()}


def test_a_list_asked_for_before_an_upload_finished_does_not_undo_it(model: Any) -> None:
    """A full list read before the upload finished can come back after the refreshed row: the
    card must stay "synced", not fall back to "queued" while the status bar says all synced."""
    model.set_avatars([row("a", "queued"), row("b", "queued")])
    list_ticket = model.ticket()          # an import asks for the whole list...
    refresh_ticket = model.ticket()       # ...then a's upload finishes and a's row is re-read
    model.update_avatar(row("a", "synced"), refresh_ticket)
    model.set_avatars([row("a", "queued"), row("b", "synced")], list_ticket)
    assert states(model) == {"a": "synced", "b": "synced"}


def test_an_older_full_list_does_not_bring_back_a_deleted_avatar(model: Any) -> None:
    model.set_avatars([row("a", "synced"), row("b", "synced")])
    before_delete = model.ticket()
    after_delete = model.ticket()
    model.set_avatars([row("b", "synced")], after_delete)
    model.set_avatars([row("a", "synced"), row("b", "synced")], before_delete)
    assert states(model) == {"b": "synced"}


def test_a_newer_answer_still_replaces_the_row(model: Any) -> None:
    model.set_avatars([row("a", "syncing")])
    early, late = model.ticket(), model.ticket()
    model.update_avatar(row("a", "synced"), early)
    model.set_avatars([row("a", "failed")], late)
    assert states(model) == {"a": "failed"}


def test_imported_rows_go_in_front_newest_first(model: Any) -> None:
    model.set_avatars([row("old", "synced")])
    batch = [{**row("b", "queued"), "created_at": 2.0}, {**row("c", "queued"), "created_at": 3.0},
             {**row("old", "queued")}]
    model.add_avatars(batch)
    assert [a["id"] for a in model.avatars()] == ["c", "b", "old"]
    assert states(model)["old"] == "queued"  # already shown: updated in place


def test_a_list_asked_for_before_a_batch_keeps_the_batch(model: Any) -> None:
    """The batch's rows were read after the list: the list must not make them vanish."""
    model.set_avatars([row("old", "synced")])
    list_ticket = model.ticket()
    model.add_avatars([row("new", "queued")], model.ticket())
    model.set_avatars([row("old", "synced")], list_ticket)
    assert [a["id"] for a in model.avatars()] == ["new", "old"]


def test_a_card_badge_follows_its_state(model: Any, qtbot: Any) -> None:
    """Cards are blitted from cached pieces; the badge must still change with the state."""
    from PySide6.QtCore import QPoint, QSize
    from PySide6.QtWidgets import QListView

    from ecan.ui.gallery_delegate import BADGE_COLOURS, CARD, AvatarDelegate, badge_rect

    view = QListView()
    qtbot.addWidget(view)
    view.setViewMode(QListView.ViewMode.IconMode)
    view.setGridSize(CARD)
    view.setItemDelegate(AvatarDelegate(view))
    view.setModel(model)
    view.resize(QSize(400, 300))
    view.show()
    model.set_avatars([row("a", "synced")])
    card = view.visualRect(model.index(0))
    # Inside the badge's ring, off the white symbol drawn on it.
    spot = card.topLeft() + badge_rect(card.size()).topLeft().toPoint() + QPoint(7, 7)

    def badge_state() -> str:
        """The state whose colour is nearest the badge's (edges are antialiased)."""
        c = view.viewport().grab().toImage().pixelColor(spot)
        return min(BADGE_COLOURS, key=lambda s: sum(
            (a - b) ** 2 for a, b in zip(c.getRgb()[:3], BADGE_COLOURS[s].getRgb()[:3],
                                         strict=True)))

    assert badge_state() == "synced"
    model.update_avatar(row("a", "failed"))
    assert badge_state() == "failed"
    model.update_avatar(row("a", "synced"))
    assert badge_state() == "synced"


def test_a_card_from_a_finished_tile_looks_like_one_clipped_in_the_window(
        qtbot: Any, tmp_path: Any) -> None:
    """The gallery's thumbnails come cropped and rounded from the decoder process; the card
    must look as it did when the window cropped and clipped them itself."""
    from PIL import Image
    from PySide6.QtCore import QSize
    from PySide6.QtWidgets import QListView

    from ecan.bridge.thumbs import ThumbnailLoader
    from ecan.ui.gallery_delegate import CARD, THUMB, THUMB_RADIUS, AvatarDelegate
    from ecan.ui.gallery_model import AvatarListModel

    # Wide, in three bands: only a centre crop keeps the blue band in the middle of the card.
    picture = Image.new("RGB", (300, 160), (220, 40, 40))
    picture.paste((40, 60, 220), (80, 0, 220, 160))
    picture.paste((30, 170, 60), (220, 0, 300, 160))
    path = tmp_path / "wide.png"
    picture.save(path)

    def card(tiles: bool) -> Any:
        loader = ThumbnailLoader(QSize(THUMB, THUMB),
                                 tile_radius=THUMB_RADIUS if tiles else None)
        model = AvatarListModel(loader)
        view = QListView()
        qtbot.addWidget(view)
        view.setViewMode(QListView.ViewMode.IconMode)
        view.setGridSize(CARD)
        view.setItemDelegate(AvatarDelegate(view, tiles=tiles))
        view.setModel(model)
        view.resize(QSize(300, 220))
        view.show()
        model.set_avatars([{**row("a", "synced"), "thumb_path": str(path)}])
        qtbot.waitUntil(lambda: loader.pixmap(str(path)) is not None, timeout=10000)
        if tiles:  # a finished tile: the card's square, its corners already transparent
            tile = loader.pixmap(str(path)).toImage()
            assert (tile.width(), tile.height()) == (THUMB, THUMB)
            assert tile.pixelColor(0, 0).alpha() == 0
            assert tile.pixelColor(THUMB // 2, THUMB // 2).alpha() == 255
        view.viewport().update()
        qtbot.wait(50)
        image = view.viewport().grab(view.visualRect(model.index(0))).toImage()
        loader.close()
        return image

    tiled, clipped = card(True), card(False)
    assert tiled.size() == clipped.size()
    centre = tiled.pixelColor(tiled.width() // 2, 10 + THUMB // 2)
    assert (centre.red(), centre.green(), centre.blue()) == (40, 60, 220)
    differ = sum(
        1 for y in range(tiled.height()) for x in range(tiled.width())
        if max(abs(a - b) for a, b in zip(tiled.pixelColor(x, y).getRgb(),
                                          clipped.pixelColor(x, y).getRgb(), strict=True)) > 40)
    # Only antialiased corner pixels may differ (the two resamplers round differently).
    assert differ < 0.01 * tiled.width() * tiled.height(), differ


def test_rows_read_by_id_update_remove_and_add_where_they_belong(model: Any) -> None:
    """A change names avatars; their rows, read again, repaint in place, leave when the library no
    longer has them, and come in front when new; one older than the loaded pages waits for its
    page."""
    def aged(avatar_id: str, created: float) -> dict[str, Any]:
        return {**row(avatar_id, "queued"), "created_at": created}

    model.set_avatars([aged("c", 30), aged("b", 20)], more=True)  # "a" (10) is on the next page
    asked = model.ticket()
    model.apply_rows(["new", "c", "b", "a"],
                     [aged("new", 40), {**aged("c", 30), "sync_state": "synced"}, aged("a", 10)],
                     asked)
    assert [a["id"] for a in model.avatars()] == ["new", "c"]
    assert states(model) == {"new": "queued", "c": "synced"}
    assert model.added_since_list == 0  # one in, one out: the page's count stays right


def test_rows_scrolled_to_are_read_even_when_a_reload_drops_their_page(model: Any,
                                                                         qtbot: Any) -> None:
    """A card painted before its page is read asks for it; if a reload (a sync tick) makes that
    page's answer stale, the rows are asked for again rather than left blank for good."""
    from ecan.ui.gallery_model import AvatarRole, IdRole

    asked: list[int] = []
    model.set_fetcher(asked.append)
    first = [row(f"a{i}", "synced") for i in range(3)]
    model.set_avatars(first, more=True, total=6)
    assert model.rowCount() == 6 and model.loaded() == 3
    assert model.index(5).data(AvatarRole) == {}  # a placeholder, painted
    qtbot.waitUntil(lambda: len(asked) == 1)
    model.set_avatars(first, more=True, total=6)  # a reload while the page is on its way
    qtbot.wait(50)
    model.append_page([row(f"a{i}", "synced") for i in range(3, 6)], False, asked[0])
    qtbot.waitUntil(lambda: len(asked) == 2)
    model.append_page([row(f"a{i}", "synced") for i in range(3, 6)], False, asked[1])
    assert model.rowCount() == model.loaded() == 6 and not model.has_more()
    assert model.index(5).data(IdRole) == "a5"


def test_rows_read_are_left_out_of_full_garbage_collections(model: Any) -> None:
    """Scrolling a 100,000-avatar gallery read 100,000 rows, and each full collection that
    followed walked them all on the GUI thread (30-70 ms stalls): a page's rows are frozen."""
    import gc

    model.set_avatars([row("a0", "synced")], more=True, total=3)
    tagged = {**row("a2", "failed"), "tags": ["cat"]}  # a list: a row the collector tracks
    model.append_page([row("a1", "synced"), tagged], False, model.ticket())
    read = model.row_at(2)
    assert read["id"] == "a2" and not any(o is read for o in gc.get_objects())
