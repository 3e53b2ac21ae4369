"""`ecan doctor`."""

from __future__ import annotations

import argparse

from ecan.cli.output import Output
from ecan.errors import NotAvailable


def run(args: argparse.Namespace, out: Output) -> int:
    raise NotAvailable("`ecan doctor`")
