"""The library is the user's alone: under the usual umask (022) nothing ecan writes under
ECAN_HOME (database and its -wal/-shm, logs, pictures, thumbnails, temp files, config) can be
read by another user of the computer, and a library written before that is made private when
it is opened."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from ecan.app import build_app
from ecan.config import write_config


@pytest.fixture
def usual_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _readable_by_others(home: Path) -> list[str]:
    """Everything under `home` (and itself) that group or others may use, with its mode."""
    found = []
    for path in [home, *home.rglob("*")]:
        mode = os.lstat(path).st_mode
        if stat.S_ISDIR(mode) and stat.S_IMODE(mode) != 0o700 or stat.S_IMODE(mode) & 0o077:
            found.append(f"{path.relative_to(home.parent)} {stat.S_IMODE(mode):o}")
    return found


def _use_the_library(clean_env: dict[str, str], picture: Path) -> Path:
    app = build_app(clean_env)
    try:
        assert app.library.import_file(picture).created
        logging.getLogger("ecan.test").warning("a line in the log")
        write_config(app.config, app.paths.default_config)  # what the settings screen does
        home = app.paths.home
        assert (home / "ecan.sqlite3-wal").exists()  # the database is open: -wal and -shm
        assert _readable_by_others(home) == []
    finally:
        app.close()
    assert _readable_by_others(home) == []
    return home


def test_nothing_in_the_library_is_readable_by_other_users(
        clean_env: dict[str, str], tmp_path: Path, usual_umask: None) -> None:
    picture = tmp_path / "me.jpg"
    Image.effect_noise((300, 200), 40).convert("RGB").save(picture)
    home = _use_the_library(clean_env, picture)
    assert (home / "logs" / "ecan.log").read_text().count("a line in the log") == 1


def test_a_library_written_readable_is_made_private_when_opened(
        clean_env: dict[str, str], tmp_path: Path, usual_umask: None,
        caplog: pytest.LogCaptureFixture) -> None:
    picture = tmp_path / "me.jpg"
    Image.effect_noise((300, 200), 40).convert("RGB").save(picture)
    home = _use_the_library(clean_env, picture)
    # As an older ecan left it: folders 0755, files 0644.
    for path in [home, *home.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    assert len(_readable_by_others(home)) > 10
    app = build_app(clean_env)
    try:
        assert _readable_by_others(home) == []
        assert len(app.library.list(resource_type="uploaded")) == 1
    finally:
        app.close()
    assert "private now" in caplog.text
    assert "private now" in (home / "logs" / "ecan.log").read_text()
