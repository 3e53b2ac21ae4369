"""A video avatar in the window: dropped like a picture, its card shows a play mark and its
length, and the details pane plays it in the system's player."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.corpus.videos import make_video
from tests.ui.conftest import Gui
from tests.ui.test_main_window import drop


def test_a_dropped_video_shows_its_length_and_plays(gui: Gui, qtbot: Any, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtCore import QPoint

    from ecan.ui.gallery_delegate import thumb_rect_of
    from ecan.ui.gallery_model import CardRole

    clip = make_video(tmp_path / "wave.mp4", frames=30, rate=12, size=(96, 96))  # 2.5 s
    picture = tmp_path / "still.png"
    from PIL import Image

    Image.new("RGB", (96, 96), (0, 150, 140)).save(picture)  # the poster's colour, no video
    drop(gui.window, [clip, picture])
    page = gui.window.avatars
    qtbot.waitUntil(lambda: len(page.current_avatars()) == 2, timeout=20_000)

    def index_of(name: str) -> Any:
        for r in range(page.proxy.rowCount()):
            if page.proxy.index(r, 0).data() == name:
                return page.proxy.index(r, 0)
        raise AssertionError(name)

    video, still = index_of("wave"), index_of("still")
    assert video.data(CardRole)[3:] == (True, "0:03")
    assert still.data(CardRole)[3:] == (False, "")

    def mark_pixel(index: Any) -> Any:
        """Where the play mark's pill sits on the card: over the thumbnail's bottom-left."""
        rect = page.view.visualRect(index)
        thumb = thumb_rect_of(rect.size())
        spot = rect.topLeft() + QPoint(int(thumb.left()) + 10, int(thumb.bottom()) - 15)
        return page.view.viewport().grab().toImage().pixelColor(spot)

    # Both thumbnails are the same teal; only the video's card has the dark pill on it.
    qtbot.waitUntil(lambda: mark_pixel(still).green() > 100, timeout=10_000)
    qtbot.waitUntil(lambda: mark_pixel(video).green() < 70, timeout=10_000)

    opened: list[str] = []

    class Player:
        @staticmethod
        def openUrl(url: Any) -> bool:  # noqa: N802 - Qt's name
            opened.append(url.toLocalFile())
            return True

    monkeypatch.setattr("ecan.ui.details.QDesktopServices", Player)
    page.view.setCurrentIndex(video)
    details = page.details
    assert details.play.isVisible() and details.values["length"].text() == "0:03"
    assert details.values["format"].text() == "MP4 video"
    details.play.click()
    assert len(opened) == 1 and Path(opened[0]).read_bytes() == clip.read_bytes()
    page.view.setCurrentIndex(still)
    assert not details.play.isVisible() and not details.values["length"].isVisible()
