"""`ecan login` and `ecan logout`."""

from __future__ import annotations

import argparse
import sys

from ecan.cli.output import Output, unwrap
from ecan.errors import UserFacingError


class _UsageError(UserFacingError):
    exit_code = 2


def _read_password(from_stdin: bool) -> str:
    """From a terminal: asked for, without echo. Otherwise (or with --password-stdin): one line
    from stdin (`printf '%s\\n' "$PW" | ecan login ...`); only the line ending is removed, so
    passwords with leading or trailing spaces keep them."""
    if not from_stdin and sys.stdin.isatty():
        import getpass

        return getpass.getpass("Password: ")
    return sys.stdin.readline().rstrip("\r\n")


def login(args: argparse.Namespace, out: Output) -> int:
    from ecan.cli.context import open_app

    password = _read_password(args.password_stdin)
    if not password:
        raise _UsageError("invalid_password", "No password was given.",
                          "Type it when asked, or pipe it in: `printf '%s\\n' \"$PW\" | "
                          "ecan login --username NAME --password-stdin`.")
    app = open_app()
    restored = None
    try:
        data = unwrap(app.handlers.call("auth.sign_in",
                                        {"username": args.username, "password": password}))
        del password
        if data.get("first_sign_in_on_empty_library"):
            # First sign-in on a machine with an empty library: bring the cloud's library here.
            out.info("Restoring your library from the cloud...")
            try:
                restored = unwrap(app.handlers.call("sync.restore", {"only_if_empty": True}))
                out.info(f"Restored {restored.get('restored', 0)} avatars.")
            except UserFacingError as e:  # signed in all the same; restore can be run later
                out.info(f"warning: could not restore now: {e.message} Run `ecan restore` later.")
    finally:
        app.close()
    if not data.get("session_persisted"):
        out.info("warning: no keyring: you will need to sign in again next time; other ecan "
                 "commands will not see this sign-in. Set ECAN_ALLOW_FILE_KEYRING=1 (or "
                 "PYTHON_KEYRING_BACKEND=keyrings.alt.file.PlaintextKeyring) to keep the "
                 "session in a file.")
    out.result({"identity_id": data.get("identity_id"), "username": data.get("username"),
                "keyring": data.get("keyring"),
                "first_sign_in_on_empty_library": data.get("first_sign_in_on_empty_library"),
                "restored": restored.get("restored", 0) if restored else 0},
               f"Signed in as {data.get('username')}"
               + (f" (identity {data['identity_id']})" if data.get("identity_id") else ""))
    return 0


def logout(args: argparse.Namespace, out: Output) -> int:
    from ecan.cli.context import open_app

    app = open_app()
    try:
        unwrap(app.handlers.call("auth.sign_out"))
    finally:
        app.close()
    out.result({"signed_in": False}, "Signed out.")
    return 0
