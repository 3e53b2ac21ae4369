"""Shared helpers for command modules."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from ecan.app import App, build_app


def open_app() -> App:
    """Build the app from the environment; a bad setting raises ConfigError (exit 2)."""
    return build_app()


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
