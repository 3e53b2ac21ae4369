"""Start ecan when the user logs in (off unless they turn it on): the desktop's own way on each
system, and nothing else: Linux's XDG autostart entry, Windows' per-user Run key, a macOS
LaunchAgent. The entry itself is the setting (no copy elsewhere to drift from it)."""

from __future__ import annotations

import os
import plistlib
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

NAME = "ecan"
MAC_LABEL = "app.ecan.desktop"
WINDOWS_RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


def gui_command() -> list[str]:
    """The command line that opens the window: the frozen app is the executable itself."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "gui"]
    return [sys.executable, "-P", "-m", "ecan", "gui"]


def _desktop_quote(arg: str) -> str:
    """One argument of an Exec= line (the Desktop Entry spec's quoting rules)."""
    if arg and not any(c in arg for c in ' \t\n"\'\\><~|&;$*?#()`%'):
        return arg
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in arg).replace("%", "%%")
    return f'"{escaped}"'


class Autostart:
    """Start at login for this user. `platform` is sys.platform's value; `env` gives HOME,
    XDG_CONFIG_HOME and APPDATA (tests point them at a temporary folder)."""

    def __init__(self, env: Mapping[str, str] | None = None, platform: str = sys.platform,
                 command: list[str] | None = None) -> None:
        self.env = os.environ if env is None else env
        self.platform = platform
        self.command = command or gui_command()

    def _home(self) -> Path:
        return Path(self.env.get("HOME") or Path.home())

    def path(self) -> Path | None:
        """The file that is the setting (None on Windows: a registry value)."""
        if self.platform.startswith("win"):
            return None
        if self.platform == "darwin":
            return self._home() / "Library" / "LaunchAgents" / f"{MAC_LABEL}.plist"
        config = self.env.get("XDG_CONFIG_HOME") or ""
        # The spec: a relative XDG_CONFIG_HOME is invalid and ignored.
        base = Path(config) if config and os.path.isabs(config) else self._home() / ".config"
        return base / "autostart" / f"{NAME}.desktop"

    def entry(self) -> bytes:
        """What path() holds when start at login is on."""
        if self.platform == "darwin":
            return plistlib.dumps({"Label": MAC_LABEL, "ProgramArguments": self.command,
                                   "RunAtLoad": True, "ProcessType": "Interactive"})
        return ("[Desktop Entry]\n"
                "Type=Application\n"
                f"Name={NAME}\n"
                "Comment=Your avatar library for AI agents\n"
                f"Exec={' '.join(_desktop_quote(a) for a in self.command)}\n"
                "Terminal=false\n"
                "X-GNOME-Autostart-enabled=true\n").encode()

    def enabled(self) -> bool:
        if self.platform.startswith("win"):
            return self._windows_value() is not None
        path = self.path()
        return path is not None and path.is_file()

    def set_enabled(self, on: bool) -> None:
        if self.platform.startswith("win"):
            self._windows_set(on)
            return
        path = self.path()
        assert path is not None
        if not on:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(self.entry())
        os.replace(tmp, path)

    def windows_command_line(self) -> str:
        """The Run key's value: one command line, quoted the way Windows parses it."""
        return subprocess.list2cmdline(self.command)

    def _windows_value(self) -> str | None:
        if sys.platform != "win32":  # the registry exists on Windows only
            return None
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, WINDOWS_RUN_KEY) as key:
                value, _kind = winreg.QueryValueEx(key, NAME)
        except OSError:
            return None
        return str(value)

    def _windows_set(self, on: bool) -> None:
        if sys.platform != "win32":
            raise OSError("the Windows registry exists on Windows only")
        import winreg

        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, WINDOWS_RUN_KEY) as key:
            if on:
                winreg.SetValueEx(key, NAME, 0, winreg.REG_SZ, self.windows_command_line())
            else:
                try:
                    winreg.DeleteValue(key, NAME)
                except FileNotFoundError:
                    pass
