"""The window's picture decoder process (ecan.bridge.decoder_process) with the real
`ecan decode-service` child: pictures arrive on the GUI thread, and a decoder that crashes,
cannot start or talks nonsense never takes the gallery down or leaves a card waiting forever."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PIL import Image

# The real service, except that a file named "hostile" kills it the way a decoder crash would.
CRASHING_DECODER = """
import os, sys
from ecan.bridge import decode_service
real = decode_service.decode
def decode(path, *args):
    if "hostile" in path:
        os._exit(3)
    return real(path, *args)
decode_service.decode = decode
sys.exit(decode_service.main())
"""


_T = TypeVar("_T")


@pytest.fixture
def closing() -> Iterator[Callable[[_T], _T]]:
    """closing(obj) -> obj, closed when the test ends however it ends: a failed wait must not
    leave a decoder process running for the rest of the session."""
    opened: list[Any] = []

    def track(obj: _T) -> _T:
        opened.append(obj)
        return obj

    yield track
    for obj in reversed(opened):
        obj.close()


def pictures(folder: Path, names: list[str]) -> list[str]:
    out = []
    for i, name in enumerate(names):
        p = folder / name
        Image.new("RGB", (256, 192), (40 * i, 100, 200)).save(p)
        out.append(str(p))
    return out


def load_all(qtbot: Any, loader: Any, paths: list[str]) -> dict[str, Any]:
    ready: list[str] = []
    loader.thumbnail_ready.connect(ready.append)
    assert all(loader.pixmap(p) is None for p in paths)
    qtbot.waitUntil(lambda: len(set(ready)) == len(set(paths)), timeout=15000)
    return {p: loader.pixmap(p) for p in paths}


def test_thumbnails_come_from_the_decoder_process_at_the_screens_pixel_ratio(
        qtbot: Any, tmp_path: Path, closing: Any) -> None:
    from PySide6.QtCore import QSize

    from ecan.bridge.thumbs import ThumbnailLoader

    [path] = pictures(tmp_path, ["a.png"])
    loader = closing(ThumbnailLoader(QSize(64, 64), device_pixel_ratio=2.0))
    pix = load_all(qtbot, loader, [path])[path]
    assert (pix.width(), pix.height()) == (128, 96)  # device pixels
    assert pix.deviceIndependentSize().width() == 64
    colour = pix.toImage().pixelColor(60, 40)
    assert (colour.red(), colour.green(), colour.blue()) == (0, 100, 200)


def test_a_picture_that_crashes_the_decoder_shows_as_unreadable_and_the_rest_still_load(
        qtbot: Any, tmp_path: Path, closing: Any) -> None:
    from PySide6.QtCore import QSize

    from ecan.bridge.decoder_process import DecoderProcess
    from ecan.bridge.thumbs import ThumbnailLoader

    paths = pictures(tmp_path, ["a.png", "hostile.png", "b.png", "c.png"])
    decoder = closing(DecoderProcess(command=[sys.executable, "-c", CRASHING_DECODER]))
    loader = closing(ThumbnailLoader(QSize(64, 64), decoder=decoder))
    shown = load_all(qtbot, loader, paths)
    assert shown[paths[1]].isNull()
    assert all(not shown[p].isNull() and shown[p].width() == 64
               for p in paths if "hostile" not in p)
    # The decoder came back for later pictures too.
    [later] = pictures(tmp_path, ["later.png"])
    assert not load_all(qtbot, loader, [later])[later].isNull()


@pytest.mark.parametrize("command", [
    ["/nonexistent/ecan-decoder"],
    [sys.executable, "-c", "import sys; print('hello from the wrong program'); sys.stdin.read()"],
], ids=["cannot-start", "talks-nonsense"])
def test_a_broken_decoder_leaves_the_card_as_unreadable_instead_of_waiting_forever(
        qtbot: Any, tmp_path: Path, command: list[str], closing: Any) -> None:
    from PySide6.QtCore import QSize

    from ecan.bridge.decoder_process import DecoderProcess
    from ecan.bridge.thumbs import ThumbnailLoader

    paths = pictures(tmp_path, ["a.png", "b.png", "c.png", "d.png"])
    decoder = closing(DecoderProcess(command=command))
    loader = closing(ThumbnailLoader(QSize(64, 64), decoder=decoder))
    assert all(pix.isNull() for pix in load_all(qtbot, loader, paths).values())
    assert loader.pending() == 0
