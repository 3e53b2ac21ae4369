"""The house style holds: ruff (lint) and mypy (disallow_untyped_defs) are clean."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    if not path.exists() and not shutil.which(name):
        pytest.skip(f"{name} is not installed (it comes with the dev extras)")
    return str(path if path.exists() else name)


def test_ruff_is_clean() -> None:
    done = subprocess.run([_tool("ruff"), "check", "ecan", "tests", "benchmarks", "scripts",
                           "packaging"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]


def test_mypy_is_clean() -> None:
    done = subprocess.run([_tool("mypy"), "ecan"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
