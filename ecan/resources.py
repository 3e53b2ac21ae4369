"""Where ecan's shipped files are: the package data under `ecan/assets/` (icons, system avatars,
sample pictures, translations), found through `importlib.resources` so that a checkout, an
installed wheel and a PyInstaller bundle (whose spec copies the folder to `ecan/assets` in the
bundle) all take the same path through this module."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

ASSETS = "assets"


def assets_dir() -> Path:
    """The folder holding icons/, samples/, system_avatars/ and translations/ on disk.

    Qt (QIcon, QTranslator) and the importer read files by path. Installed or checked-out
    packages are plain folders, so this is usually the package's own folder; a package imported
    from a zip file is copied out once per process (see `_materialised`)."""
    root = resources.files("ecan").joinpath(ASSETS)
    if isinstance(root, Path):
        return root
    return _materialised()


def sample_paths() -> list[Path]:
    """The sample pictures the demos import, in a stable order."""
    return sorted(p for p in (assets_dir() / "samples").iterdir() if p.is_file())


@functools.cache
def _materialised() -> Path:
    # `importlib.resources.as_file` copies out single files only before Python 3.12, and the
    # callers list folders, so the whole (small, < 1 MB) tree is copied to a temporary folder
    # that lives as long as the process: a lazily loaded SVG icon reads its file much later.
    target = Path(tempfile.mkdtemp(prefix="ecan-assets-"))
    atexit.register(shutil.rmtree, target, ignore_errors=True)
    _copy_tree(resources.files("ecan").joinpath(ASSETS), target)
    return target


def _copy_tree(source: Traversable, target: Path) -> None:
    for entry in source.iterdir():
        if entry.is_dir():
            (target / entry.name).mkdir()
            _copy_tree(entry, target / entry.name)
        else:
            (target / entry.name).write_bytes(entry.read_bytes())
