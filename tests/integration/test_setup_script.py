"""scripts/setup.sh never half-succeeds: a failed install fails the set-up with pip's error, leaves
no stamp of a complete install, and a half-made .venv is rebuilt rather than reused."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _checkout(tmp_path: Path, lock: str) -> Path:
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    (repo / "requirements").mkdir()
    shutil.copy(ROOT / "scripts" / "setup.sh", repo / "scripts" / "setup.sh")
    shutil.copy(ROOT / "pyproject.toml", repo / "pyproject.toml")
    (repo / "requirements" / "app.txt").write_text(lock)
    (repo / "requirements" / "dev.txt").write_text(lock)
    return repo


def _setup(repo: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIRTUAL_ENV")}
    env["PYTHON"] = getattr(sys, "_base_executable", sys.executable)
    return subprocess.run(["bash", "scripts/setup.sh", "app"], cwd=repo, env=env, text=True,
                          capture_output=True, timeout=600)


def test_a_failed_install_fails_the_set_up_and_a_half_made_venv_is_rebuilt(tmp_path: Path
                                                                            ) -> None:
    # A lock whose hash does not match what the registry serves: pip refuses it.
    bad = "six==1.16.0 \\\n    --hash=sha256:" + "0" * 64 + "\n"
    repo = _checkout(tmp_path, bad)
    # A .venv left behind by an interrupted install: a python, no stamp.
    subprocess.run([getattr(sys, "_base_executable", sys.executable), "-m", "venv",
                    "--without-pip", str(repo / ".venv")], check=True, timeout=120)
    marker = repo / ".venv" / "left-over"
    marker.write_text("from the interrupted install")

    done = _setup(repo)

    assert done.returncode != 0, done.stderr
    assert "rebuilding .venv" in done.stderr
    assert not marker.exists()  # the half-made venv was not reused
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in done.stderr  # pip's own error gets through
    assert "installing requirements/app.txt failed" in done.stderr
    assert not (repo / ".venv" / ".ecan-installed").exists()
