"""PyInstaller's entry script: the same `ecan` command the venv installs."""

import multiprocessing

if __name__ == "__main__":
    # The image workers are spawned processes: in the frozen app they start as this
    # executable, and freeze_support() turns such a start into the worker it should be.
    multiprocessing.freeze_support()
    from ecan.cli.main import main

    raise SystemExit(main())
