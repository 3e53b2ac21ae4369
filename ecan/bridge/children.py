"""How the window starts its helper processes (`ecan sync-service`, `ecan decode-service`)."""

from __future__ import annotations

import sys
from pathlib import Path


def ecan_command(subcommand: str) -> list[str]:
    """The command line of `ecan <subcommand>` from this process: the frozen app is the `ecan`
    executable itself (its imports come from the bundle only); otherwise the same interpreter
    runs the package, with -P: `-m` would otherwise put the current folder first on the
    child's sys.path, and a `logging.py` lying there would run inside the sync service, which
    holds the user's session. (Not -I: it also drops the user's site-packages, where a
    `pip install --user` puts ecan, and PYTHONPATH, which a source checkout may use.)"""
    if getattr(sys, "frozen", False):
        return [sys.executable, subcommand]
    return [sys.executable, "-P", "-m", "ecan", subcommand]


def helper_folder() -> str:
    """The folder helpers start in: ecan's own package folder, the same wherever ecan was
    started and not one the user's downloads land in."""
    return str(Path(__file__).resolve().parent.parent)
