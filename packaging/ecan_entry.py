"""PyInstaller's entry script: the same `ecan` command the venv installs."""

from ecan.cli.main import main

raise SystemExit(main())
