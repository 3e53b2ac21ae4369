"""The Linux bundle (packaging/ecan.spec) builds from this tree and its `ecan selftest` passes
offscreen: the app starts, opens its database and loads a thumbnail from the bundled resources."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_bundle_builds_and_runs_its_selftest(tmp_path: Path) -> None:
    pytest.importorskip("PyInstaller", reason="pyinstaller comes with the dev extras")
    build = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(tmp_path / "dist"), "--workpath", str(tmp_path / "build"),
         str(ROOT / "packaging" / "ecan.spec")],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert build.returncode == 0, build.stderr[-3000:]
    exe = tmp_path / "dist" / "ecan" / "ecan"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ECAN_", "AWS_"))}
    env |= {"ECAN_HOME": str(tmp_path / "home"), "QT_QPA_PLATFORM": "offscreen"}
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True, env=env)
    assert version.returncode == 0 and version.stdout.startswith("ecan ")
    # The windowed program (the Start menu's and Finder's on Windows and macOS) beside it.
    windowed = subprocess.run([str(exe.with_name("ecan-gui")), "--version"],
                              capture_output=True, text=True, env=env)
    assert windowed.returncode == 0 and windowed.stdout.startswith("ecan ")
    selftest = subprocess.run([str(exe), "selftest", "--json"], capture_output=True, text=True,
                              env=env, timeout=120)
    assert selftest.returncode == 0, selftest.stderr[-2000:]
    report = json.loads(selftest.stdout)
    assert report["ok"] and report["thumbnail_loaded"] and report["avatars"] >= 1
    # What the bundle leaves out on purpose says so instead of failing obscurely.
    demo = subprocess.run([str(exe), "demo-cloud"], capture_output=True, text=True, env=env,
                          timeout=60)
    assert demo.returncode != 0 and "needs moto" in demo.stderr
