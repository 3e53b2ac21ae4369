"""Agents as one cloud document each, written with conditional PUTs (issue 20): machines that
change different agents both keep their change; the same agent changed on two machines keeps
the later edit, and both machines say so; the demo cloud refuses a stale conditional write."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ecan.cli.context import open_app
from ecan.storage.errors import PreconditionFailed
from ecan.sync import agentdocs
from tests.integration.test_two_way_sync import Machines

CONFLICT = "was also changed on another computer; the later edit was kept"


@pytest.fixture
def machines(make_demo_cloud: Callable[..., Any], clean_env: dict[str, str], tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Machines:
    m = Machines(make_demo_cloud(), tmp_path, monkeypatch, capsys)
    for name in ("a", "b"):
        m.login(name)
    return m


def sync_output(m: Machines, machine: str) -> tuple[dict[str, Any], str]:
    """`ecan sync --json` on `machine`: its result and what it told the user on the way."""
    code, data, err = m.on(machine).cli("sync")
    assert code == 0, data
    return dict(data), err


def cloud_of(m: Machines, machine: str) -> Any:
    m.on(machine)
    app = open_app()
    try:
        return app.engine.cloud.open()
    finally:
        app.close()


def test_different_agents_changed_on_two_machines_both_survive_in_their_documents(
        machines: Machines) -> None:
    m = machines
    pa = m.new_picture("a")
    m.sync("a")
    m.sync("b")
    pb = m.avatars("b")[next(iter(m.avatars("b")))]["id"]
    assert m.on("a").cli("agent", "save", "Alpha", "--avatar", pa)[0] == 0
    assert m.on("b").cli("agent", "save", "Beta", "--avatar", pb)[0] == 0
    m.sync("a")
    m.sync("b")  # b's push comes after a's: the old whole list would now hold Beta only
    m.sync("a")
    assert set(m.agents("a")) == set(m.agents("b")) == {"Alpha", "Beta"}
    cloud = cloud_of(m, "a")
    docs = {json.loads(cloud.store.get_bytes(o.key))["name"]
            for o in cloud.store.list(cloud.layout.agents_folder)}
    assert docs == {"Alpha", "Beta"}
    # A machine signing in for the first time finds both.
    m.login("c")
    m.sync("c")
    assert set(m.agents("c")) == {"Alpha", "Beta"}
    # ...and its first edit of one is no conflict: it has seen the cloud's version.
    assert m.on("c").cli("agent", "save", "Alpha", "--no-avatar")[0] == 0
    _, told = sync_output(m, "c")
    assert CONFLICT not in told
    # A pull that brings an agent alone says so (its `pulled` counts avatars).
    pulled, told = sync_output(m, "a")
    assert m.agents("a")["Alpha"] is None
    assert pulled["pulled"] == 0
    assert "pulled 1 agent saved or deleted on your other computers" in told


def test_the_same_agent_changed_on_two_machines_keeps_the_later_edit_and_says_so(
        machines: Machines) -> None:
    m = machines
    first, second, third = (m.new_picture("a") for _ in range(3))
    assert m.on("a").cli("agent", "save", "Helper", "--avatar", first)[0] == 0
    m.sync("a")
    m.sync("b")
    shas = {a["id"]: sha for sha, a in m.avatars("a").items()}
    on_b = {sha: a["id"] for sha, a in m.avatars("b").items()}
    assert m.agents("b") == {"Helper": shas[first]}

    # Both change it before hearing of the other's change; B's edit is the later one.
    assert m.on("a").cli("agent", "save", "Helper", "--avatar", second)[0] == 0
    assert m.on("b").cli("agent", "save", "Helper", "--avatar", on_b[shas[third]])[0] == 0
    _, told_a = sync_output(m, "a")
    assert CONFLICT not in told_a  # nothing to settle yet: the cloud had A's base version
    _, told_b = sync_output(m, "b")
    assert "agent 'Helper' " + CONFLICT in told_b
    _, told_a = sync_output(m, "a")
    assert "agent 'Helper' " + CONFLICT in told_a  # A's edit lost: A is told too
    assert m.agents("a") == m.agents("b") == {"Helper": shas[third]}

    # Now A edits later than B, but B's push reaches the cloud first: A's later edit wins.
    assert m.on("b").cli("agent", "save", "Helper", "--avatar", on_b[shas[first]])[0] == 0
    assert m.on("a").cli("agent", "save", "Helper", "--avatar", second)[0] == 0
    m.sync("b")
    _, told_a = sync_output(m, "a")
    assert CONFLICT in told_a
    _, told_b = sync_output(m, "b")
    assert CONFLICT in told_b
    assert m.agents("a") == m.agents("b") == {"Helper": shas[second]}
    # Quiet once settled.
    for machine in "ab":
        assert CONFLICT not in sync_output(m, machine)[1]


def test_an_agent_edited_earlier_elsewhere_gives_way_to_the_later_one_in_the_cloud(
        machines: Machines) -> None:
    """The machine whose edit is the older one finds the cloud's newer document at its push:
    it keeps the cloud's (the later edit), writes nothing, and says so."""
    m = machines
    first, second = m.new_picture("a"), m.new_picture("a")
    assert m.on("a").cli("agent", "save", "Scout", "--avatar", first)[0] == 0
    m.sync("a")
    m.sync("b")
    on_b = {sha: a["id"] for sha, a in m.avatars("b").items()}
    shas = {a["id"]: sha for sha, a in m.avatars("a").items()}
    assert m.on("b").cli("agent", "save", "Scout", "--avatar", on_b[shas[second]])[0] == 0
    assert m.on("a").cli("agent", "delete", "Scout")[0] == 0  # later than B's edit
    m.sync("a")
    _, told_b = sync_output(m, "b")
    assert "agent 'Scout' " + CONFLICT in told_b
    assert m.agents("b") == {} and m.agents("a") == {}


def test_the_demo_cloud_refuses_a_conditional_put_with_a_stale_etag(machines: Machines) -> None:
    """On the signed-in path (an identity's credentials, through the demo cloud's checks)."""
    cloud = cloud_of(machines, "a")
    key = cloud.layout.agent(agentdocs.doc_id("Stale"))
    v1 = cloud.store.put_if(key, b'{"n": 1}', version=None, content_type="application/json")
    with pytest.raises(PreconditionFailed):
        cloud.store.put_if(key, b'{"n": 1}', version=None, content_type="application/json")
    v2 = cloud.store.put_if(key, b'{"n": 2}', version=v1, content_type="application/json")
    with pytest.raises(PreconditionFailed):
        cloud.store.put_if(key, b'{"n": 3}', version=v1, content_type="application/json")
    assert cloud.store.get_versioned(key, max_bytes=100) == (b'{"n": 2}', v2)


def test_conditional_puts_racing_on_the_demo_cloud_let_exactly_one_through(
        machines: Machines) -> None:
    """S3 decides concurrent conditional writes of one key one at a time (one wins, the others
    get 412/409); moto checks and writes without a lock, so the demo cloud serialises them."""
    cloud = cloud_of(machines, "a")
    key = cloud.layout.agent(agentdocs.doc_id("Raced"))
    version = cloud.store.put_if(key, b"0" * 4096, version=None,
                                 content_type="application/json")
    for round_ in range(6):
        wins = race(cloud.store, key, version, [f"{round_}-{i}".encode() * 2_000_000
                                                for i in range(6)])
        assert len(wins) == 1, f"round {round_}: {len(wins)} conditional writes succeeded"
        version = wins[0]


def race(store: Any, key: str, version: str, bodies: list[bytes]) -> list[str]:
    """Write each body at once from its own thread, each conditional on `version`: the new
    versions of the writes that got through. (Large bodies: moto's check and its write are
    then far enough apart for unserialised writes to overlap.)"""
    wins: list[str] = []
    start = threading.Barrier(len(bodies))

    def write(body: bytes) -> None:
        start.wait()
        try:
            wins.append(store.put_if(key, body, version=version,
                                     content_type="application/json"))
        except PreconditionFailed:
            pass

    threads = [threading.Thread(target=write, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return wins
