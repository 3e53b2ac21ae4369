"""`ecan` entry point: parses arguments and dispatches to the command modules, imported lazily so
that a quick command (`ecan sync` with nothing to do) pays for nothing it does not use."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn, cast

from ecan import __version__
from ecan.cli.output import Output
from ecan.errors import UserFacingError

log = logging.getLogger(__name__)

# Commands whose process may end with os._exit once output and logs are flushed: they leave no
# thread, child process or temp file for an exit handler, and the interpreter's own teardown
# (collecting boto3's many objects) would slow every `ecan sync` down for nothing.
_QUICK_EXIT = frozenset({"sync"})

# command -> "module:function"; each function takes (args, out) and returns the exit code.
COMMANDS: dict[str, str] = {
    "gui": "ecan.cli.cmd_gui:run",
    "demo-cloud": "ecan.cli.cmd_democloud:run",
    "login": "ecan.cli.cmd_auth:login",
    "logout": "ecan.cli.cmd_auth:logout",
    "signup": "ecan.cli.cmd_auth:signup",
    "confirm": "ecan.cli.cmd_auth:confirm",
    "resend-code": "ecan.cli.cmd_auth:resend_code",
    "forgot-password": "ecan.cli.cmd_auth:forgot_password",
    "reset-password": "ecan.cli.cmd_auth:reset_password",
    "mfa": "ecan.cli.cmd_auth:mfa",
    "import": "ecan.cli.cmd_library:import_paths",
    "list": "ecan.cli.cmd_library:list_avatars",
    "delete": "ecan.cli.cmd_library:delete",
    "link": "ecan.cli.cmd_library:link",
    "export": "ecan.cli.cmd_library:export",
    "edit": "ecan.cli.cmd_library:edit",
    "trash": "ecan.cli.cmd_library:trash",
    "undelete": "ecan.cli.cmd_library:undelete",
    "agent": "ecan.cli.cmd_library:agent",
    "sync": "ecan.cli.cmd_sync:sync",
    "status": "ecan.cli.cmd_sync:status",
    "restore": "ecan.cli.cmd_sync:restore",
    "sync-service": "ecan.cli.cmd_sync:service",
    "decode-service": "ecan.cli.cmd_gui:decode_service",
    "generate": "ecan.cli.cmd_generate:run",
    "doctor": "ecan.cli.cmd_doctor:run",
    "cloud": "ecan.cli.cmd_cloud:run",
    "selftest": "ecan.cli.cmd_gui:selftest",
}


class _UsageError(UserFacingError):
    exit_code = 2


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing and exiting, so a usage error is reported like
    every other error: one line and a hint, or a JSON document under --json (exit 2)."""

    def error(self, message: str) -> NoReturn:
        # argparse lists every choice, hidden helper commands included: name only the typo.
        choice = re.match(r"argument (\w+): invalid choice: ('.*?')", message)
        if choice:
            what = "command" if choice[1] == "COMMAND" else "action"
            message = f"there is no {what} {choice[2]}"
        raise _UsageError("usage_error", f"{self.prog}: {message}",
                          f"See `{self.prog} --help` for what it takes.")


class _Skipped:
    """What build_parser hands out, when told the command, for every other command's parser:
    it takes their definitions and keeps none. Parsing `ecan sync ...` needs only the sync
    parser; making all ~40 (argparse formats and looks up a translation of each one's texts)
    cost every command ~10 ms of its start."""

    def __getattr__(self, name: str) -> Any:
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with `command` (the first word typed, one of COMMANDS), only
    what parsing that command needs: the same answers, errors and --help for it."""
    common = _Parser(add_help=False)
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print one JSON document on stdout")
    p = _Parser(
        prog="ecan", parents=[common],
        description="ecan: your avatar library, local first, synced to your own cloud.")
    p.add_argument("--version", action="version", version=f"ecan {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help: str, json: bool = True) -> argparse.ArgumentParser:
        if command is not None and name != command:
            return cast(argparse.ArgumentParser, _Skipped())
        return sub.add_parser(name, parents=[common] if json else [], help=help,
                              description=help)

    def hidden(name: str, description: str, json: bool = False) -> argparse.ArgumentParser:
        if command is not None and name != command:
            return cast(argparse.ArgumentParser, _Skipped())
        # No `help=`: argparse then leaves it out of `ecan --help` (helper processes' commands).
        return sub.add_parser(name, parents=[common] if json else [], description=description)

    g = add("gui", "open the desktop app (the default)", json=False)
    g.add_argument("files", nargs="*", metavar="FILE",
                   help="pictures, videos or folders to import (\"Open with ecan\"); "
                        "a running ecan is handed them")
    g.add_argument("--demo-cloud", action="store_true",
                   help="start the local demo cloud in-process and sign in its demo user")
    g.add_argument("--screenshot", metavar="PNG", help="save the main window once it has settled")
    g.add_argument("--quit-after", metavar="S", type=float, help="close the app after S seconds")

    d = add("demo-cloud", "run the local cloud (Cognito + S3 on a moto server, in memory) "
                          "until Ctrl+C")
    d.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    d.add_argument("--write-config", metavar="PATH", help="write an auth_config.yml pointing at it")

    lg = add("login", "sign in (opens your account's library on this computer)")
    lg.add_argument("--username", help="your user name (or email)")
    lg.add_argument("--password-stdin", action="store_true",
                    help="read the password (and any new password or code the sign-in asks "
                         "for, one per line) from standard input; without it, a terminal asks "
                         "without echo")
    lg.add_argument("--browser", action="store_true",
                    help="sign in on the pool's sign-in page in your browser (COGNITO.DOMAIN; "
                         "also Google or SAML sign-in where the pool offers them)")
    lg.add_argument("--timeout", type=float, default=300.0, metavar="S",
                    help="with --browser: how long to wait for the browser (default 300)")
    lg.add_argument("--move-local", action="store_true",
                    help="move the avatars used on this computer without an account into "
                         "this account (they then sync under it)")
    lg.add_argument("--keep-local", action="store_true",
                    help="leave them in the library used without an account (and stop asking)")
    add("logout", "sign out and forget the session on this machine (your library stays on "
                  "disk, hidden until you sign in again)")
    su = add("signup", "create an account (a code is e-mailed to confirm it)")
    su.add_argument("--username", required=True, help="the user name to create")
    su.add_argument("--email", required=True, help="where the confirmation code goes")
    su.add_argument("--password-stdin", action="store_true",
                    help="read the password from standard input")
    co = add("confirm", "confirm a new account with the code it was sent")
    co.add_argument("--username", required=True, help="your user name")
    co.add_argument("--code", required=True, help="the code from the e-mail")
    rc = add("resend-code", "send the confirmation code again")
    rc.add_argument("--username", required=True, help="your user name")
    fp = add("forgot-password", "send a code to set a new password")
    fp.add_argument("--username", required=True, help="your user name")
    rp = add("reset-password", "set a new password with the code from forgot-password")
    rp.add_argument("--username", required=True, help="your user name")
    rp.add_argument("--code", required=True, help="the code you were sent")
    rp.add_argument("--password-stdin", action="store_true",
                    help="read the new password from standard input")
    mf = add("mfa", "second factor for the signed-in account")
    mf_sub = mf.add_subparsers(dest="mfa_command", metavar="ACTION", required=True,
                               help="setup: turn on an authenticator app")
    ms = mf_sub.add_parser("setup", parents=[common],
                           help="turn on an authenticator app (shows a QR code, asks its code)")
    ms.add_argument("--png", metavar="FILE", help="write the QR code to FILE (PNG)")
    ms.add_argument("--code-stdin", action="store_true",
                    help="read the app's code from standard input")

    im = add("import", "import pictures (HEIC too), videos (MP4, WebM: a video avatar with a "
                       "poster frame) or folders of them (recursively)")
    im.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    add("list", "list the library")
    de = add("delete", "delete an avatar here and, through the outbox, in the cloud")
    de.add_argument("id", metavar="ID", help="the avatar's id (see `ecan list`)")

    add("trash", "deleted avatars, kept 30 days")
    ud = add("undelete", "bring an avatar back from the trash, on every machine")
    ud.add_argument("id", metavar="ID", help="the avatar's id (see `ecan trash`)")

    ed = add("edit", "change an avatar's name, tags or description (every machine follows)")
    ed.add_argument("id", metavar="ID", help="the avatar's id (see `ecan list`)")
    ed.add_argument("--name", metavar="N", help="its new name")
    ed.add_argument("--tags", metavar="T,...",
                    help="its tags, comma-separated, replacing the old ones (\"\" clears them)")
    ed.add_argument("--description", metavar="D", help="its new description (\"\" clears it)")
    li = add("link", "print a private, time-limited link to an avatar's original in the cloud")
    li.add_argument("id", metavar="ID", help="the avatar's id (see `ecan list`)")
    li.add_argument("--expires", type=int, default=3600, metavar="S",
                    help="seconds the link works (default: 3600, at most 604800: 7 days)")

    ex = add("export", "save copies of avatars' originals (byte for byte) to a file or a folder")
    ex.add_argument("ids", nargs="+", metavar="ID", help="the avatars' ids (see `ecan list`)")
    ex.add_argument("--to", metavar="PATH",
                    help="one ID: the file to write, or a folder; several: a folder (made if "
                         "needed), each avatar named after itself (default: this folder)")
    ex.add_argument("--force", action="store_true", help="replace files that exist")
    ex.add_argument("--video", action="store_true",
                    help="a video avatar's video instead of its picture")

    ag = add("agent", "agents and their avatars")
    ag_sub = ag.add_subparsers(dest="agent_command", metavar="ACTION", required=True)
    ag_sub.add_parser("list", parents=[common], help="list agents")
    ags = ag_sub.add_parser("save", parents=[common], help="create the agent NAME, or update it")
    ags.add_argument("name", metavar="NAME", help="the agent's name")
    avatar = ags.add_mutually_exclusive_group()
    avatar.add_argument("--avatar", metavar="ID", help="the avatar's id (see `ecan list`)")
    avatar.add_argument("--no-avatar", action="store_true", help="clear the agent's avatar")
    ags.add_argument("--description", default=None, metavar="TEXT",
                     help="what the agent does")
    agd = ag_sub.add_parser("delete", parents=[common], help="delete an agent (its avatar stays)")
    agd.add_argument("name", metavar="NAME", help="the agent's name")
    agg = ag_sub.add_parser("get", parents=[common],
                            help="one agent with what its runtime needs of its avatar (files, "
                                 "URL)")
    agg.add_argument("name", metavar="NAME", help="the agent's name")

    sy = add("sync", "upload what waits, once, with progress on stderr")
    sy.add_argument("--timeout", type=float, default=None, metavar="S",
                    help="give up waiting after S seconds (default: wait while progress is made)")
    sy.add_argument("--retry-failed", action="store_true",
                    help="queue the avatars that failed again before syncing")
    pause = sy.add_mutually_exclusive_group()
    pause.add_argument("--pause", nargs="?", const="", default=None, metavar="DURATION",
                       help="pause syncing instead (this computer's app too): for DURATION "
                            "(30m, 1h, 2h30m, tomorrow = until 08:00), or until --resume")
    pause.add_argument("--resume", action="store_true", help="resume a paused sync instead")
    add("status", "where the library stands")
    add("restore", "pull the signed-in identity's library from the cloud onto this machine")
    hidden("sync-service", "the desktop app's sync process (JSON lines on stdin/stdout)")
    hidden("decode-service", "the desktop app's picture decoder (requests on stdin, pixels out)")

    ge = add("generate", "make an AI avatar from a photo and a request; `generate history` and "
                         "`generate stats` show past generations")
    ge.add_argument("action", nargs="?", choices=("history", "stats"), metavar="history|stats",
                    help="instead of generating: list past generation tasks, or their totals "
                         "(tasks, images, credits, time)")
    ge.add_argument("--image", metavar="F", help="the photo to start from")
    ge.add_argument("--prompt", metavar="TEXT", help="what you want")
    ge.add_argument("--limit", type=int, default=50, metavar="N",
                    help="with history: the newest N tasks (default 50, at most 1000)")
    ge.add_argument("--candidates", type=int, default=1, metavar="N",
                    help="draw 1-4 candidates in one run (default 1)")
    ge.add_argument("--keep", default=None, metavar="I,J",
                    help="with --candidates: which to keep, counted from 1 (default: all)")
    ge.add_argument("--preset", default=None, metavar="NAME",
                    help="a style: flat, clay, pixel, watercolour or anime")

    add("doctor", "check config, sign-in, credentials and bucket access")
    if command in (None, "cloud"):
        from ecan.cli.cmd_cloud import add_arguments as cloud_arguments  # argparse only: cheap

        cloud_arguments(add("cloud", "the operator's side: deploy the cloud ecan needs, add "
                                     "users, tear it down", json=False), common)
    hidden("selftest", "start the app offscreen, open the database, load a thumbnail, check "
                       "the shipped files, exit", json=True)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
    try:
        args = parser.parse_args(argv)
    except _UsageError as e:
        # Whether --json was asked for is known only from the words typed.
        Output(json_mode="--json" in argv).error(e)
        return e.exit_code
    if not hasattr(args, "json"):
        args.json = False
    out = Output(json_mode=args.json)
    command = args.command or "gui"
    if args.command is None:  # bare `ecan` opens the app
        args = parser.parse_args(["gui"])
        args.json = False
    module_name, func_name = COMMANDS[command].split(":")
    try:
        func = getattr(importlib.import_module(module_name), func_name)
        return int(func(args, out))
    except UserFacingError as e:
        out.error(e)
        return e.exit_code
    except KeyboardInterrupt:
        out.info("interrupted")
        return 130
    except Exception as e:  # a bug: the traceback goes to the log, the user gets one line
        log.exception("ecan %s failed", command)
        out.error(UserFacingError(
            "internal_error", f"ecan {command} hit a bug ({type(e).__name__}).",
            "Details are in the log under $ECAN_HOME/logs/ecan.log."))
        return 1


def windowed_argv(argv: Sequence[str]) -> list[str]:
    """The command line for the bundle's windowed executable (`ecan-gui`): started with files
    alone (Explorer's or Finder's "Open with"), it means `ecan gui FILE...`; a command (the
    window's helper processes run as this executable) or an option is kept as it is."""
    args = list(argv)
    if args and args[0] not in COMMANDS and not args[0].startswith("-"):
        return ["gui", *args]
    return args


def run() -> None:
    """The process entry point (the `ecan` script and `python -m ecan`); main() is the one tests
    call in-process."""
    code = main()
    command = next((a for a in sys.argv[1:] if not a.startswith("-")), None)
    if command in _QUICK_EXIT:
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe: nothing more to say anyway
                pass
        os._exit(code)
    raise SystemExit(code)
