"""The Linux desktop integration files pass the validators software centres and distributions
run (desktop-file-validate, appstreamcli), and say what ecan is and how it opens files."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import ecan

LINUX = Path(__file__).resolve().parents[2] / "packaging" / "linux"
DESKTOP = LINUX / "io.ecan.Ecan.desktop"
METAINFO = LINUX / "io.ecan.Ecan.metainfo.xml"


def _tool(name: str, debian_package: str) -> str:
    """The validator's path; a missing one fails the test with what to install (the set-up
    script installs it): skipping would let a broken file through unnoticed."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` is not installed: run `apt-get install {debian_package}` "
                    "(scripts/setup.sh installs it)", pytrace=False)
    return path


def test_the_desktop_file_passes_desktop_file_validate() -> None:
    tool = _tool("desktop-file-validate", "desktop-file-utils")
    done = subprocess.run([tool, str(DESKTOP)], capture_output=True, text=True, timeout=60)
    # It exits 0 on warnings too; hints are advice, errors and warnings are not.
    assert done.returncode == 0, done.stdout + done.stderr
    assert not re.search(r": (error|warning): ", done.stdout + done.stderr), done.stdout


def test_the_desktop_file_opens_files_with_ecan() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    entry.read(DESKTOP, encoding="utf-8")
    desktop = entry["Desktop Entry"]
    # "Open with ecan": the files chosen reach `ecan gui FILE...`, which imports them.
    assert desktop["Exec"] == "ecan gui %F"
    types = set(desktop["MimeType"].strip(";").split(";"))
    assert {"image/png", "image/jpeg", "image/gif", "image/webp", "video/mp4",
            "video/webm"} <= types
    assert desktop["Icon"] == DESKTOP.stem


def test_the_metainfo_passes_appstreamcli_validate() -> None:
    tool = _tool("appstreamcli", "appstream")
    done = subprocess.run([tool, "validate", "--no-net", "--pedantic", str(METAINFO)],
                          capture_output=True, text=True, timeout=60)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    # Errors and warnings fail; infos and pedantic notes are let through: the one pedantic note
    # is the upper-case letter of io.ecan.Ecan (reverse-DNS ids are spelled so, and the id names
    # the desktop file, icon and bundle id everywhere), and AppStream before 1.0 does not know
    # <developer> yet (an info).
    assert not re.search(r"^[EW]: ", out, re.MULTILINE), out


def test_the_metainfo_says_what_a_software_centre_shows() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == DESKTOP.stem
    assert root.findtext("launchable") == DESKTOP.name
    assert root.find("launchable").get("type") == "desktop-id"  # type: ignore[union-attr]
    assert (root.findtext("url[@type='homepage']") or "").startswith("https://")
    developer = root.find("developer")
    assert developer is not None and developer.get("id") and developer.findtext("name")
    images = [i.text or "" for i in root.iterfind("screenshots/screenshot/image")]
    assert images and all(i.startswith("https://") for i in images)
    assert root.find("screenshots/screenshot[@type='default']") is not None
    assert root.find("content_rating").get("type") == "oars-1.1"  # type: ignore[union-attr]
    # The newest release is the version this tree builds.
    assert root.find("releases/release").get("version") == ecan.__version__  # type: ignore[union-attr]
    # The screenshot the URL stands for is kept here, and is the size the file says.
    from PIL import Image

    image = root.find("screenshots/screenshot/image")
    assert image is not None
    with Image.open(LINUX / "screenshots" / Path(image.text or "").name) as shot:
        assert (shot.width, shot.height) == (int(image.get("width", 0)),
                                             int(image.get("height", 0)))
