"""Start at login: the entry each desktop reads, written where it looks and removed again."""

from __future__ import annotations

import configparser
import plistlib
import shlex
from pathlib import Path

from ecan.autostart import Autostart

COMMAND = ["/opt/my apps/python3", "-P", "-m", "ecan", "gui"]


def test_linux_writes_an_xdg_autostart_entry_under_xdg_config_home(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    auto = Autostart(env, platform="linux", command=COMMAND)
    assert not auto.enabled()
    auto.set_enabled(True)
    entry = tmp_path / "cfg" / "autostart" / "ecan.desktop"
    assert auto.enabled() and entry.is_file()
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(entry.read_text())
    desktop = parser["Desktop Entry"]
    assert desktop["Type"] == "Application" and desktop["Name"] == "ecan"
    assert shlex.split(desktop["Exec"]) == COMMAND  # the path with a space stays one argument
    auto.set_enabled(False)
    assert not entry.exists() and not auto.enabled()
    auto.set_enabled(False)  # already off: nothing to do, no error


def test_linux_without_xdg_config_home_uses_dot_config(tmp_path: Path) -> None:
    for env in ({"HOME": str(tmp_path)}, {"HOME": str(tmp_path), "XDG_CONFIG_HOME": "rel"}):
        assert Autostart(env, platform="linux").path() == \
            tmp_path / ".config" / "autostart" / "ecan.desktop"


def test_macos_writes_a_launch_agent_that_runs_at_load(tmp_path: Path) -> None:
    auto = Autostart({"HOME": str(tmp_path)}, platform="darwin", command=COMMAND)
    auto.set_enabled(True)
    path = tmp_path / "Library" / "LaunchAgents" / "app.ecan.desktop.plist"
    agent = plistlib.loads(path.read_bytes())
    assert agent["ProgramArguments"] == COMMAND and agent["RunAtLoad"] is True
    assert agent["Label"] == "app.ecan.desktop"
    auto.set_enabled(False)
    assert not path.exists()


def test_windows_run_value_is_one_quoted_command_line() -> None:
    auto = Autostart({}, platform="win32", command=[r"C:\Program Files\ecan\ecan.exe", "gui"])
    assert auto.path() is None
    assert auto.windows_command_line() == r'"C:\Program Files\ecan\ecan.exe" gui'
