"""The UI's icons and translations, in the package data that ecan.resources locates."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from ecan.resources import assets_dir

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon


def icon_path(name: str) -> Path:
    return assets_dir() / "icons" / name


def translations_dir() -> Path:
    return assets_dir() / "translations"


@functools.lru_cache(maxsize=64)
def icon(name: str) -> QIcon:
    """An icon from ecan/assets/icons: SVG (crisp at any DPI) or PNG. Cached: status updates
    set icons often, and finding and parsing the file is disk work for the GUI thread."""
    from PySide6.QtGui import QIcon

    for ext in (".svg", ".png"):
        path = icon_path(name + ext)
        if path.is_file():
            return QIcon(str(path))
    return QIcon()


def app_icon() -> QIcon:
    from PySide6.QtGui import QIcon

    result = QIcon()
    for size in (32, 64, 256):
        path = icon_path(f"app-{size}.png")
        if path.is_file():
            result.addFile(str(path))
    return result
