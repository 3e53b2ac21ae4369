"""The main window on a real local-only library: empty state, drop files and folders, the import
summary, search, details, delete, paste, and nothing blocking the GUI thread."""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.ui.conftest import Boxes, Gui


def drop(window: Any, paths: list[Path]) -> None:
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    with warnings.catch_warnings():  # PySide 6.12 marks the only constructor deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(QPointF(50, 50).toPoint(), Qt.DropAction.CopyAction, mime,
                                Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, event)
    assert event.isAccepted()


def names_in_gallery(gui: Gui) -> list[str]:
    return sorted(str(a.get("name")) for a in gui.window.avatars.current_avatars())


def test_empty_library_says_what_to_do(gui: Gui) -> None:
    page = gui.window.avatars
    assert page.stack.currentWidget() is page.empty
    assert "Drop pictures here" in page.empty_text.text()
    assert page.empty_button.isVisible()
    # Built-in avatars exist but are not "my" avatars; the hint says where they are.
    assert "built-in" in page.empty_text.text()


def test_dropped_files_and_folders_appear_and_refusals_are_explained(
        gui: Gui, qtbot: Any, make_pictures: Callable[..., list[Path]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[threading.Thread] = []
    real_call = gui.app.handlers.call

    def spy(method: Any, payload: Any = None) -> dict[str, Any]:
        threads.append(threading.current_thread())
        return real_call(method, payload)

    monkeypatch.setattr(gui.app.handlers, "call", spy)
    singles = make_pictures(2, "singles")
    folder_pics = make_pictures(3, "folder/nested")
    bad = tmp_path / "notes.png"
    bad.write_text("this is not a picture")
    drop(gui.window, [*singles, tmp_path / "folder", bad])

    qtbot.waitUntil(lambda: len(gui.window.avatars.current_avatars()) == 5, timeout=15_000)
    assert [a["original_filename"] for a in gui.window.avatars.current_avatars()].count(
        "photo-000.png") == 2
    assert len(folder_pics) == 3
    assert gui.window.avatars.stack.currentWidget() is gui.window.avatars.view
    qtbot.waitUntil(lambda: hasattr(gui.window, "last_summary"), timeout=5000)
    summary = gui.window.last_summary
    assert "Added 5 of 6" in summary.headline.text()
    refused = summary.table.topLevelItem(0)
    assert refused.text(0) == "notes.png" and refused.text(1)  # with its reason
    assert summary.table.topLevelItemCount() == 1
    # Every handler call ran on a worker thread, never on the GUI thread.
    assert threads and all(t is not threading.main_thread() for t in threads)
    # The same picture again adds nothing, and the window says so instead of "Imported 1 of 1".
    drop(gui.window, [singles[0]])
    qtbot.waitUntil(lambda: "already in the library" in gui.window.statusBar().currentMessage(),
                    timeout=15_000)
    assert gui.window.statusBar().currentMessage() == "Nothing new: 1 already in the library."
    assert len(gui.window.avatars.current_avatars()) == 5


def test_a_long_import_shows_pictures_as_they_arrive(
        gui: Gui, qtbot: Any, make_pictures: Callable[..., list[Path]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches finishing faster than the gallery's reload delay must not put the reload off
    until the last one: the user watches the pictures come in, not an empty page."""
    real_call = gui.app.handlers.call

    lists_while_importing = []

    def slow_batches(method: Any, payload: Any = None) -> dict[str, Any]:
        if method == "avatar.list" and gui.window.importer.busy:
            lists_while_importing.append(method)
        response = real_call(method, payload)
        if method == "avatar.import_paths":
            time.sleep(0.1)  # bigger photos, a slower disk: the import lasts a while
        return response

    monkeypatch.setattr(gui.app.handlers, "call", slow_batches)
    pics = make_pictures(48, "many")
    gui.window.import_paths([str(p) for p in pics])
    qtbot.waitUntil(lambda: gui.window.importer.busy
                    and 0 < len(gui.window.avatars.current_avatars()) < len(pics),
                    timeout=15_000)
    qtbot.waitUntil(lambda: len(gui.window.avatars.current_avatars()) == len(pics),
                    timeout=15_000)
    # Each batch's rows were fetched by id: no full reload of the library per batch, which
    # would cost O(library) each time in a large one.
    assert lists_while_importing == []


def test_search_filters_and_details_show_the_selected_avatar(
        gui: Gui, qtbot: Any, make_pictures: Callable[..., list[Path]]) -> None:
    pics = make_pictures(3)
    gui.call("avatar.import_paths", {"paths": [str(p) for p in pics]})
    gui.window.avatars.reload()
    qtbot.waitUntil(lambda: len(gui.window.avatars.current_avatars()) == 3, timeout=10_000)
    page = gui.window.avatars
    page.search.setText("photo-001")
    assert names_in_gallery(gui) == ["photo-001"]
    page.view.setCurrentIndex(page.proxy.index(0, 0))
    details = page.details
    assert "photo-001" in details.title.text()
    assert details.values["format"].text() == "PNG"
    assert details.values["dimensions"].text() == "96 × 96"
    # Local-only library: the state says so instead of pretending to sync.
    assert details.values["state"].text() == "On this computer only"
    page.search.setText("no such avatar")
    assert page.stack.currentWidget() is page.empty
    assert "No avatars match" in page.empty_title.text()


def test_delete_asks_then_removes(gui: Gui, qtbot: Any, make_pictures: Callable[..., list[Path]],
                                  boxes: Boxes, languages: Any) -> None:
    languages.apply("en")
    pics = make_pictures(2)
    gui.call("avatar.import_paths", {"paths": [str(p) for p in pics]})
    gui.window.avatars.reload()
    qtbot.waitUntil(lambda: len(gui.window.avatars.current_avatars()) == 2, timeout=10_000)
    first = gui.window.avatars.current_avatars()[0]
    gui.window.avatars.select_id(first["id"])
    # Enter on the confirmation does not delete: the default answer is Cancel.
    boxes.answer("Enter")
    gui.window.act_delete.trigger()
    assert boxes.default == ["Cancel"] and sorted(boxes.buttons[0]) == ["Cancel", "Delete"]
    assert boxes.texts[0].startswith("Delete 1 avatar? ")
    boxes.answer("Cancel")
    gui.window.act_delete.trigger()
    assert len(boxes.texts) == 2 and boxes.pending() == 0
    qtbot.waitUntil(lambda: gui.window.bridge.in_flight() == 0, timeout=30_000)
    qtbot.wait(50)
    assert len(gui.call("avatar.list", {"resource_type": "uploaded"})["avatars"]) == 2
    boxes.answer("Delete")
    gui.window.act_delete.trigger()
    qtbot.waitUntil(lambda: len(gui.window.avatars.current_avatars()) == 1, timeout=10_000)
    assert gui.window.avatars.current_avatars()[0]["id"] != first["id"]
    # Two selected: the count in the question is the plural.
    gui.call("avatar.import_paths", {"paths": [str(p) for p in make_pictures(1, "more")]})
    gui.window.avatars.reload()
    qtbot.waitUntil(lambda: len(gui.window.avatars.current_avatars()) == 2, timeout=10_000)
    gui.window.avatars.view.selectAll()
    boxes.answer("Escape")
    gui.window.act_delete.trigger()
    assert boxes.texts[-1].startswith("Delete 2 avatars? ")


def test_paste_an_image_from_the_clipboard(gui: Gui, qtbot: Any) -> None:
    from PySide6.QtGui import QColor, QGuiApplication, QImage

    image = QImage(120, 80, QImage.Format.Format_RGB32)
    image.fill(QColor("teal"))
    QGuiApplication.clipboard().setImage(image)
    gui.window.paste()
    qtbot.waitUntil(lambda: len(gui.window.avatars.current_avatars()) == 1, timeout=10_000)
    avatar = gui.window.avatars.current_avatars()[0]
    assert (avatar["width"], avatar["height"]) == (120, 80)


def test_geometry_and_tab_are_remembered_in_ecan_home(gui: Gui) -> None:
    gui.window.resize(900, 600)
    gui.window.tabs.setCurrentIndex(1)
    gui.window.close()
    ini = Path(gui.app.paths.home / "ui.ini").read_text()
    assert "geometry" in ini and "tab=1" in ini



PAINT_A_LOT = """
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QApplication, QListView
import ecan.bridge  # applies the guard, as every ecan Qt entry point does
from ecan.bridge.thumbs import ThumbnailLoader
from ecan.ui.gallery_delegate import AvatarDelegate
from ecan.ui.gallery_model import AvatarListModel
app = QApplication([])
model = AvatarListModel(ThumbnailLoader(QSize(32, 32)))
model.set_avatars([{"id": str(i), "name": f"a{i}", "thumb_path": "", "sync_state": s}
                   for i, s in enumerate(["queued", "syncing", "synced", "failed"] * 5)])
view = QListView()
view.setViewMode(QListView.ViewMode.IconMode)
view.setItemDelegate(AvatarDelegate(view))
view.setModel(model)
view.resize(800, 600)
view.show()
for _ in range(300):
    view.grab()
print("painted")
"""


def test_a_long_painting_session_does_not_abort_python() -> None:
    """PySide6 6.12.0 on Python 3.11 drops a reference to None on every void Qt call; a gallery
    repainting for a while aborts with "deallocating None" (pyproject.toml keeps 6.12 out)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", PAINT_A_LOT], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "painted" in done.stdout


def test_the_selection_survives_new_avatars_arriving(
        gui: Gui, qtbot: Any, make_pictures: Callable[..., list[Path]]) -> None:
    gui.call("avatar.import_paths", {"paths": [str(p) for p in make_pictures(3, "first")]})
    gui.window.avatars.reload()
    qtbot.waitUntil(lambda: len(gui.window.avatars.current_avatars()) == 3, timeout=10_000)
    chosen = gui.window.avatars.current_avatars()[1]["id"]
    gui.window.avatars.select_id(chosen)
    gui.window.import_paths([str(p) for p in make_pictures(4, "second")])
    qtbot.waitUntil(lambda: len(gui.window.avatars.current_avatars()) == 7, timeout=10_000)
    assert gui.window.avatars.selected_ids() == [chosen]
    assert gui.window.avatars.details.avatar_id() == chosen


def test_typing_in_search_keeps_delete_and_paste_for_the_text(
        gui: Gui, qtbot: Any, make_pictures: Callable[..., list[Path]], boxes: Boxes) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QKeySequence

    gui.call("avatar.import_paths", {"paths": [str(p) for p in make_pictures(1)]})
    gui.window.avatars.reload()
    qtbot.waitUntil(lambda: len(gui.window.avatars.current_avatars()) == 1, timeout=10_000)
    gui.window.avatars.select_id(gui.window.avatars.current_avatars()[0]["id"])
    boxes.answer("Cancel")
    gui.window.activateWindow()
    search = gui.window.avatars.search
    search.setFocus()
    qtbot.waitUntil(search.hasFocus, timeout=5000)
    QGuiApplication.clipboard().setText("photo")
    qtbot.keySequence(search, QKeySequence(QKeySequence.StandardKey.Paste))
    assert search.text() == "photo"
    qtbot.keyClick(search, Qt.Key.Key_Home)
    qtbot.keyClick(search, Qt.Key.Key_Delete)
    assert search.text() == "hoto" and not boxes.texts
    # ...while the same key on the gallery deletes (after asking).
    view = gui.window.avatars.view
    view.setFocus()
    qtbot.waitUntil(view.hasFocus, timeout=5000)
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert len(boxes.texts) == 1 and boxes.pending() == 0


def test_an_endpoint_redirected_by_the_environment_is_shown_in_the_window(
        clean_env: dict[str, str], qtbot: Any) -> None:
    env = {**clean_env, "AVATAR_CLOUD_BUCKET": "my-avatars",
           "AVATAR_CLOUD_ENDPOINT_URL": "http://127.0.0.1:9",
           "GEMINI_BASE_URL": "http://127.0.0.1:8"}
    gui = Gui(env, qtbot)
    try:
        notice = gui.window.endpoint_notice
        assert notice.isVisible()
        assert "AVATAR_CLOUD_ENDPOINT_URL" in notice.text() + notice.toolTip()
        assert "GEMINI_BASE_URL" in notice.toolTip() and "http://127.0.0.1:8" in notice.toolTip()
    finally:
        gui.close()


def test_no_endpoint_notice_without_a_redirect(gui: Gui) -> None:
    assert not gui.window.endpoint_notice.isVisible()


def test_the_gallery_shows_the_library_the_app_was_switched_to(
        gui: Gui, qtbot: Any, clean_env: dict[str, str], tmp_path: Path,
        make_pictures: Callable[..., list[Path]]) -> None:
    """The demo cloud swaps another app (another library) in under the window: the gallery lists
    that library, not the one it showed before."""
    from ecan.app import build_app
    from ecan.auth.secrets import MemoryKeyring

    page = gui.window.avatars
    assert page.stack.currentWidget() is page.empty
    other = build_app({**clean_env, "ECAN_HOME": str(tmp_path / "other-home")},
                      keyring_backend=MemoryKeyring())
    try:
        pics = [str(p) for p in make_pictures(2, "other")]
        assert other.handlers.call("avatar.import_paths", {"paths": pics})["ok"]
        gui.bridge.set_handlers(other.handlers)
        qtbot.waitUntil(lambda: len(names_in_gallery(gui)) == 2 and gui.window.is_settled(),
                        timeout=10_000)
        assert names_in_gallery(gui) == ["photo-000", "photo-001"]
        assert page.count_label.text() == "2 avatars"
        assert page.stack.currentWidget() is page.view
    finally:
        gui.bridge.set_handlers(gui.app.handlers)
        qtbot.waitUntil(lambda: gui.bridge.in_flight() == 0, timeout=30_000)
        other.close()


def test_toolbar_delete_on_the_agents_tab_leaves_the_hidden_gallery_alone(
        gui: Gui, qtbot: Any, make_pictures: Callable[..., list[Path]], boxes: Boxes) -> None:
    gui.call("avatar.import_paths", {"paths": [str(p) for p in make_pictures(1)]})
    gui.window.avatars.reload()
    qtbot.waitUntil(lambda: len(gui.window.avatars.current_avatars()) == 1, timeout=10_000)
    chosen = gui.window.avatars.current_avatars()[0]["id"]
    gui.window.avatars.select_id(chosen)
    assert gui.window.act_delete.isEnabled()
    gui.window.tabs.setCurrentWidget(gui.window.agents)
    assert not gui.window.act_delete.isEnabled()
    boxes.answer("Delete")  # were it to ask, the answer would delete
    gui.window.act_delete.trigger()
    qtbot.waitUntil(lambda: gui.window.bridge.in_flight() == 0, timeout=30_000)
    qtbot.wait(50)
    assert not boxes.texts
    assert [a["id"] for a in gui.call("avatar.list", {"resource_type": "uploaded"})["avatars"]
            ] == [chosen]
    gui.window.tabs.setCurrentWidget(gui.window.avatars)
    assert gui.window.act_delete.isEnabled()  # back where the selection is seen


def test_delete_says_why_it_cannot_before_asking_and_the_pane_and_toolbar_agree(
        gui: Gui, qtbot: Any, make_pictures: Callable[..., list[Path]], boxes: Boxes,
        languages: Any) -> None:
    languages.apply("en")
    page, window = gui.window.avatars, gui.window
    used, free = (r["avatar_id"] for r in gui.call(
        "avatar.import_paths", {"paths": [str(p) for p in make_pictures(2)]})["results"])
    gui.call("agent.save", {"name": "Support bot", "avatar_id": used})
    page.reload()
    qtbot.waitUntil(lambda: len(page.current_avatars()) == 2, timeout=10_000)

    # One an agent uses: the pane's button and the toolbar are both off, and say why.
    page.select_id(used)
    qtbot.waitUntil(lambda: "“Support bot”" in page.details.delete_note.text(), timeout=10_000)
    assert not page.details.delete.isEnabled() and not window.act_delete.isEnabled()
    assert page.details.delete_note.isVisible()
    assert "give it another avatar first" in page.details.delete_note.text()
    assert window.act_delete.toolTip() == page.details.delete_note.text()
    # Asked to delete it anyway (e.g. from a script or a stale click): it explains, never asks.
    boxes.answer("OK")
    window.delete_avatars([used])
    assert boxes.pending() == 0 and "Support bot" in boxes.texts[0]
    assert "Delete" not in boxes.buttons[0]

    # A built-in avatar: the same.
    page.state_filter.setCurrentIndex(2)  # built-in avatars
    page.view.setCurrentIndex(page.proxy.index(0, 0))
    assert not page.details.delete.isEnabled() and not window.act_delete.isEnabled()
    assert page.details.delete_note.text() == "Built-in avatars cannot be deleted."

    # One free and one in use: Delete is possible, for the free one, and the question says
    # which one stays and why.
    page.state_filter.setCurrentIndex(0)
    page.view.selectAll()
    assert window.act_delete.isEnabled()
    boxes.answer("Delete")
    window.act_delete.trigger()
    assert boxes.texts[-1].startswith("Delete 1 avatar? ")
    assert "cannot be deleted" in boxes.details[-1] and "Support bot" in boxes.details[-1]
    qtbot.waitUntil(lambda: [a["id"] for a in page.current_avatars()] == [used],
                    timeout=10_000)
    assert free not in [a["id"] for a in gui.call("avatar.list")["avatars"]]


def test_the_count_says_1_avatar_not_1_avatars(
        gui: Gui, qtbot: Any, make_pictures: Callable[..., list[Path]], languages: Any) -> None:
    languages.apply("en")
    page = gui.window.avatars
    gui.call("avatar.import_paths", {"paths": [str(p) for p in make_pictures(1)]})
    page.reload()
    qtbot.waitUntil(lambda: len(page.current_avatars()) == 1, timeout=10_000)
    assert page.count_label.text() == "1 avatar"
    gui.call("avatar.import_paths", {"paths": [str(p) for p in make_pictures(1, "more")]})
    page.reload()
    qtbot.waitUntil(lambda: len(page.current_avatars()) == 2, timeout=10_000)
    assert page.count_label.text() == "2 avatars"
    languages.apply("zh_CN")
    qtbot.waitUntil(lambda: page.count_label.text() == "2 个头像", timeout=5000)


def test_an_animated_gif_plays_in_the_details_and_a_still_picture_stays_still(
        gui: Gui, qtbot: Any) -> None:
    from ecan.resources import assets_dir

    page = gui.window.avatars
    samples = assets_dir() / "samples"
    gui.call("avatar.import_paths",
             {"paths": [str(samples / "wave.gif"), str(samples / "pixel.gif")]})
    page.reload()
    qtbot.waitUntil(lambda: len(page.current_avatars()) == 2, timeout=10_000)
    by_name = {a["name"]: a["id"] for a in page.current_avatars()}

    page.select_id(by_name["wave"])
    movie = page.details.preview.movie()
    assert movie is not None and movie.frameCount() == 4
    first = movie.currentFrameNumber()
    qtbot.waitUntil(lambda: movie.currentFrameNumber() != first, timeout=5000)  # it moves
    assert max(movie.scaledSize().width(), movie.scaledSize().height()) == 200  # fits the pane

    page.select_id(by_name["pixel"])
    assert page.details.preview.movie() is None
    qtbot.waitUntil(lambda: not page.details.preview.pixmap().isNull(), timeout=10_000)


def test_the_window_title_names_the_app_once(gui: Gui, qtbot: Any, languages: Any) -> None:
    """Qt itself adds the application's display name, ecan, after the title ("Avatar library
    — ecan"): the title must not carry it too."""
    languages.apply("en")
    assert gui.window.windowTitle() == "Avatar library"
    languages.apply("zh_CN")
    qtbot.waitUntil(lambda: gui.window.windowTitle() == "头像库", timeout=5000)


def test_at_the_smallest_window_the_agent_picker_shows_a_whole_row(
        gui: Gui, qtbot: Any) -> None:
    from ecan.ui.gallery_delegate import CARD

    window, page = gui.window, gui.window.agents
    window.tabs.setCurrentWidget(page)
    qtbot.mouseClick(page.save_button, _left())  # no name: an error line appears above
    assert page.error.isVisible()
    qtbot.wait(50)  # the layout settles (and may raise the window's minimum)
    window.resize(window.minimumSize())
    qtbot.waitUntil(lambda: window.size() == window.minimumSize(), timeout=5000)
    qtbot.wait(50)
    assert page.picker.viewport().height() >= CARD.height()
    assert page.save_button.isVisible()
    assert page.save_button.mapTo(window, page.save_button.rect().bottomLeft()).y() <= (
        window.statusBar().mapTo(window, window.statusBar().rect().topLeft()).y())


def _left() -> Any:
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_a_broken_generate_dialog_is_reported_not_hidden(gui: Gui, qtbot: Any,
                                                         monkeypatch: Any) -> None:
    """A bug in the generate screen reaches the bug reporter; the menu entry does not quietly
    do nothing."""
    import sys

    monkeypatch.setitem(sys.modules, "ecan.ui.generate_dialog", None)  # importing it fails
    assert gui.window.act_generate.isVisible()
    with qtbot.capture_exceptions() as raised:
        gui.window.act_generate.trigger()
    assert [issubclass(e[0], ImportError) for e in raised] == [True]
