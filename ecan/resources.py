"""Where ecan's shipped resources (system avatars, samples, icons) are: next to the package in a
checkout or an installed wheel's data, or inside a PyInstaller bundle (`sys._MEIPASS`)."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:  # PyInstaller: the spec collects resources/ into the bundle's root
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"
