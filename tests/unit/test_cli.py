from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CONTRACT_COMMANDS = ["gui", "demo-cloud", "login", "logout", "import", "sync", "status", "list",
                     "delete", "restore", "agent", "generate", "doctor", "cloud"]


def test_help_lists_every_contract_command() -> None:
    out = subprocess.run([sys.executable, "-m", "ecan", "--help"], capture_output=True,
                         text=True, check=True).stdout
    for command in CONTRACT_COMMANDS:
        assert f"    {command}" in out, command


def test_bad_config_exits_2_naming_the_key(clean_env: dict[str, str], ecan_home) -> None:
    ecan_home.mkdir(parents=True, exist_ok=True)
    (ecan_home / "auth_config.yml").write_text("STORAGE:\n  REGION: 12\n  BUKET: x\n")
    r = subprocess.run([sys.executable, "-m", "ecan", "status", "--json"], capture_output=True,
                       text=True, env=clean_env)
    assert r.returncode == 2
    assert "STORAGE.BUKET" in r.stdout and "Traceback" not in r.stderr


def test_sync_quick_exit_still_flushes_output_and_log(clean_env: dict[str, str],
                                                      ecan_home: Path) -> None:
    """`ecan sync` leaves by os._exit (run()): its JSON, exit code and log must still arrive."""
    from ecan.db import Database
    from ecan.paths import AppPaths
    from ecan.sync.testing import write_avatar

    paths = AppPaths(ecan_home).ensure()
    db = Database(paths.database)
    write_avatar(paths, db.path, seed=1)
    db.dispose()
    (ecan_home / "auth_config.yml").write_text("STORAGE:\n  BACKEND: local\n")
    r = subprocess.run([sys.executable, "-m", "ecan", "sync", "--json", "--timeout", "10"],
                       capture_output=True, text=True, env=clean_env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"synced": 1, "failed": 0, "remaining": 0, "pulled": 0,
                                    "removed": 0}
    log_text = "".join(p.read_text() for p in (ecan_home / "logs").glob("*.log"))
    assert "synced avatar" in log_text


def test_the_windowed_program_opens_files_it_is_given_in_the_app() -> None:
    """`ecan-gui` (the bundle's windowed executable) is what "Open with" starts with paths alone;
    the window's helper processes start it with their command."""
    from ecan.cli.main import build_parser, windowed_argv

    assert windowed_argv([r"C:\Users\me\Pictures\cat.png", "dog.jpg"]) == [
        "gui", r"C:\Users\me\Pictures\cat.png", "dog.jpg"]
    assert windowed_argv([]) == []
    for kept in (["sync-service"], ["decode-service"], ["gui", "a.png"], ["--version"]):
        assert windowed_argv(kept) == kept
    args = build_parser().parse_args(windowed_argv(["/tmp/a.png", "/tmp/folder"]))
    assert args.command == "gui" and args.files == ["/tmp/a.png", "/tmp/folder"]
