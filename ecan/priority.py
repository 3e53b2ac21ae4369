"""The app's background processes (the sync service, the import workers, the local demo cloud)
run below the window in the scheduler's eyes, so a busy batch never costs the user a frame."""

from __future__ import annotations

import os

BACKGROUND_NICENESS = 10


def run_in_background(*, own_session: bool = False) -> None:
    """Lower this process's CPU priority. `own_session`: it leads a session of its own (the
    demo cloud); Linux's autogroups share the CPU between sessions before `nice` is looked at,
    so that session's weight is lowered too. Not for processes in the window's session: its
    autogroup is the window's."""
    if hasattr(os, "nice"):  # not on Windows
        os.nice(BACKGROUND_NICENESS)
    if own_session:
        try:
            with open("/proc/self/autogroup", "w", encoding="ascii") as f:
                f.write(str(BACKGROUND_NICENESS))
        except OSError:  # not Linux, or autogroups are off: nice alone is what there is
            pass
