"""The Linux desktop integration files pass the validators software centres and distributions
run (desktop-file-validate, appstreamcli) and say what ecan is and how it opens files; the
Windows and macOS bundles the spec asks for open the app without a console, with its icon."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

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


# ---- the Windows and macOS bundles (built on those systems; their spec is checked here) ------

ROOT = LINUX.parents[1]


class _Built:
    """What one PyInstaller spec class was called with."""

    def __init__(self, kind: str, made: list[_Built], *args: Any, **kwargs: Any) -> None:
        self.kind, self.args, self.kwargs = kind, args, kwargs
        self.datas: list[tuple[str, str, str]] = []
        self.binaries: list[tuple[str, str, str]] = []
        self.pure: list[Any] = []
        self.scripts: list[Any] = []
        made.append(self)


def _run_spec(platform: str, monkeypatch: pytest.MonkeyPatch) -> list[_Built]:
    """Runs packaging/ecan.spec as PyInstaller would on `platform`, with PyInstaller's classes
    replaced by recorders: what it asks for, not a build."""
    made: list[_Built] = []
    names = ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")
    spec = ROOT / "packaging" / "ecan.spec"
    namespace: dict[str, Any] = {
        name: (lambda *a, _k=name, **kw: _Built(_k, made, *a, **kw)) for name in names}
    namespace["SPECPATH"] = str(spec.parent)
    monkeypatch.setattr(sys, "platform", platform)
    exec(compile(spec.read_text(encoding="utf-8"), str(spec), "exec"), namespace)
    return made


def _exes(made: list[_Built]) -> dict[str, _Built]:
    return {str(b.kwargs["name"]): b for b in made if b.kind == "EXE"}


def test_the_windows_bundle_has_a_windowed_app_and_a_console_cli(
        monkeypatch: pytest.MonkeyPatch) -> None:
    made = _run_spec("win32", monkeypatch)
    exes = _exes(made)
    # The Start menu starts the windowed one: no console window opens beside the app.
    assert exes["ecan-gui"].kwargs["console"] is False
    assert exes["ecan"].kwargs["console"] is True
    for exe in exes.values():
        assert Path(exe.kwargs["icon"]).name == "ecan.ico" and Path(exe.kwargs["icon"]).is_file()
    (collect,) = [b for b in made if b.kind == "COLLECT"]
    assert {id(a) for a in collect.args} >= {id(e) for e in exes.values()}
    assert not [b for b in made if b.kind == "BUNDLE"]

    iss = (ROOT / "packaging" / "windows" / "ecan.iss").read_text(encoding="utf-8")
    # Every shortcut and the "launch now" box start the windowed program.
    started = set(re.findall(r'Filename: "([^"]+)"', iss))
    assert started == {"{app}\\ecan-gui.exe"}, started
    assert '"""{app}\\ecan-gui.exe"" gui ""%1"""' in iss  # "Open with ecan"


def test_the_macos_app_is_the_windowed_program_with_ecans_icon(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    made = _run_spec("darwin", monkeypatch)
    exes = _exes(made)
    (bundle,) = [b for b in made if b.kind == "BUNDLE"]
    info = bundle.kwargs["info_plist"]
    # The app's executable is the windowed one: a console one makes the app background-only.
    assert exes[info["CFBundleExecutable"]].kwargs["console"] is False
    assert info.get("LSBackgroundOnly") is not True
    icon = Path(bundle.kwargs["icon"])
    assert info["CFBundleIconFile"] == icon.name
    assert icon.read_bytes()[:4] == b"icns"
    with Image.open(icon) as img:
        assert (512, 512, 2) in img.info["sizes"]  # 1024 px, for Retina Finder and Dock
    assert bundle.kwargs["version"] == ecan.__version__ == info["CFBundleShortVersionString"]
