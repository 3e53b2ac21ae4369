"""How the window starts its helper processes (`ecan sync-service`, `ecan decode-service`)."""

from __future__ import annotations

import sys


def ecan_command(subcommand: str) -> list[str]:
    """The command line of `ecan <subcommand>` from this process: the frozen app is the `ecan`
    executable itself; otherwise the same interpreter runs the package."""
    if getattr(sys, "frozen", False):
        return [sys.executable, subcommand]
    return [sys.executable, "-m", "ecan", subcommand]
