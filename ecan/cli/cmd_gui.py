"""`ecan gui` (the desktop app), `ecan selftest` (start the app offscreen, open the database,
load a thumbnail, check the shipped icon, translation, system avatars and samples, exit 0) and
`ecan decode-service` (the window's picture decoder). Qt is imported only inside ecan.ui, on
demand."""

from __future__ import annotations

import argparse

from ecan.cli.output import Output


def run(args: argparse.Namespace, out: Output) -> int:
    from ecan.ui.launcher import run_gui

    return run_gui(files=list(args.files or []), demo_cloud=bool(args.demo_cloud),
                   screenshot=args.screenshot, quit_after=args.quit_after)


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
