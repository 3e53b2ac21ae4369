"""Export from the window: "Save a copy…" writes the original's bytes where the save dialog says
and the status bar says so; "Copy picture" puts the decoded picture (and its file) on the
clipboard; "Show in file manager" opens the file's folder; the gallery's menu saves several
avatars into a folder without overwriting a file there; and the new words are in Chinese."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.ui.conftest import Gui


def sha(path: Path | str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def selected(gui: Gui, qtbot: Any, pictures: list[Path]) -> Any:
    gui.call("avatar.import_paths", {"paths": [str(p) for p in pictures]})
    page = gui.window.avatars
    page.reload()
    qtbot.waitUntil(lambda: len(page.current_avatars()) == len(pictures), timeout=10_000)
    page.view.setCurrentIndex(page.proxy.index(0, 0))
    return page


def test_save_a_copy_writes_the_original_and_says_where(
        gui: Gui, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    picture = tmp_path / "Office cat.png"
    Image.new("RGB", (120, 80), (10, 160, 90)).save(picture)
    page = selected(gui, qtbot, [picture])
    details = page.details
    assert details.save_copy.isVisible() and not details.save_video.isVisible()

    target = tmp_path / "saved" / "kept.png"
    target.parent.mkdir()
    asked: list[str] = []

    def dialog(_parent: Any, _title: str, suggested: str, _filter: str) -> tuple[str, str]:
        asked.append(suggested)
        return str(target), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(dialog))
    details.save_copy.click()
    qtbot.waitUntil(lambda: "Saved" in gui.window.statusBar().currentMessage(), timeout=10_000)
    assert Path(asked[0]).name == "Office cat.png"  # the avatar's name and its extension
    assert sha(target) == sha(picture)  # the original, byte for byte
    assert gui.window.statusBar().currentMessage() == (
        f"Saved 'kept.png' to {target.parent}.")


def test_copy_picture_and_show_in_file_manager(
        gui: Gui, qtbot: Any, make_pictures: Callable[..., list[Path]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtGui import QGuiApplication

    (picture,) = make_pictures(1, size=150)
    page = selected(gui, qtbot, [picture])
    details = page.details
    clipboard = QGuiApplication.clipboard()
    clipboard.clear()
    details.copy_picture.click()
    qtbot.waitUntil(lambda: "Copied" in gui.window.statusBar().currentMessage(),
                    timeout=10_000)
    image = clipboard.image()
    assert not image.isNull() and (image.width(), image.height()) == (150, 150)
    original = page.current_avatars()[0]["image_path"]
    urls = clipboard.mimeData().urls()
    assert [u.toLocalFile() for u in urls] == [original]  # pasted in a file manager: the file

    opened: list[str] = []

    class FileManager:
        @staticmethod
        def openUrl(url: Any) -> bool:  # noqa: N802 - Qt's name
            opened.append(url.toLocalFile())
            return True

    monkeypatch.setattr("ecan.ui.export.QDesktopServices", FileManager)
    details.show_file.click()
    assert opened == [str(Path(original).parent)]


def test_the_gallery_menu_saves_several_into_a_folder_without_overwriting(
        gui: Gui, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtCore import QItemSelectionModel
    from PySide6.QtWidgets import QFileDialog

    pictures = []
    for i, folder in enumerate(("a", "b")):  # two avatars both named "photo"
        (tmp_path / folder).mkdir()
        pictures.append(tmp_path / folder / "photo.png")
        Image.new("RGB", (50 + i, 50), (i * 100, 40, 40)).save(pictures[-1])
    page = selected(gui, qtbot, pictures)
    window = gui.window
    menu = window.gallery_menu()
    assert [a.text() for a in menu.actions() if a.text()] == [
        "Save a copy…", "Copy picture", "Show in file manager", "&Delete"]

    page.view.selectionModel().select(page.proxy.index(1, 0),
                                      QItemSelectionModel.SelectionFlag.Select)
    menu = window.gallery_menu()
    save = menu.actions()[0]
    assert save.text() == "Save 2 copies to folder…"
    out = tmp_path / "out"
    out.mkdir()
    (out / "photo.png").write_bytes(b"the user's own file")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *a, **k: str(out)))
    save.trigger()
    qtbot.waitUntil(lambda: "Saved 2 copies" in window.statusBar().currentMessage(),
                    timeout=10_000)
    assert window.statusBar().currentMessage() == f"Saved 2 copies to {out}."
    assert (out / "photo.png").read_bytes() == b"the user's own file"
    assert sorted(sha(out / n) for n in ("photo (2).png", "photo (3).png")) == sorted(
        sha(p) for p in pictures)


def test_the_export_actions_are_in_chinese(gui: Gui, qtbot: Any, languages: Any,
                                           make_pictures: Callable[..., list[Path]]) -> None:
    page = selected(gui, qtbot, make_pictures(1))
    languages.apply("zh_CN")
    details = page.details
    qtbot.waitUntil(lambda: details.save_copy.text() == "另存副本…", timeout=5000)
    words = [details.copy_picture.text(), details.save_video.text(),
             details.show_file.accessibleName(), details.show_file.toolTip()]
    for text in words:
        assert text and not any("a" <= c.lower() <= "z" for c in text)
    texts = [a.text() for a in gui.window.gallery_menu().actions() if a.text()]
    assert all(not any("a" <= c.lower() <= "z" for c in t.replace("&D", "")) for t in texts)


def test_save_video_writes_the_video_of_a_video_avatar(
        gui: Gui, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    from tests.corpus.videos import make_video

    clip = tmp_path / "Hello.mp4"
    make_video(clip)
    page = selected(gui, qtbot, [clip])
    details = page.details
    assert details.save_video.isVisible()
    menu = gui.window.gallery_menu()
    assert "Save video…" in [a.text() for a in menu.actions()]
    asked: list[str] = []

    def dialog(_parent: Any, _title: str, suggested: str, _filter: str) -> tuple[str, str]:
        asked.append(suggested)
        return str(tmp_path / "out.mp4"), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(dialog))
    details.save_video.click()
    qtbot.waitUntil(lambda: "Saved 'out.mp4'" in gui.window.statusBar().currentMessage(),
                    timeout=10_000)
    assert Path(asked[0]).name == "Hello.mp4"
    assert sha(tmp_path / "out.mp4") == sha(clip)
