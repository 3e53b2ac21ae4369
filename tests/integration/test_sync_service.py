"""`ecan sync-service`, the window's sync process, as a real child process on the demo cloud:
it syncs with the session the window hands it over the pipe, survives garbage on the pipe, and
stops cleanly when told or when the window's end of the pipe closes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from queue import Empty, Queue
from typing import Any

import pytest

from ecan.app import build_app
from ecan.auth.secrets import MemoryKeyring
from ecan.sync.events import from_wire
from tests.fixtures_cloud import DemoUser


class Service:
    """A running `ecan sync-service` with its events read on a thread."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ecan", "sync-service"], env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.events: Queue[Any] = Queue()
        self.replies: Queue[dict[str, Any]] = Queue()
        self.raw: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.raw.append(line)
            message = json.loads(line)
            if "reply" in message:
                self.replies.put(message)
                self.events.put(("reply", message["reply"]))  # where it came among the events
            else:
                self.events.put(from_wire(message))

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def command(self, op: str, **fields: Any) -> None:
        self.send(json.dumps({"op": op, **fields}))

    def wait_for(self, predicate: Any, timeout: float = 60.0) -> list[Any]:
        seen: list[Any] = []
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                seen.append(self.events.get(timeout=0.2))
            except Empty:
                continue
            if predicate(seen):
                return seen
        raise AssertionError(f"timed out; events so far: {seen[-5:]}")


def _library(env: dict[str, str], tmp_path: Path, user: DemoUser, n: int) -> tuple[Any, str]:
    from PIL import Image

    app = build_app(env, keyring_backend=MemoryKeyring())
    # Signed in first: the pictures go into the account's library, the one the service opens.
    signed = app.handlers.call("auth.sign_in", {"username": user.username,
                                                "password": user.password})
    assert signed["ok"], signed
    for i in range(n):
        Image.new("RGB", (64, 64), (i * 40 % 256, 90, 160)).save(tmp_path / f"p{i}.png")
        assert app.handlers.call("avatar.import_paths",
                                 {"paths": [str(tmp_path / f"p{i}.png")]})["ok"]
    session = app.auth.export_session()
    assert session
    return app, session


@pytest.fixture
def started(cloud_env: dict[str, str], demo_user: DemoUser, tmp_path: Path
            ) -> Iterator[Callable[[int], tuple[Any, str, Service]]]:
    """start(n): a signed-in library of n avatars, its session, and a running service;
    the service is killed and the library closed afterwards whatever happened."""
    opened: list[tuple[Any, Service]] = []

    def start(n: int) -> tuple[Any, str, Service]:
        app, session = _library(cloud_env, tmp_path, demo_user, n)
        service = Service(cloud_env)
        opened.append((app, service))
        return app, session, service

    yield start
    for app, service in opened:
        service.proc.kill()
        app.close()


def test_syncs_with_the_windows_session_and_stops_on_request(started: Any) -> None:
    app, session, service = started(3)
    service.send("this is not json")
    service.command("format-disk")
    service.command("session", session=session)
    done = service.wait_for(lambda ev: sum(type(e).__name__ == "JobFinished" for e in ev) >= 3)
    assert {e.avatar_id for e in done if type(e).__name__ == "JobFinished"} == {
        a.id for a in app.library.list(resource_type="uploaded")}
    assert app.handlers.call("sync.status", {})["data"]["counts"]["synced"] == 3
    service.command("stop", timeout=2)
    assert service.proc.wait(15) == 0
    log = (app.paths.logs / "ecan.log").read_text(encoding="utf-8")
    assert "malformed command" in log  # said, and skipped: syncing went on
    refresh_token = json.loads(session)["refresh_token"]
    assert refresh_token not in log and all(refresh_token not in line for line in service.raw)


def test_new_work_waits_for_a_wake_and_end_of_input_stops_it(started: Any,
                                                              tmp_path: Path) -> None:
    from PIL import Image

    app, session, service = started(1)
    service.command("session", session=session)
    service.wait_for(lambda ev: any(type(e).__name__ == "JobFinished" for e in ev))
    Image.new("RGB", (64, 64), (1, 2, 3)).save(tmp_path / "late.png")
    late = app.handlers.call("avatar.import_paths", {"paths": [str(tmp_path / "late.png")]})
    late_id = late["data"]["results"][0]["avatar_id"]
    service.command("call", id=7, method="wake")  # what the window sends after an import
    service.wait_for(lambda ev: any(getattr(e, "avatar_id", None) == late_id
                                    and type(e).__name__ == "JobFinished" for e in ev),
                     timeout=10)
    assert service.proc.stdin is not None
    service.proc.stdin.close()  # the window went away
    assert service.proc.wait(15) == 0


def test_signed_out_session_pauses_for_sign_in_and_nothing_fails(started: Any) -> None:
    """The service says it waits, signed out (a service that did nothing says nothing; signed
    out is not an expired session, so it asks nobody to sign in), and the job stays queued,
    its attempt not counted."""
    app, _session, service = started(1)
    service.command("session", session=None)
    service.command("call", id=1, method="wake")
    seen = service.wait_for(lambda ev: any(type(e).__name__ == "StateChanged"
                                           and e.signed_out for e in ev))
    assert not [e for e in seen if type(e).__name__ == "StateChanged" and e.auth_required]
    service.command("stop", timeout=1)
    assert service.proc.wait(15) == 0
    assert not [e for e in seen if type(e).__name__ in ("JobFailed", "JobFinished")]
    assert not [line for line in service.raw if "JobFailed" in line]
    counts = app.handlers.call("sync.status", {})["data"]["counts"]
    assert counts["queued"] == 1 and counts["failed"] == 0 and counts["synced"] == 0
    conn = sqlite3.connect(app.paths.database)
    try:
        assert conn.execute("SELECT status, attempts FROM outbox").fetchall() == [(0, 0)]
    finally:
        conn.close()


def test_the_engine_answers_calls_and_owns_its_state(started: Any) -> None:
    """The window asks the service's engine (no engine of its own): each call gets one reply,
    a pause is the engine's to keep (persisted by it, published as its event before the
    reply), and a call the engine refuses comes back as the user's error, not a crash."""
    app, session, service = started(1)
    service.command("session", session=session)
    service.wait_for(lambda ev: any(type(e).__name__ == "JobFinished" for e in ev))
    service.command("call", id=1, method="pause")
    seen = service.wait_for(lambda ev: ("reply", 1) in ev, timeout=15)
    paused = [i for i, e in enumerate(seen) if type(e).__name__ == "StateChanged" and e.paused]
    assert paused and paused[0] < seen.index(("reply", 1))  # the news, then the answer
    assert service.replies.get(timeout=5) == {"reply": 1, "ok": True, "data": None}
    service.command("call", id=2, method="status")
    status = service.replies.get(timeout=15)
    assert status["reply"] == 2 and status["ok"]
    assert status["data"]["paused"] is True and status["data"]["signed_in"] is True
    assert status["data"]["counts"]["synced"] == 1
    # Saved by its one owner: a new engine (the next start) is paused too.
    assert app.handlers.call("sync.status", {})["data"]["paused"] is True
    service.command("call", id=3, method="restore", args={"only_if_empty": True})
    assert service.replies.get(timeout=15)["data"]["ran"] is False  # the library has one
    service.command("call", id=4, method="set_bandwidth_limit", args={"kbps": -5})
    refused = service.replies.get(timeout=15)
    assert refused["ok"] is False and refused["error"]["code"] == "invalid_bandwidth"
    service.command("stop", timeout=2)
    assert service.proc.wait(15) == 0


def test_it_follows_the_window_into_the_account_it_signs_in_to(
        cloud_env: dict[str, str], demo_user: DemoUser, tmp_path: Path) -> None:
    """Started before anyone signed in (the local-only library), the service opens the account's
    library once the window signs in: the account's pictures sync, and a restore it is asked
    for lands there, not in the library the window left."""
    from PIL import Image

    app = build_app(cloud_env, keyring_backend=MemoryKeyring())
    service = Service(cloud_env)
    try:
        service.command("session", session=None)  # the window starts signed out
        service.wait_for(lambda ev: any(type(e).__name__ == "StateChanged" for e in ev))
        signed = app.handlers.call("auth.sign_in", {"username": demo_user.username,
                                                    "password": demo_user.password})
        assert signed["ok"] and app.paths.is_account, signed
        Image.new("RGB", (64, 64), (9, 80, 200)).save(tmp_path / "mine.png")
        assert app.handlers.call("avatar.import_paths",
                                 {"paths": [str(tmp_path / "mine.png")]})["ok"]
        mine = app.library.list(resource_type="uploaded")[0].id
        service.command("session", session=app.auth.export_session())
        service.wait_for(lambda ev: any(type(e).__name__ == "JobFinished"
                                        and e.avatar_id == mine for e in ev))
        service.command("call", id=1, method="restore", args={"only_if_empty": True})
        assert service.replies.get(timeout=30)["data"]["ran"] is False  # it holds `mine`
        service.command("stop", timeout=2)
        assert service.proc.wait(15) == 0
        assert app.handlers.call("sync.status", {})["data"]["counts"]["synced"] == 1
    finally:
        service.proc.kill()
        app.close()
