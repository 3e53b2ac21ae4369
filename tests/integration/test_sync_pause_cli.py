"""`ecan sync --pause [DURATION]` / `--resume` as a user runs them, on a real library synced to
a folder: the pause is saved in the library, `ecan status` shows it with its end, a sync while
paused uploads nothing, and resuming uploads."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from ecan.db import Database
from ecan.paths import AppPaths
from ecan.sync.testing import write_avatar


def ecan(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ecan", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def uploaded(cloud: Path) -> list[Path]:
    """The user's own originals in the folder the library syncs to."""
    return [p for p in cloud.rglob("*_original.*") if p.is_file() and "shared" not in p.parts]


def test_pause_for_an_hour_then_resume_from_the_command_line(
        clean_env: dict[str, str], ecan_home: Path, tmp_path: Path) -> None:
    paths = AppPaths(ecan_home).ensure()
    db = Database(paths.database)
    write_avatar(paths, db.path, seed=1)
    db.dispose()
    cloud = tmp_path / "cloud"
    (ecan_home / "auth_config.yml").write_text(
        f"STORAGE:\n  BACKEND: local\n  LOCAL_PATH: {cloud}\n")

    before = time.time()
    r = ecan(clean_env, "sync", "--pause", "1h", "--json")
    assert r.returncode == 0, r.stderr
    paused = json.loads(r.stdout)
    assert paused["paused"] is True
    assert before + 3590 <= paused["until"] <= time.time() + 3610

    status = json.loads(ecan(clean_env, "status", "--json").stdout)
    assert status["paused"] is True and status["paused_until"] == paused["until"]
    assert "paused until " in ecan(clean_env, "status").stdout

    r = ecan(clean_env, "sync", "--json", "--timeout", "10")
    assert json.loads(r.stdout)["synced"] == 0 and json.loads(r.stdout)["remaining"] == 1
    assert "paused until" in r.stderr and uploaded(cloud) == []

    r = ecan(clean_env, "sync", "--resume", "--json")
    assert r.returncode == 0 and json.loads(r.stdout) == {"paused": False, "until": None}
    assert json.loads(ecan(clean_env, "status", "--json").stdout)["paused"] is False
    r = ecan(clean_env, "sync", "--json", "--timeout", "20")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["synced"] == 1 and uploaded(cloud)


def test_pause_without_a_duration_lasts_until_resumed_and_a_bad_one_is_a_usage_error(
        clean_env: dict[str, str], ecan_home: Path) -> None:
    r = ecan(clean_env, "sync", "--pause", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"paused": True, "until": None}
    r = ecan(clean_env, "sync", "--pause")
    assert "until you resume it" in r.stdout + r.stderr
    r = ecan(clean_env, "sync", "--pause", "soon", "--json")
    assert r.returncode == 2
    assert json.loads(r.stdout)["error"]["code"] == "invalid_duration"
    assert "30m" in r.stdout  # the hint shows what a duration looks like
