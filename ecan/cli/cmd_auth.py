"""`ecan login` and `ecan logout`."""

from __future__ import annotations

import argparse

from ecan.cli.output import Output
from ecan.errors import NotAvailable


def login(args: argparse.Namespace, out: Output) -> int:
    raise NotAvailable("`ecan login`")


def logout(args: argparse.Namespace, out: Output) -> int:
    raise NotAvailable("`ecan logout`")
