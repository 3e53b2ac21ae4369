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


def test_a_view_keeps_a_few_screens_of_card_faces_drawn(qtbot: Any) -> None:
    """Cards are blitted from kept faces so the ones on screen repaint cheaply as their badges
    change: a window keeps a few screens' worth of its cards (a fixed 600 faces was 54 MB in a
    window showing ~30), a large screen no more than before."""
    from PySide6.QtCore import QSize

    from ecan.ui.gallery_delegate import CARD, CARD_CACHE, FACE_SCREENS, face_capacity

    shown = QSize(CARD.width() * 5 + 20, CARD.height() * 4 + 30)  # 5 x 4 cards, and parts
    assert face_capacity(shown) == FACE_SCREENS * 5 * (4 + 2)
    assert face_capacity(QSize(3840, 2160)) == CARD_CACHE
    assert face_capacity(QSize(0, 0)) > 0


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


def test_a_gallery_scrolled_to_its_end_before_the_last_page_came_reads_on(model: Any,
                                                                        qtbot: Any) -> None:
    """Rows follow the counted ones (the built-in avatars after mine). Dragged to the end
    before the last counted page arrived, the view's scroll bar does not move again, so only the
    model can ask for the rest: it must, or the library is never read to its end."""
    from ecan.ui.gallery_model import IdRole

    asked: list[int] = []
    model.set_fetcher(asked.append)
    model.set_avatars([row(f"a{i}", "synced") for i in range(3)], more=True, total=6)
    assert model.index(5).data(IdRole) == ""  # the last placeholder, painted
    qtbot.waitUntil(lambda: len(asked) == 1)
    model.append_page([row(f"a{i}", "synced") for i in range(3, 6)], True, asked[0])
    qtbot.waitUntil(lambda: len(asked) == 2)
    model.append_page([row("system", "synced")], False, asked[1])
    assert model.rowCount() == model.loaded() == 7 and not model.has_more()


def test_rows_read_are_left_out_of_full_garbage_collections(model: Any) -> None:
    """Scrolling a 100,000-avatar gallery read 100,000 rows, and each full collection that
    followed walked them all on the GUI thread (30-70 ms stalls): a page's rows are frozen."""
    import gc

    model.set_avatars([row("a0", "synced")], more=True, total=1001)
    gc.collect()
    walked = len(gc.get_objects())
    # Lists in them: rows the collector tracks.
    model.append_page([{**row(f"a{i}", "failed"), "tags": ["cat"]} for i in range(1, 1001)],
                      False, model.ticket())
    gc.collect()
    assert len(gc.get_objects()) - walked < 100
    assert model.row_at(1000)["tags"] == ["cat"]


def test_every_row_answers_as_the_list_gave_it(model: Any, app: Any, tmp_path: Any,
                                               qtbot: Any) -> None:
    """The gallery keeps its rows packed; every row, every role and the filter still answer
    exactly what the library's list said, and a row handed out is the caller's own copy."""
    from PIL import Image
    from PySide6.QtCore import Qt

    from ecan.ui.gallery_model import (
        NO_PROGRESS,
        AvatarFilterModel,
        AvatarRole,
        CardRole,
        IdRole,
        ThumbRole,
    )

    picture = tmp_path / "tabby cat.png"
    Image.new("RGB", (64, 48), (200, 120, 40)).save(picture)
    mine = app.library.import_file(picture).avatar.id
    app.library.update(mine, description="Sits on keyboards", tags=["cat", "orange"])
    # Mine and the built-in ones: paths, cloud keys with the storage prefix, tags, nulls.
    listed = app.library.list_dicts(cloud_configured=False, prefix="team/")
    assert len(listed) > 1 and any(a["cloud_image_key"] for a in listed)
    model.set_avatars([dict(a) for a in listed])

    assert model.avatars() == listed
    for r, expected in enumerate(listed):
        index = model.index(r)
        for answer in (model.row_at(r), model.avatar(expected["id"])):
            assert answer == expected and list(answer) == list(expected)  # keys in order too
        assert index.data(AvatarRole) == expected  # (Qt hands a map back with its keys sorted)
        assert {k: model.field(r, k) for k in expected} == expected
        assert model.field(r, "no such key", "default") == "default"
        assert index.data(Qt.ItemDataRole.DisplayRole) == expected["name"]
        assert index.data(IdRole) == expected["id"]
        assert index.data(CardRole) == (expected["name"], expected["sync_state"], NO_PROGRESS,
                                        False, "")
        assert index.data(Qt.ItemDataRole.ToolTipRole) == model.describe(expected)
        assert index.data(Qt.ItemDataRole.AccessibleTextRole) == (
            f"{expected['name']}, {model.state_text(expected['sync_state'])}")

    r = model.row_of(mine)
    handed = model.row_at(r)
    handed["name"] = "changed"
    handed["tags"].append("changed")
    assert model.row_at(r) == next(a for a in listed if a["id"] == mine)

    # The same list again repaints nothing; a moved thumbnail repaints its card only.
    changed: list[int] = []
    model.dataChanged.connect(lambda first, _last, _roles=(): changed.append(first.row()))
    model.set_avatars([dict(a) for a in listed])
    model.update_avatar(dict(listed[r]))
    assert changed == []
    moved = {**listed[r], "thumb_path": str(picture)}
    model.update_avatar(moved)
    assert changed == [r] and model.row_at(r) == moved
    # Its thumbnail, asked for while loading, repaints the card when it comes.
    with qtbot.waitSignal(model.dataChanged, timeout=10_000,
                          check_params_cb=lambda first, _last, roles=(): (
                              first.row() == r and ThumbRole in roles)):
        assert model.index(r).data(ThumbRole).isNull()
    assert not model.index(r).data(ThumbRole).isNull()

    proxy = AvatarFilterModel()
    proxy.setSourceModel(model)

    def shown() -> set[str]:
        return {proxy.index(i, 0).data(IdRole) for i in range(proxy.rowCount())}

    everyone = {a["id"] for a in listed}
    assert shown() == everyone
    for text in ("ORANGE", "keyboards", "tabby cat.png"):  # a tag, the description, the file
        proxy.set_text(text)
        assert shown() == {mine}
    proxy.set_text("")
    proxy.set_types({"system"})
    assert shown() == {a["id"] for a in listed if a["resource_type"] == "system"}
    proxy.set_types(set())
    proxy.set_states({moved["sync_state"]})
    assert mine in shown()
    proxy.set_states({"failed"})
    assert shown() == set()


def test_a_packed_row_is_the_row_it_was_made_from() -> None:
    """Any row a handler could answer (JSON-shaped, with or without a sha256 in its paths)
    comes back from its packed form equal, keys in order, one value at a time too."""
    from hypothesis import given
    from hypothesis import strategies as st

    from ecan.ui.gallery_model import RowPacker, unpack

    packer = RowPacker()
    sha = st.sampled_from(["", "ab", "0" * 64, "cafe" * 16])
    scalar = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
    value = scalar | st.lists(st.text(max_size=5), max_size=3) | st.builds(
        lambda parts, s: s.join(parts), st.lists(st.text(max_size=6), min_size=1, max_size=3), sha)
    key = st.sampled_from(["id", "name", "sha256", "sync_state", "thumb_path", "image_path",
                           "cloud_image_key", "cloud_thumb_url", "tags", "ext", "x_path", "width"])

    @given(st.lists(st.dictionaries(key, value, max_size=12), min_size=1, max_size=4))
    def check(rows: list[dict[str, Any]]) -> None:
        for row in rows:
            packed = packer.pack(dict(row))
            back = unpack(packed)
            assert back == row and list(back) == list(row)
            assert [type(v) for v in back.values()] == [type(v) for v in row.values()]
            assert back is not unpack(packed)

    check()
    # Equal values of other types (1, True, 1.0) come back as the type they went in as.
    for row in ({"width": 1, "height": 1.0}, {"width": True, "height": 1},
                {"width": 1.0, "height": True}):
        back = unpack(packer.pack(row))
        assert [type(v) for v in back.values()] == [type(v) for v in row.values()]
