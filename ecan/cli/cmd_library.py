"""`ecan import`, `list`, `delete` and `agent ...`: thin clients of the avatar/agent handlers."""

from __future__ import annotations

import argparse

from ecan.cli.output import Output
from ecan.errors import NotAvailable


def import_paths(args: argparse.Namespace, out: Output) -> int:
    raise NotAvailable("`ecan import`")


def list_avatars(args: argparse.Namespace, out: Output) -> int:
    raise NotAvailable("`ecan list`")


def delete(args: argparse.Namespace, out: Output) -> int:
    raise NotAvailable("`ecan delete`")


def agent(args: argparse.Namespace, out: Output) -> int:
    raise NotAvailable("`ecan agent`")
