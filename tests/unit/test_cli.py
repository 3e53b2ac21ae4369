from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

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


def test_a_command_line_builds_only_the_parser_of_its_command(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Making all ~40 parsers (argparse formats and looks up a translation of every text) cost
    each `ecan sync` ~10 ms of its start; only the typed command's is made now, and it parses,
    refuses and explains exactly as the whole command line does."""
    import argparse

    from ecan.cli import main as cli

    made: list[str] = []
    real_init = argparse.ArgumentParser.__init__

    def counting_init(self: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        made.append(self.prog)

    monkeypatch.setattr(argparse.ArgumentParser, "__init__", counting_init)
    monkeypatch.setattr("sys.stdout", io.StringIO())  # --json usage errors print a document
    assert cli.main(["sync", "--timeout", "x", "--json"]) == 2
    assert [p for p in made if p.startswith("ecan ")] == ["ecan sync"]
    monkeypatch.undo()

    lines = [["sync", "--json", "--timeout", "5", "--retry-failed"], ["sync", "--pause", "2h"],
             ["agent", "save", "Alpha", "--avatar", "a1"], ["mfa", "setup", "--png", "q.png"],
             ["cloud", "deploy", "--help"], ["import", "a.png", "b"], ["gui"], ["sync", "-h"],
             ["sync", "--pause", "1h", "--resume"], ["export", "x", "--to"], ["status", "x"]]
    for line in lines:
        answers = []
        for parser in (cli.build_parser(), cli.build_parser(line[0])):
            out = io.StringIO()
            monkeypatch.setattr("sys.stdout", out)
            try:
                answers.append(vars(parser.parse_args(line)))
            except (SystemExit, cli._UsageError) as e:
                answers.append({"refused": str(e), "printed": out.getvalue()})
            monkeypatch.undo()
        assert answers[0] == answers[1], line


def test_a_command_starts_up_without_collections_then_collects_again() -> None:
    """starting_up(): no automatic collection while a command opens its app; then what exists
    is frozen out of later collections and collection resumes. Where collection was off
    already (the window schedules its own), it stays off. (A child process: freezing would
    keep this test process's objects for good.)"""
    code = """if True:
        import gc, json
        from ecan.cli.context import starting_up
        seen = []
        with starting_up():
            seen.append(gc.isenabled())
            kept = [[i] for i in range(1000)]
        seen += [gc.isenabled(), gc.get_freeze_count() > 1000]
        gc.unfreeze()
        gc.disable()
        with starting_up():
            pass
        seen += [gc.isenabled(), gc.get_freeze_count()]
        print(json.dumps(seen))
    """
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(out) == [False, True, True, False, 0]


def test_ctrl_c_in_the_pull_stops_without_waiting_out_the_cloud(
        clean_env: dict[str, str], ecan_home: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Ctrl+C while `ecan sync` pulls: it stops now, and closing gives what is still under way
    (answers asked ahead, from a cloud that may have gone quiet) a short grace, not forever."""
    from ecan.cli.cmd_sync import STOP_GRACE_S
    from ecan.cli.main import main
    from ecan.db import Database
    from ecan.paths import AppPaths
    from ecan.sync.engine import SyncEngine
    from ecan.sync.testing import write_avatar

    paths = AppPaths(ecan_home).ensure()
    db = Database(paths.database)
    write_avatar(paths, db.path, seed=1)
    db.dispose()
    (ecan_home / "auth_config.yml").write_text("STORAGE:\n  BACKEND: local\n")
    waits: list[float | None] = []
    real_close = SyncEngine.close

    def pull_now(self: SyncEngine, *args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    def close(self: SyncEngine, wait_s: float | None = None) -> None:
        waits.append(wait_s)
        real_close(self, wait_s)

    monkeypatch.setattr(SyncEngine, "pull_now", pull_now)
    monkeypatch.setattr(SyncEngine, "close", close)
    assert main(["sync", "--json"]) == 130
    assert waits == [STOP_GRACE_S]
    capsys.readouterr()
