"""Where the UI finds its icons and translations: `resources/` beside the package in a checkout,
or next to the executable in a PyInstaller bundle."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon


def resources_root() -> Path:
    from ecan.resources import resources_dir

    return resources_dir()


def icon_path(name: str) -> Path:
    return resources_root() / "icons" / name


def translations_dir() -> Path:
    return resources_root() / "translations"


@functools.lru_cache(maxsize=64)
def icon(name: str) -> QIcon:
    """An icon from resources/icons: SVG (crisp at any DPI) or PNG. Cached: status updates
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
