"""`ecan sync`, `status` and `restore`."""

from __future__ import annotations

import argparse

from ecan.cli.output import Output
from ecan.errors import NotAvailable


def sync(args: argparse.Namespace, out: Output) -> int:
    raise NotAvailable("`ecan sync`")


def status(args: argparse.Namespace, out: Output) -> int:
    from ecan.cli.context import open_app

    open_app()
    raise NotAvailable("`ecan status`")


def restore(args: argparse.Namespace, out: Output) -> int:
    raise NotAvailable("`ecan restore`")
