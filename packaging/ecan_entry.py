"""PyInstaller's entry script for both executables of the bundle: `ecan` (console: the command
line) and `ecan-gui` (windowed: the Start menu, Finder and "Open with" start it, and the window's
helper processes run as it, so none of them opens a console window)."""

import multiprocessing
import os
import sys
from pathlib import Path

if __name__ == "__main__":
    # A windowed program has no console: Python leaves sys.stdout/sys.stderr None there, and the
    # first message printed would raise. A helper started with pipes gets real streams.
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))
    # The image workers are spawned processes: in the frozen app they start as this
    # executable, and freeze_support() turns such a start into the worker it should be.
    multiprocessing.freeze_support()
    from ecan.cli.main import main, windowed_argv

    if Path(sys.executable).stem.lower() == "ecan-gui":
        raise SystemExit(main(windowed_argv(sys.argv[1:])))
    raise SystemExit(main())
