"""`ecan gui` (the desktop app), `ecan selftest` (start the app offscreen, open the database,
load a thumbnail, check the shipped icon, translation, system avatars and samples, exit 0) and
`ecan decode-service` (the window's picture decoder). Qt is imported only inside ecan.ui, on
demand."""

from __future__ import annotations

import argparse
import gc
import os
import sys

from ecan.cli.output import Output
from ecan.errors import ConfigError


def run(args: argparse.Namespace, out: Output) -> int:
    _require_display()
    # Starting the window makes some 100,000 objects that live as long as it does (modules, Qt's
    # wrappers): automatic collections meanwhile look them over again and again, ~45 ms of a
    # 0.5 s start. The window's GcScheduler (ecan.ui.gc_scheduler) runs collection once it is up.
    gc.disable()
    from ecan.ui.launcher import run_gui

    return run_gui(files=list(args.files or []), demo_cloud=bool(args.demo_cloud),
                   screenshot=args.screenshot, quit_after=args.quit_after)


def _require_display() -> None:
    """Qt aborts (a core dump, exit 134) when it finds no display on X11/Wayland platforms: say
    so first, with what to do instead. A platform chosen on purpose (offscreen, xcb with a
    display) is the user's call; macOS and Windows always have one."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return
    raise ConfigError(
        "DISPLAY", "no display found (neither DISPLAY nor WAYLAND_DISPLAY is set), so the "
        "window cannot open",
        "Run ecan on a desktop; or use the command line (`ecan --help`); or give it a virtual "
        "screen: `xvfb-run -a ecan gui --screenshot ecan.png --quit-after 10`.")


def selftest(args: argparse.Namespace, out: Output) -> int:
    from ecan.ui.launcher import run_selftest

    result = run_selftest()
    out.result(result, lambda: (f"selftest ok: Qt {result['qt_platform']}, database "
                                f"{result['database']}, {result['avatars']} avatars, thumbnail "
                                f"{'loaded' if result['thumbnail_loaded'] else 'none to load'}, "
                                f"{result['system_avatars']} system avatars, "
                                f"{result['samples']} samples, icon and zh_CN translation "
                                "found"))
    return 0


def decode_service(args: argparse.Namespace, out: Output) -> int:
    """`ecan decode-service`: decodes thumbnails for the desktop window (see
    ecan.bridge.decode_service); not meant to be typed."""
    from ecan.bridge.decode_service import main

    return main()
