"""scripts/setup.sh never half-succeeds: a failed install fails the set-up with pip's error, leaves
no stamp of a complete install, and a half-made .venv is rebuilt rather than reused. Every set-up
also leaves ecan byte-compiled."""

from __future__ import annotations

import hashlib
import importlib.util
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


def test_every_set_up_byte_compiles_ecan_so_no_start_compiles_it_again(tmp_path: Path) -> None:
    """ecan is installed editable, so pip compiles none of it: set-up does, also when the
    install is already complete (after a pull), since PYTHONDONTWRITEBYTECODE or a read-only
    checkout would otherwise make every command compile what it imports."""
    lock = "# nothing to install\n"
    repo = _checkout(tmp_path, lock)
    module = repo / "ecan" / "__init__.py"
    module.parent.mkdir()
    module.write_text("VALUE = 1\n")
    python = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([python, "-m", "venv", "--without-pip", str(repo / ".venv")], check=True,
                   timeout=120)
    # The stamp of a complete install of this very checkout, as setup.sh fingerprints it.
    version = subprocess.run([python, "-c", "import sys; print(sys.version)"], check=True,
                             capture_output=True, text=True).stdout
    fingerprint = hashlib.sha256((repo / "pyproject.toml").read_bytes() + lock.encode() * 2
                                 + version.encode()).hexdigest()
    (repo / ".venv" / ".ecan-installed").write_text(f"{fingerprint} app\n")
    compiled = Path(importlib.util.cache_from_source(str(module)))

    done = _setup(repo)

    assert done.returncode == 0, done.stderr
    assert "installing" not in done.stderr  # the complete install was kept
    assert _compiled_source_size(compiled) == module.stat().st_size

    module.write_text("VALUE = 2  # edited: a pull changed the source\n")
    later = module.stat().st_mtime + 5  # compileall tells by the second
    os.utime(module, (later, later))
    done = _setup(repo)

    assert done.returncode == 0, done.stderr
    assert _compiled_source_size(compiled) == module.stat().st_size


def _compiled_source_size(pyc: Path) -> int:
    """The size of the source a .pyc was compiled from (its header: magic, flags, mtime, size)."""
    return int.from_bytes(pyc.read_bytes()[12:16], "little")
