"""ecan's helper processes (the sync service, which holds the user's session; the picture
decoder; the import workers; the local demo cloud) never run code from the folder ecan was
started in: a `logging.py`, `ecan.py` or `PIL.py` lying there (say, in Downloads) is not
imported by any of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from PySide6.QtCore import QSize

# What a hostile download could be called: the modules the helpers import first.
BAIT = ("logging", "ecan", "PIL", "json", "socket", "pickle", "threading", "selectors")


@pytest.fixture
def start_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current folder, holding modules that leave a mark in `marks/` when imported."""
    folder, marks = tmp_path / "Downloads", tmp_path / "marks"
    folder.mkdir()
    marks.mkdir()
    for name in BAIT:
        (folder / f"{name}.py").write_text(
            "import os\n"
            f"open(os.path.join({str(marks)!r}, '{name}-' + str(os.getpid())), 'w').close()\n")
    monkeypatch.chdir(folder)
    return marks


def _marks(marks: Path) -> list[str]:
    return sorted(p.name for p in marks.iterdir())


def test_the_sync_service_does_not_run_code_from_the_start_folder(
        clean_env: dict[str, str], start_folder: Path, qtbot: Any) -> None:
    from ecan.app import build_app
    from ecan.bridge.sync_process import SyncProcess

    app = build_app(clean_env)
    try:
        sync = SyncProcess(app)
        sync.start()
        qtbot.waitUntil(lambda: sync.helper.process is not None
                        and sync._sent_generation is not None, timeout=30_000)
        sync.stop(10.0)
    finally:
        app.close()
    assert _marks(start_folder) == []
    # It really ran (and stopped when told): its last words are in the library's log.
    assert "sync service stopped" in (app.paths.logs / "ecan.log").read_text()


def test_the_picture_decoder_does_not_run_code_from_the_start_folder(
        tmp_path: Path, start_folder: Path, qtbot: Any) -> None:
    from ecan.bridge.decoder_process import DecoderProcess

    picture = tmp_path / "p.png"
    Image.new("RGB", (40, 30), (200, 10, 10)).save(picture)
    decoder = DecoderProcess()
    try:
        with qtbot.waitSignal(decoder.decoded, timeout=30_000) as got:
            decoder.decode(str(picture), QSize(20, 20))
    finally:
        decoder.close()
    assert _marks(start_folder) == []
    assert not got.args[1].isNull(), "the decoder did not decode"


def test_the_import_workers_do_not_run_code_from_the_start_folder(
        clean_env: dict[str, str], start_folder: Path) -> None:
    from ecan.app import build_app

    Image.new("RGB", (40, 30), (10, 200, 10)).save("photo.png")
    app = build_app(clean_env, image_workers=True)
    try:
        outcome = app.import_pool.import_one(Path("photo.png"))  # relative to the start folder
    finally:
        app.close()
    assert _marks(start_folder) == []
    assert outcome.ok, outcome.error


def test_the_demo_cloud_does_not_run_code_from_the_start_folder(start_folder: Path) -> None:
    from ecan.democloud import DemoCloud
    from ecan.errors import UserFacingError

    cloud = DemoCloud()
    try:
        cloud.start()
        running = cloud.running
    except UserFacingError:
        running = False
    finally:
        cloud.stop()
    assert _marks(start_folder) == []
    assert running
