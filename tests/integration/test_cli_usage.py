"""The command line as a person meets it: help, usage errors, import reports, agents, and
`ecan sync` interrupted with Ctrl+C or run twice at once. Each runs the real `ecan` process."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "ecan" / "assets" / "samples"


def ecan(*args: str, env: dict[str, str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ecan", *args], capture_output=True, text=True,
                          env=env, timeout=120, **kw)  # type: ignore[call-overload]


def test_help_lists_what_users_run_and_every_argument_says_what_it_is(
        clean_env: dict[str, str]) -> None:
    top = ecan("--help", env=clean_env).stdout
    for helper in ("sync-service", "decode-service", "selftest"):
        assert helper not in top
    gui = ecan("gui", "--help", env=clean_env).stdout
    assert "--json" not in gui  # it would do nothing there
    from ecan.cli.main import build_parser

    def walk(parser: object) -> list[object]:
        import argparse

        found = [parser]
        for action in parser._actions:  # type: ignore[attr-defined]
            if isinstance(action, argparse._SubParsersAction):
                for choice in action.choices.values():
                    found += walk(choice)
        return found

    for parser in walk(build_parser()):
        for action in parser._actions:  # type: ignore[attr-defined]
            if action.dest in ("help", "command", "agent_command", "version"):
                continue
            assert action.help, f"{parser.prog} {action.option_strings or action.dest}"  # type: ignore[attr-defined]


def test_a_usage_error_under_json_is_a_json_document(clean_env: dict[str, str]) -> None:
    r = ecan("list", "--bogus", "--json", env=clean_env)
    assert r.returncode == 2
    assert json.loads(r.stdout)["error"]["code"] == "usage_error"
    r = ecan("lst", env=clean_env)
    assert r.returncode == 2
    assert "there is no command 'lst'" in r.stderr and "sync-service" not in r.stderr


def test_import_reports_full_paths_new_and_existing_and_skips_what_is_not_a_picture(
        clean_env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "pictures"
    (folder / "nested").mkdir(parents=True)
    (folder / "meadow.jpg").write_bytes((SAMPLES / "meadow.jpg").read_bytes())
    (folder / "nested" / "portrait.jpg").write_bytes((SAMPLES / "portrait.jpg").read_bytes())
    (folder / "nested" / "holiday.jpg").write_bytes(b"PK\x03\x04 a zip file renamed")
    (folder / ".DS_Store").write_bytes(b"\x00\x00")
    (folder / "notes.txt").write_text("not a picture")

    first = ecan("import", str(folder / "meadow.jpg"), env=clean_env)
    assert first.returncode == 0 and "1 new" in first.stdout

    r = ecan("import", str(folder), env=clean_env)
    assert r.returncode == 1  # one refused
    assert f"refused: {folder / 'nested' / 'holiday.jpg'}" in r.stdout  # the full path
    assert "fix: Use a PNG, JPEG" in r.stdout  # says what it takes
    assert "1 new, 1 already in the library, 1 refused, 2 files skipped" in r.stdout

    as_json = json.loads(ecan("import", str(folder), "--json", env=clean_env).stdout)
    refused = [x for x in as_json["results"] if not x["ok"]]
    assert refused[0]["error"]["code"] == "unsupported_format"
    assert set(refused[0]["error"]) == {"code", "message", "hint"}
    assert as_json["existing"] == 2 and as_json["new"] == 0

    empty = tmp_path / "empty"
    empty.mkdir()
    r = ecan("import", str(empty), env=clean_env)
    assert r.returncode == 1 and "nothing to import: no pictures or videos in" in r.stdout


def test_agents_can_be_deleted_and_their_avatar_cleared(clean_env: dict[str, str]) -> None:
    data = json.loads(ecan("import", str(SAMPLES / "meadow.jpg"), "--json", env=clean_env).stdout)
    avatar = data["results"][0]["avatar_id"]
    assert ecan("agent", "save", "Scout", "--avatar", avatar, env=clean_env).returncode == 0
    cleared = json.loads(ecan("agent", "save", "Scout", "--no-avatar", "--json",
                              env=clean_env).stdout)
    assert cleared["agents"][0]["avatar_id"] is None
    # The avatar is free again: it can be deleted now.
    assert ecan("delete", avatar, env=clean_env).returncode == 0
    gone = ecan("agent", "delete", "Scout", "--json", env=clean_env)
    assert gone.returncode == 0 and json.loads(gone.stdout)["deleted"]
    assert json.loads(ecan("agent", "list", "--json", env=clean_env).stdout)["agents"] == []
    missing = ecan("agent", "delete", "Scout", env=clean_env)
    assert missing.returncode == 1 and "no agent named 'Scout'" in missing.stderr


def _library_with_slow_uploads(clean_env: dict[str, str], count: int) -> Path:
    from ecan.db import Database
    from ecan.paths import AppPaths
    from ecan.sync.testing import write_avatar

    home = Path(clean_env["ECAN_HOME"])
    paths = AppPaths(home).ensure()
    db = Database(paths.database)
    for seed in range(count):
        write_avatar(paths, db.path, seed=seed, original=os.urandom(96_000))
    db.dispose()
    # A slow link: each avatar takes about a second to upload.
    (home / "auth_config.yml").write_text(
        "STORAGE:\n  BACKEND: local\nSYNC:\n  BANDWIDTH_LIMIT_KBPS: 100\n  CONCURRENCY: 2\n")
    return paths.database


def _states(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT sync_state, COUNT(*) FROM avatar "
                                 "WHERE resource_type != 'system' GROUP BY sync_state"))


def _wait_for(condition: object, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def _ctrl_c_heard() -> None:
    # A suite started in the background (`cmd &` in a script) passes SIGINT on ignored, and
    # Python then installs no KeyboardInterrupt: the child hears Ctrl+C as a terminal's would.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX here")
def test_ctrl_c_during_sync_gives_the_claims_back_and_says_what_waits(
        clean_env: dict[str, str]) -> None:
    db = _library_with_slow_uploads(clean_env, 6)
    proc = subprocess.Popen([sys.executable, "-m", "ecan", "sync"], env=clean_env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=_ctrl_c_heard)
    try:
        _wait_for(lambda: _states(db).get("syncing", 0) > 0)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted:" in err and "still waiting" in err
    assert "Traceback" not in err
    states = _states(db)
    assert states.get("syncing", 0) == 0, states  # nothing left claimed by a gone process
    assert states.get("queued", 0) > 0
    # And the next run finishes the job.
    done = ecan("sync", "--json", env=clean_env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["remaining"] == 0


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX here")
def test_ctrl_c_counts_what_reached_the_cloud_before_it(clean_env: dict[str, str]) -> None:
    """The summary after Ctrl+C counts the avatars synced before and during the stop, and
    matches the library, which is closed only once the engine has stopped. (Before, a join
    interrupted by Ctrl+C let every later join return at once: the summary said 0 synced while
    the engine was still recording them.)"""
    db = _library_with_slow_uploads(clean_env, 6)
    proc = subprocess.Popen([sys.executable, "-m", "ecan", "sync", "--json"], env=clean_env,
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=_ctrl_c_heard)
    try:
        _wait_for(lambda: _states(db).get("synced", 0) >= 1)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    summary, states = json.loads(out), _states(db)
    assert summary["synced"] == states["synced"] >= 1, (summary, states, err)
    assert summary["remaining"] == states.get("queued", 0) > 0, (summary, states)
    assert "Traceback" not in err and "closed" not in err


def test_two_syncs_at_once_both_end_with_the_true_state(clean_env: dict[str, str]) -> None:
    db = _library_with_slow_uploads(clean_env, 4)
    first = subprocess.Popen([sys.executable, "-m", "ecan", "sync", "--json"], env=clean_env,
                             text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for(lambda: _states(db).get("syncing", 0) > 0)
        second = ecan("sync", "--json", env=clean_env)
        out, err = first.communicate(timeout=120)
    finally:
        first.kill()
    assert first.returncode == 0, err
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["remaining"] == 0
    assert _states(db) == {"synced": 4}


def test_the_window_without_a_display_says_so_instead_of_aborting(
        clean_env: dict[str, str]) -> None:
    env = {k: v for k, v in clean_env.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    for argv in (["gui"], []):
        r = ecan(*argv, env=env)
        assert r.returncode == 2, r.stderr
        assert "no display found" in r.stderr and "xvfb-run" in r.stderr
        assert "Aborted" not in r.stderr and "qt.qpa" not in r.stderr


def test_ecan_home_on_a_file_is_named_not_a_traceback(clean_env: dict[str, str],
                                                      tmp_path: Path) -> None:
    afile = tmp_path / "not-a-folder"
    afile.write_text("x")
    r = ecan("status", env={**clean_env, "ECAN_HOME": str(afile)})
    assert r.returncode == 2
    assert f"ECAN_HOME: {afile} is a file, not a folder" in r.stderr
    assert "Traceback" not in r.stderr and "FileExistsError" not in r.stderr


def test_offline_clears_in_status_once_the_cloud_answers_again(clean_env: dict[str, str]
                                                              ) -> None:
    db = _library_with_slow_uploads(clean_env, 1)
    (Path(clean_env["ECAN_HOME"]) / "auth_config.yml").write_text("STORAGE:\n  BACKEND: local\n")
    with sqlite3.connect(db) as conn:  # what an engine saw during an outage
        conn.execute("INSERT INTO setting (key, value) VALUES ('sync.online', '0') "
                     "ON CONFLICT(key) DO UPDATE SET value = excluded.value")
    assert json.loads(ecan("status", "--json", env=clean_env).stdout)["online"] is False
    assert ecan("sync", env=clean_env).returncode == 0
    assert json.loads(ecan("status", "--json", env=clean_env).stdout)["online"] is True
