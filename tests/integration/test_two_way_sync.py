"""The same library on every machine: machines signed in as one user exchange imports, edits,
deletions and agents through the cloud's change journal (`ecan sync` pushes, then pulls)."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from ecan.cli.main import main


class Machines:
    """Several ECAN_HOMEs signed in as the same demo user, driven through the CLI."""

    def __init__(self, cloud: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 capsys: pytest.CaptureFixture[str]) -> None:
        self.cloud, self.tmp, self.mp, self.capsys = cloud, tmp_path, monkeypatch, capsys
        self.user = cloud.info.users[0]
        monkeypatch.setenv("ECAN_CONFIG", str(cloud.write_config(tmp_path / "cloud.yml")))
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
        self.pictures = 0

    def on(self, machine: str) -> Machines:
        self.mp.setenv("ECAN_HOME", str(self.tmp / machine))
        self.mp.setenv("XDG_DATA_HOME", str(self.tmp / f"keyring-{machine}"))
        return self

    def cli(self, *args: str) -> tuple[int, Any, str]:
        code = main([*args, "--json"])
        captured = self.capsys.readouterr()
        lines = captured.out.strip().splitlines()
        return code, json.loads(lines[-1]) if lines else None, captured.err

    def login(self, machine: str) -> None:
        self.on(machine)
        self.mp.setattr("sys.stdin", io.StringIO(self.user.password + "\n"))
        assert self.cli("login", "--username", self.user.username, "--password-stdin")[0] == 0

    def sync(self, machine: str) -> dict[str, Any]:
        code, data, _ = self.on(machine).cli("sync")
        assert code == 0, data
        return dict(data)

    def new_picture(self, machine: str) -> str:
        self.pictures += 1
        path = self.tmp / f"pic{self.pictures}.png"
        Image.new("RGB", (64 + self.pictures, 48), (self.pictures * 37 % 256, 90, 140)).save(path)
        code, data, _ = self.on(machine).cli("import", str(path))
        assert code == 0
        return str(data["results"][0]["avatar_id"])

    def avatars(self, machine: str) -> dict[str, dict[str, Any]]:
        """sha256 -> avatar, the user's own ones."""
        _, data, _ = self.on(machine).cli("list")
        return {a["sha256"]: a for a in data["avatars"] if a["resource_type"] != "system"}

    def agents(self, machine: str) -> dict[str, str | None]:
        _, data, _ = self.on(machine).cli("agent", "list")
        shas = {a["id"]: a["sha256"] for a in self.on(machine).cli("list")[1]["avatars"]}
        return {a["name"]: shas.get(a["avatar_id"]) for a in data["agents"]}

    def names(self, machine: str) -> dict[str, str]:
        return {sha: a["name"] for sha, a in self.avatars(machine).items()}


@pytest.fixture
def machines(make_demo_cloud: Callable[..., Any], clean_env: dict[str, str], tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Machines:
    m = Machines(make_demo_cloud(), tmp_path, monkeypatch, capsys)
    for name in ("a", "b", "c"):
        m.login(name)
    return m


def test_imports_edits_deletes_and_agents_reach_the_other_machine(machines: Machines) -> None:
    m = machines
    first = m.new_picture("a")
    assert m.sync("a")["synced"] == 1
    pulled = m.sync("b")
    assert pulled["pulled"] == 1 and pulled["removed"] == 0
    sha = next(iter(m.avatars("a")))
    assert set(m.avatars("b")) == {sha}

    # A rename on B shows on A.
    on_b = m.avatars("b")[sha]["id"]
    assert m.on("b").cli("edit", on_b, "--name", "Renamed on B", "--tags", "x,y")[0] == 0
    m.sync("b")
    assert m.sync("a")["pulled"] == 1
    assert m.names("a") == {sha: "Renamed on B"}
    assert m.avatars("a")[sha]["tags"] == ["x", "y"]  # (as `ecan list --json` shows them)

    # Nothing new: nothing pulled.
    assert m.sync("a")["pulled"] == 0

    # A deletes it: B loses it from the list and finds it in its trash.
    assert m.on("a").cli("delete", first)[0] == 0
    m.sync("a")
    result = m.sync("b")
    assert result["removed"] == 1
    assert m.avatars("b") == {}
    _, trash, _ = m.on("b").cli("trash")
    assert [a["sha256"] for a in trash["avatars"]] == [sha]

    # Undelete on B brings it back everywhere.
    code, back, _ = m.on("b").cli("undelete", trash["avatars"][0]["id"])
    assert code == 0 and back["avatar"]["sha256"] == sha
    m.sync("b")
    assert m.sync("a")["pulled"] == 1
    assert set(m.avatars("a")) == {sha}


def test_a_sync_with_nothing_new_from_elsewhere_stays_light(machines: Machines) -> None:
    """Every `ecan sync` pulls; loading the library's intake (sqlmodel, Pillow) for a pull that
    brings nothing cost a third of a 150-avatar sync's CPU, and most of a no-op's. It is loaded
    only when there is something to apply, or a trash to empty: a 30-day-old deletion still
    goes for good at the next sync."""
    import os
    import sqlite3
    import subprocess
    import sys
    import time

    m = machines
    gone = m.new_picture("a")
    m.new_picture("a")
    assert m.sync("a")["synced"] == 2
    root = Path(__file__).resolve().parents[2]
    probe = ("import json, sys\n"
             "from ecan.cli.main import main\n"
             "code = main(['sync', '--json'])\n"
             "print(json.dumps({'code': code, 'intake': 'ecan.avatars.library' in sys.modules,\n"
             "                  'sqlmodel': 'sqlmodel' in sys.modules}))")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=root,
                       env={**os.environ, "PYTHONPATH": str(root)}, timeout=120)
    result = json.loads(r.stdout.strip().splitlines()[-1])
    # (Nor sqlmodel: the pulls of system avatars and generations loaded it, ~0.3 s, for nothing.)
    assert result == {"code": 0, "intake": False, "sqlmodel": False}, r.stderr[-2000:]

    # The trash is still emptied by the pull.
    assert m.on("a").cli("delete", gone)[0] == 0
    m.sync("a")
    _, trash, _ = m.on("a").cli("trash")
    assert [a["id"] for a in trash["avatars"]] == [gone]
    db = next((m.tmp / "a" / "accounts").glob("*/ecan.sqlite3"))
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE avatar SET deleted_at = ? WHERE id = ?",
                      (time.time() - 31 * 86400, gone))
    conn.close()
    m.sync("a")
    assert m.on("a").cli("trash")[1]["avatars"] == []
    assert len(m.avatars("a")) == 1


def test_avatars_a_full_disk_kept_out_arrive_with_a_later_sync(
        machines: Machines, monkeypatch: pytest.MonkeyPatch) -> None:
    """B's disk fills while it pulls A's avatars (one shared journal entry): `ecan sync` says
    which could not be saved and why, counts them as waiting (exit 1), keeps nothing half
    written, and the sync after space is freed brings them all."""
    import errno
    import os

    m = machines
    for _ in range(3):
        m.new_picture("a")
    assert m.sync("a")["synced"] == 3
    real_replace = os.replace

    def disk_full(src: Any, dst: Any) -> None:
        if "avatars" in Path(dst).parts:  # the library's pictures; not the keyring's file
            raise OSError(errno.ENOSPC, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", disk_full)
    code, full, err = m.on("b").cli("sync")
    assert code == 1, full
    assert (full["pulled"], full["failed"], full["remaining"], full["pull_waiting"]) == \
        (0, 0, 3, 3)
    assert err.count("could not be saved to the library (No space left on device)") == 3, err
    assert "3 avatars from your other computers could not be saved here yet" in err
    assert m.avatars("b") == {}
    library = next((m.tmp / "b" / "accounts").glob("*/resource/avatars"))
    assert [p for p in library.rglob("*") if p.is_file() and "system" not in p.parts] == []

    monkeypatch.setattr(os, "replace", real_replace)
    freed = m.sync("b")
    assert (freed["pulled"], freed["remaining"]) == (3, 0)
    assert "pull_waiting" not in freed  # (only when some wait: the usual result stays as it was)
    assert set(m.avatars("b")) == set(m.avatars("a"))
    # The built-in avatars, which the full disk kept out too (once marked done regardless).
    built_in = [sorted(a["sha256"] for a in m.on(x).cli("list")[1]["avatars"]
                       if a["resource_type"] == "system") for x in "ab"]
    assert built_in[1] == built_in[0] and built_in[0]


def test_a_pull_the_library_refuses_says_why(machines: Machines,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only ECAN_HOME lets the pull read but not write: it said "nothing pulled:
    OperationalError"."""
    import sqlite3

    from ecan.sync.engine import SyncEngine

    def read_only(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(SyncEngine, "pull_now", read_only)
    code, data, err = machines.on("a").cli("sync")
    assert "nothing pulled: attempt to write a readonly database (OperationalError); the next " \
           "sync tries again" in err, err


def test_agents_saved_on_two_machines_both_survive(machines: Machines) -> None:
    m = machines
    pa, pb = m.new_picture("a"), m.new_picture("b")
    assert m.on("a").cli("agent", "save", "Alpha", "--avatar", pa)[0] == 0
    assert m.on("b").cli("agent", "save", "Beta", "--avatar", pb)[0] == 0
    for machine in ("a", "b", "a", "b"):
        m.sync(machine)
    assert m.agents("a") == m.agents("b")
    assert set(m.agents("a")) == {"Alpha", "Beta"}
    assert all(m.agents("a").values())  # each with its avatar


def test_deleting_an_avatar_an_agent_uses_elsewhere_brings_it_back(machines: Machines) -> None:
    """The rule (ecan.avatars.library.AvatarLibrary.remove_remote): the agent keeps it, and it
    comes back on every machine."""
    m = machines
    pic = m.new_picture("a")
    m.sync("a")
    m.sync("b")
    sha = next(iter(m.avatars("b")))
    assert m.on("b").cli("agent", "save", "Keeper", "--avatar",
                         m.avatars("b")[sha]["id"])[0] == 0
    m.sync("b")
    assert m.on("a").cli("delete", pic)[0] == 0  # A has not heard of the agent yet
    m.sync("a")
    assert m.sync("b")["removed"] == 0
    assert m.agents("b") == {"Keeper": sha}
    m.sync("b")
    m.sync("a")
    assert sha in m.avatars("a")


def test_a_random_history_on_three_machines_converges(machines: Machines) -> None:
    m = machines
    rng = random.Random(20)
    imported: set[str] = set()
    deleted: set[str] = set()
    for step in range(20):
        machine = rng.choice("abc")
        action = rng.choice(["import", "import", "edit", "delete", "agent", "sync", "sync"])
        mine = m.avatars(machine)
        if action == "import" or not mine:
            m.new_picture(machine)
            imported |= set(m.avatars(machine)) - imported
        elif action == "edit":
            sha = rng.choice(sorted(mine))
            m.on(machine).cli("edit", mine[sha]["id"], "--name", f"step {step}")
        elif action == "delete":
            used = set(m.agents(machine).values())
            free = sorted(set(mine) - used)
            if free:
                sha = rng.choice(free)
                assert m.on(machine).cli("delete", mine[sha]["id"])[0] == 0
                deleted.add(sha)
        elif action == "agent":
            sha = rng.choice(sorted(mine))
            m.on(machine).cli("agent", "save", f"agent-{machine}-{step}", "--avatar",
                              mine[sha]["id"])
        else:
            m.sync(machine)
    for _ in range(2):
        for machine in "abc":
            m.sync(machine)
    libraries = [m.names(x) for x in "abc"]
    assert libraries[0] == libraries[1] == libraries[2]
    agents = [m.agents(x) for x in "abc"]
    assert agents[0] == agents[1] == agents[2]
    # Nothing imported and never deleted is lost.
    assert imported - deleted <= set(libraries[0])
