"""Shared helpers for command modules."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from ecan.app import App, build_app


def open_app() -> App:
    """Build the app from the environment; a bad setting raises ConfigError (exit 2)."""
    app = build_app()
    _say_if_sign_in_unreadable(app)
    return app


def _say_if_sign_in_unreadable(app: App) -> None:
    """A sign-in record that cannot be read opens the library used without an account, and
    the account's own looks gone: say so, on the terminal (the log alone is not seen)."""
    if app.paths.is_account or not app.config.cognito.configured:
        return
    record = app.paths.signed_in_file
    if not record.exists():
        return  # signed out: nothing wrong
    from ecan.accounts import read_signed_in

    if read_signed_in(app.paths) is None:
        print(f"warning: {record} cannot be read, so no account is open; sign in again "
              "(`ecan login`): your account's library is still on this computer",
              file=sys.stderr)


@contextmanager
def starting_up() -> Iterator[None]:
    """Around what a short-lived command does first (opening the app: the keyring, the HTTP
    stack, the database), which makes most of the objects its process will ever hold:
    automatic collections meanwhile walk them over and over (~5 ms of `ecan sync`'s 0.1 s
    start). Collection is off inside; on leaving, what exists is frozen out of later
    collections (it lives as long as the process) and collection resumes. `ecan gui` does the
    same for its window (ecan.ui.gc_scheduler)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.freeze()
            gc.enable()
