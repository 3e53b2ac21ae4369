"""`ecan gui` and `ecan selftest`."""

from __future__ import annotations

import argparse

from ecan.cli.output import Output
from ecan.errors import NotAvailable


def run(args: argparse.Namespace, out: Output) -> int:
    raise NotAvailable("The desktop window")


def selftest(args: argparse.Namespace, out: Output) -> int:
    raise NotAvailable("`ecan selftest`")
