"""The `ecan gui --screenshot --quit-after` and `ecan selftest` contracts, as subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PIL import Image


def _ecan(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ecan", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_gui_saves_a_settled_screenshot_and_quits_cleanly(
        clean_env: dict[str, str], tmp_path: Path) -> None:
    env = {**clean_env, "QT_QPA_PLATFORM": "offscreen"}
    shot = tmp_path / "shot.png"
    done = _ecan("gui", "--screenshot", str(shot), "--quit-after", "4", env=env)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    with Image.open(shot) as img:
        assert img.width >= 760 and img.height >= 480
        # Not a blank grab: the window painted more than one colour.
        assert len(img.convert("RGB").getcolors(1 << 20) or []) > 20


def test_a_library_that_cannot_be_opened_is_said_before_any_window(
        clean_env: dict[str, str], ecan_home: Path) -> None:
    """Before, the first view to read the library met the error: no window, only "Something
    went wrong (UserFacingError)" (and, on a full disk, a log that could not be written)."""
    env = {**clean_env, "QT_QPA_PLATFORM": "offscreen"}
    ecan_home.mkdir(parents=True)
    (ecan_home / "ecan.sqlite3").write_bytes(b"not a database, " * 512)
    done = _ecan("gui", "--quit-after", "20", env=env)
    assert done.returncode == 1, done.stderr
    assert "error: The library database" in done.stderr and "cannot be opened" in done.stderr
    assert "fix: Check the disk and permissions" in done.stderr
    assert "Traceback" not in done.stderr


def test_gui_imports_the_files_it_is_given_and_shows_them(
        clean_env: dict[str, str], tmp_path: Path) -> None:
    """`ecan gui FILE FOLDER` (the .desktop file's `Exec=ecan gui %F`, "Open with ecan")."""
    import json

    pics = tmp_path / "pics"
    (pics / "more").mkdir(parents=True)
    Image.new("RGB", (96, 96), (200, 40, 40)).save(pics / "red.png")
    Image.new("RGB", (96, 96), (40, 200, 40)).save(pics / "more" / "green.png")
    Image.new("RGB", (96, 96), (40, 40, 200)).save(pics / "more" / "blue.jpg")
    env = {**clean_env, "QT_QPA_PLATFORM": "offscreen"}
    shot = tmp_path / "shot.png"
    done = _ecan("gui", str(pics / "red.png"), str(pics / "more"), "--screenshot", str(shot),
                 "--quit-after", "10", env=env)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    # What the window showed when the screenshot was taken: the three in the gallery.
    assert f"screenshot saved to {shot}: gallery: 3 avatars (3 local)" in done.stderr
    assert shot.is_file()
    listed = json.loads(_ecan("list", "--json", env=env).stdout)["avatars"]
    assert sorted(a["name"] for a in listed if a["resource_type"] == "uploaded") == [
        "blue", "green", "red"]


def test_selftest_opens_the_library_and_loads_a_thumbnail(clean_env: dict[str, str]) -> None:
    env = {**clean_env, "QT_QPA_PLATFORM": "offscreen"}
    done = _ecan("selftest", "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert '"thumbnail_loaded": true' in done.stdout


def test_gui_with_a_bad_config_names_the_setting_without_a_traceback(
        clean_env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("STORAGE:\n  BUCKET: B\n")
    env = {**clean_env, "QT_QPA_PLATFORM": "offscreen", "ECAN_CONFIG": str(bad)}
    done = _ecan("gui", "--quit-after", "1", env=env)
    assert done.returncode == 2
    assert "STORAGE.BUCKET" in done.stderr and "Traceback" not in done.stderr
    assert os.path.exists(clean_env["ECAN_HOME"])


def test_gui_demo_cloud_signs_in_and_syncs_the_samples(
        clean_env: dict[str, str], tmp_path: Path) -> None:
    import json

    demo_home = tmp_path / "demo-home"
    env = {**clean_env, "QT_QPA_PLATFORM": "offscreen", "ECAN_DEMO_HOME": str(demo_home),
           "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}
    shot = tmp_path / "demo.png"
    done = _ecan("gui", "--demo-cloud", "--screenshot", str(shot), "--quit-after", "45", env=env)
    assert done.returncode == 0, done.stderr
    assert shot.is_file()
    # The screenshot shows what the status bar counts: the six samples, each synced.
    assert (f"screenshot saved to {shot}: gallery: 6 avatars (6 synced); status bar: All 6 synced"
            in done.stderr), done.stderr
    # The demo used its own library, never the user's ECAN_HOME.
    assert not (Path(clean_env["ECAN_HOME"]) / "ecan.sqlite3").exists()
    listed = _ecan("list", "--json", env={**env, "ECAN_HOME": str(demo_home),
                                          "ECAN_CONFIG": str(demo_home / "demo_config.yml")})
    avatars = json.loads(listed.stdout)["avatars"]
    samples = [a for a in avatars if a["resource_type"] == "uploaded"]
    assert samples and all(a["sync_state"] == "synced" for a in samples)


def test_gui_demo_cloud_leaves_no_library_behind(clean_env: dict[str, str],
                                                 tmp_path: Path) -> None:
    """The demo's library is as temporary as its cloud: gone when the window closes."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**clean_env, "QT_QPA_PLATFORM": "offscreen", "TMPDIR": str(scratch),
           "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}
    done = _ecan("gui", "--demo-cloud", "--quit-after", "4", env=env)
    assert done.returncode == 0, done.stderr
    assert not list(scratch.glob("ecan-demo-*"))
