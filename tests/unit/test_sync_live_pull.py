"""The background engine pulls by itself (on start, when asked, every PULL_EVERY_S), tells
its clients what changed (Pulled, with ids), survives a failing pull, and keeps the Activity
list; two machines share an in-memory cloud."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import pytest

from ecan.avatars.library import AvatarLibrary
from ecan.db import Database, sync_state
from ecan.errors import UserFacingError
from ecan.paths import AppPaths
from ecan.storage.errors import TransientStorageError
from ecan.storage.memory import MemoryBlobStore
from ecan.sync import engine as engine_module
from ecan.sync.events import Pulled, StateChanged, SyncEvent
from ecan.sync.testing import write_avatar
from tests.unit.sync_machines import machine

WAIT_S = 20.0


class Events:
    """A background engine's events, waited on."""

    def __init__(self) -> None:
        self.seen: list[SyncEvent] = []
        self._cv = threading.Condition()

    def __call__(self, event: SyncEvent) -> None:
        with self._cv:
            self.seen.append(event)
            self._cv.notify_all()

    def wait_for(self, test: Callable[[SyncEvent], bool]) -> SyncEvent:
        end = time.monotonic() + WAIT_S
        with self._cv:
            while True:
                found = next((e for e in self.seen if test(e)), None)
                if found is not None:
                    return found
                left = end - time.monotonic()
                assert left > 0, f"no such event within {WAIT_S} s; saw {self.seen[-5:]}"
                self._cv.wait(left)

    def pulls(self) -> list[Pulled]:
        with self._cv:
            return [e for e in self.seen if isinstance(e, Pulled)]


class Machine:
    def __init__(self, root: Path, store: MemoryBlobStore) -> None:
        self.paths, self.db, self.engine = machine(root, store)
        self.library = AvatarLibrary(self.paths, self.db)
        self.events = Events()

    def ids_by_sha(self) -> dict[str, str]:
        return {a.sha256: a.id for a in self.library.list() if a.resource_type != "system"}

    def activity(self) -> list[dict[str, Any]]:
        conn = self.db.connect()
        try:
            return sync_state.recent_activity(conn)
        finally:
            conn.close()


@pytest.fixture
def two(tmp_path: Path) -> Iterator[tuple[Machine, Machine, MemoryBlobStore]]:
    store = MemoryBlobStore()
    a, b = Machine(tmp_path / "a", store), Machine(tmp_path / "b", store)
    yield a, b, store
    a.engine.close()
    b.engine.close()


def test_the_running_engine_pulls_on_start_and_when_asked_and_says_what_changed(
        two: tuple[Machine, Machine, MemoryBlobStore]) -> None:
    a, b, _ = two
    first = write_avatar(b.paths, b.db.path, seed=1, name="cat")
    assert b.engine.drain(timeout=10).remaining == 0

    a.engine.start(a.events)  # nothing asked: the start pulls
    pulled = a.events.wait_for(lambda e: isinstance(e, Pulled))
    sha = b.library.get(first).sha256
    assert a.ids_by_sha().keys() == {sha}
    assert isinstance(pulled, Pulled) and pulled.avatars == [a.ids_by_sha()[sha]]

    # Another machine renames it and adds one: asked to, A pulls both.
    b.library.update(first, name="tabby")
    second = write_avatar(b.paths, b.db.path, seed=2, name="dog")
    second_sha = b.library.get(second).sha256
    assert b.engine.drain(timeout=10).remaining == 0
    a.engine.pull()
    again = a.events.wait_for(lambda e: isinstance(e, Pulled) and len(e.avatars) == 2)
    assert isinstance(again, Pulled)
    ids = a.ids_by_sha()
    assert sorted(again.avatars) == sorted(ids.values()) and len(ids) == 2
    assert a.library.get(ids[sha]).name == "tabby"

    # ...and deletes one: it leaves A's library for the trash.
    b.library.delete(second)
    assert b.engine.drain(timeout=10).remaining == 0
    a.engine.pull()
    removed = a.events.wait_for(lambda e: isinstance(e, Pulled) and bool(e.removed))
    assert isinstance(removed, Pulled) and removed.removed == [ids[second_sha]]
    trashed = a.library.by_sha(second_sha)
    assert trashed is not None and trashed.deleted_at is not None


def test_a_long_pull_fetches_a_few_at_a_time_and_shows_the_first_ones_early(
        two: tuple[Machine, Machine, MemoryBlobStore],
        monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, store = two
    n = 16
    for seed in range(n):
        write_avatar(b.paths, b.db.path, seed=100 + seed)
    assert b.engine.drain(timeout=30).remaining == 0
    real = store.download_file
    lock = threading.Lock()
    running, most = [0], [0]

    def slow_download(key: str, path: Path, **kw: Any) -> Any:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            time.sleep(0.5)  # a download over a slow link
            return real(key, path, **kw)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(store, "download_file", slow_download)
    a.engine.start(a.events)
    a.events.wait_for(lambda e: isinstance(e, Pulled) and len(e.avatars) == n)
    pulls = a.events.pulls()
    assert len(a.ids_by_sha()) == n
    assert 0 < len(pulls[0].avatars) < n  # the first ones showed before the last arrived
    assert 1 < most[0] <= 4  # bounded concurrency


def test_a_pull_with_nothing_new_costs_one_list_and_sends_no_event(
        two: tuple[Machine, Machine, MemoryBlobStore]) -> None:
    a, b, store = two
    write_avatar(b.paths, b.db.path, seed=1)
    assert b.engine.drain(timeout=10).remaining == 0
    assert a.engine.pull_now()["pulled"] == 1
    calls: list[str] = []
    for name in ("list", "head", "get_bytes", "put_bytes", "put_file", "delete",
                 "check_access"):
        real = getattr(store, name)

        def counted(*args: Any, _real: Any = real, _name: str = name, **kw: Any) -> Any:
            calls.append(_name)
            return _real(*args, **kw)

        setattr(store, name, counted)
    assert a.engine.pull_now(shared=False)["pulled"] == 0  # the background loop's pull
    assert calls == ["list"]


def test_ecan_syncs_pull_asks_the_cloud_its_three_questions_at_once(
        two: tuple[Machine, Machine, MemoryBlobStore]) -> None:
    """The journal, the published system avatars and the generation history are asked for
    side by side: on a link with 50 ms round trips, `ecan sync` with nothing to do took
    ~280 ms, and takes ~200 ms so."""
    a, b, store = two
    write_avatar(b.paths, b.db.path, seed=1)
    assert b.engine.drain(timeout=10).remaining == 0
    cv = threading.Condition()
    inside = [0, 0]  # now, most at once

    def meeting(real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kw: Any) -> Any:
            # Each first question waits (up to a few seconds) for the other two to be asked.
            with cv:
                inside[0] += 1
                inside[1] = max(inside)
                cv.notify_all()
                cv.wait_for(lambda: inside[1] >= 3, timeout=3)
                inside[0] -= 1
            return real(*args, **kw)
        return call

    for name in ("list", "head"):
        setattr(store, name, meeting(getattr(store, name)))
    result = a.engine.pull_now()
    assert result["pulled"] == 1
    assert inside[1] == 3


def test_ecan_sync_asks_for_the_shared_documents_while_its_uploads_run(
        two: tuple[Machine, Machine, MemoryBlobStore]) -> None:
    """`ecan sync` asks for the published system avatars and the generation history as its
    uploads start (ask_shared): no answer depends on them, and the cloud is idle while the
    uploads get going. Its pull after the push then asks for the journal alone (and what it
    names), one round trip after the last upload."""
    a, b, store = two
    write_avatar(b.paths, b.db.path, seed=1)
    assert b.engine.drain(timeout=10).remaining == 0
    write_avatar(a.paths, a.db.path, seed=2)
    asked: list[str] = []  # the cloud's questions (and uploads), in order
    cv = threading.Condition()

    def record(what: str) -> None:
        with cv:
            asked.append(what)
            cv.notify_all()

    def question(real: Callable[..., Any]) -> Callable[..., Any]:
        def call(key: str, *args: Any, **kw: Any) -> Any:
            record("journal" if "/journal/" in key else "manifest" if "manifest" in key
                   else "generations" if "generation" in key else key)
            return real(key, *args, **kw)
        return call

    real_put = store.put_bytes

    def upload(key: str, *args: Any, **kw: Any) -> Any:
        if "/images/" in key:  # an upload waits (a few seconds at most) for the questions
            with cv:
                cv.wait_for(lambda: {"manifest", "generations"} <= set(asked), timeout=3)
            record("upload")
        return real_put(key, *args, **kw)

    store.list, store.head = question(store.list), question(store.head)  # type: ignore[method-assign]
    store.put_bytes = upload  # type: ignore[method-assign]
    shared = a.engine.ask_shared()
    assert shared is not None
    assert a.engine.drain(timeout=10).remaining == 0
    pushed = len(asked)
    assert a.engine.pull_now(shared=shared)["pulled"] == 1
    assert {"manifest", "generations"} <= set(asked[:asked.index("upload")])
    assert "journal" in asked[asked.index("upload"):]  # the pull's listing: see below
    assert not {"manifest", "generations"} & set(asked[pushed:])


def test_ecan_sync_lists_the_journal_while_its_last_entry_is_written(
        two: tuple[Machine, Machine, MemoryBlobStore]) -> None:
    """Once the uploads are done, `ecan sync` asks for the journal's listing beside the write
    of the entry naming them: the pull after the push starts on that answer instead of
    asking a round trip later (on a link with 50 ms round trips, a sync ends ~50 ms sooner).
    The listing is asked for once."""
    a, b, store = two
    write_avatar(b.paths, b.db.path, seed=1)
    assert b.engine.drain(timeout=10).remaining == 0
    write_avatar(a.paths, a.db.path, seed=2)
    asked: list[str] = []
    cv = threading.Condition()
    real_list, real_put = store.list, store.put_bytes

    def listing(prefix: str, **kw: Any) -> Any:
        if "/journal/" in prefix:
            with cv:
                asked.append("journal listed")
                cv.notify_all()
        return real_list(prefix, **kw)

    def put(key: str, *args: Any, **kw: Any) -> Any:
        if "/journal/" in key:  # the entry waits (a few seconds at most) for the listing
            with cv:
                cv.wait_for(lambda: "journal listed" in asked, timeout=3)
                asked.append("entry written")
        return real_put(key, *args, **kw)

    store.list, store.put_bytes = listing, put  # type: ignore[method-assign]
    shared = a.engine.ask_shared()
    assert shared is not None
    assert a.engine.drain(timeout=10).remaining == 0
    assert a.engine.pull_now(shared=shared)["pulled"] == 1
    assert asked == ["journal listed", "entry written"]
    # What the pull queued is pushed by one more drain, which no pull follows: not listed.
    write_avatar(a.paths, a.db.path, seed=3)
    assert a.engine.drain(timeout=10).remaining == 0
    assert asked == ["journal listed", "entry written", "entry written"]


def test_a_journal_listing_asked_ahead_that_failed_fails_the_pull_as_its_own_would(
        two: tuple[Machine, Machine, MemoryBlobStore]) -> None:
    """The listing asked ahead meets an error the store did not get past (a 500): the pull
    fails with it, as its own listing would have (listing again would wait out a silent cloud
    twice), and the next pull gets what another machine did."""
    a, b, store = two
    write_avatar(b.paths, b.db.path, seed=1)
    assert b.engine.drain(timeout=10).remaining == 0
    write_avatar(a.paths, a.db.path, seed=2)
    real_list = store.list
    journal_lists: list[bool] = []

    def listing(prefix: str, **kw: Any) -> Any:
        if "/journal/" in prefix:
            journal_lists.append(True)
            if len(journal_lists) == 1:
                raise TransientStorageError("storage_unavailable", "The storage answered 500.")
        return real_list(prefix, **kw)

    store.list = listing  # type: ignore[method-assign]
    shared = a.engine.ask_shared()
    assert shared is not None
    assert a.engine.drain(timeout=10).remaining == 0
    with pytest.raises(TransientStorageError):
        a.engine.pull_now(shared=shared)
    assert len(journal_lists) == 1 and len(a.ids_by_sha()) == 1
    assert a.engine.pull_now()["pulled"] == 1
    assert len(journal_lists) == 2 and len(a.ids_by_sha()) == 2


def test_what_lands_after_the_journal_was_listed_ahead_comes_with_the_next_pull(
        two: tuple[Machine, Machine, MemoryBlobStore]) -> None:
    """A pull reads the journal as it was listed (as the push ended): an entry another
    machine writes after that is not lost, the next pull brings it."""
    a, b, _ = two
    write_avatar(a.paths, a.db.path, seed=2)
    shared = a.engine.ask_shared()
    assert shared is not None
    assert a.engine.drain(timeout=10).remaining == 0  # the journal listed as it ends
    futures.wait(shared.answers, timeout=WAIT_S)
    write_avatar(b.paths, b.db.path, seed=1)
    assert b.engine.drain(timeout=10).remaining == 0
    assert a.engine.pull_now(shared=shared)["pulled"] == 0
    assert a.engine.pull_now()["pulled"] == 1
    assert len(a.ids_by_sha()) == 2


def test_a_journal_listing_asked_ahead_long_ago_is_asked_again(
        two: tuple[Machine, Machine, MemoryBlobStore], monkeypatch: pytest.MonkeyPatch) -> None:
    """A sync that waited for another engine between its push and its pull (up to minutes)
    does not pull the journal as it was then: it lists it again, and gets what changed."""
    a, b, _ = two
    monkeypatch.setattr(engine_module, "JOURNAL_FRESH_S", 0.0)
    write_avatar(a.paths, a.db.path, seed=2)
    shared = a.engine.ask_shared()
    assert shared is not None
    assert a.engine.drain(timeout=10).remaining == 0
    write_avatar(b.paths, b.db.path, seed=1)
    assert b.engine.drain(timeout=10).remaining == 0
    assert a.engine.pull_now(shared=shared)["pulled"] == 1


def test_closing_does_not_wait_for_a_journal_listing_asked_ahead(
        two: tuple[Machine, Machine, MemoryBlobStore]) -> None:
    """A sync stopped before its pull (Ctrl+C while the cloud has gone quiet) closes at once:
    the journal's listing asked ahead changes nothing here, so nothing waits for it."""
    a, _, store = two
    write_avatar(a.paths, a.db.path, seed=2)
    real_list = store.list
    quiet, asked = threading.Event(), threading.Event()

    def listing(prefix: str, **kw: Any) -> Any:
        if "/journal/" in prefix:
            asked.set()
            quiet.wait(WAIT_S)  # a cloud that does not answer
        return real_list(prefix, **kw)

    store.list = listing  # type: ignore[method-assign]
    assert a.engine.ask_shared() is not None
    assert a.engine.drain(timeout=10).remaining == 0
    assert asked.wait(WAIT_S)
    closing = threading.Thread(target=a.engine.close)
    closing.start()
    closing.join(5)
    try:
        assert not closing.is_alive()
    finally:
        quiet.set()
        closing.join(WAIT_S)


def test_a_failing_pull_is_recorded_and_never_stops_the_engine(
        two: tuple[Machine, Machine, MemoryBlobStore],
        monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, store = two
    monkeypatch.setattr(engine_module, "PULL_BACKOFF_S", 0.2)
    real_list = store.list
    broken = threading.Event()
    broken.set()

    def listing(prefix: str, **kw: Any) -> Any:
        if broken.is_set() and "/journal/" in prefix:
            raise UserFacingError("access_denied", "The storage refused to list the changes.",
                                  "Check the storage's permissions.")
        return real_list(prefix, **kw)

    monkeypatch.setattr(store, "list", listing)
    a.engine.start(a.events)
    end = time.monotonic() + WAIT_S
    while not any(e["kind"] == "pull_failed" for e in a.activity()):
        assert time.monotonic() < end, "the failed pull was not recorded"
        time.sleep(0.05)
    failed = next(e for e in a.activity() if e["kind"] == "pull_failed")
    assert "refused to list" in failed["detail"] and "permissions" in failed["hint"]
    assert a.engine.status()["last_error"]["code"] == "access_denied"

    # Fixed: the next try pulls (the loop is alive), and the failure is listed once.
    write_avatar(b.paths, b.db.path, seed=3)
    assert b.engine.drain(timeout=10).remaining == 0
    broken.clear()
    a.events.wait_for(lambda e: isinstance(e, Pulled))
    assert len(a.ids_by_sha()) == 1
    assert [e["kind"] for e in a.activity()].count("pull_failed") == 1
    assert a.engine.status()["last_error"] is None  # the error shown is gone with its cause


def test_the_offline_engine_does_not_pull_and_pulls_once_back(
        two: tuple[Machine, Machine, MemoryBlobStore],
        monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, store = two
    real_list, real_check = store.list, store.check_access
    offline = threading.Event()
    offline.set()

    def down(real: Any) -> Any:
        def call(*args: Any, **kw: Any) -> Any:
            if offline.is_set():
                raise ConnectionError("network is unreachable")
            return real(*args, **kw)
        return call

    monkeypatch.setattr(store, "list", down(real_list))
    monkeypatch.setattr(store, "check_access", down(real_check))
    a.engine.probe_max = 0.2
    a.engine.start(a.events)
    a.events.wait_for(lambda e: isinstance(e, StateChanged) and not e.online)
    write_avatar(b.paths, b.db.path, seed=4)
    offline.clear()
    assert b.engine.drain(timeout=10).remaining == 0
    a.events.wait_for(lambda e: isinstance(e, Pulled))
    assert len(a.ids_by_sha()) == 1
    assert not [e for e in a.activity() if e["kind"] == "pull_failed"]  # offline is no failure


def test_the_activity_list_says_what_changed_here_and_elsewhere(
        two: tuple[Machine, Machine, MemoryBlobStore]) -> None:
    a, b, _ = two
    mine = write_avatar(a.paths, a.db.path, seed=5, name="mine")
    theirs = write_avatar(b.paths, b.db.path, seed=6, name="cat")
    b.library.update(theirs, name="tabby")
    assert b.engine.drain(timeout=10).remaining == 0
    a.engine.pull_now()
    b.library.delete(theirs)
    assert b.engine.drain(timeout=10).remaining == 0
    a.engine.pull_now()
    rows = [(e["kind"], e["subject"], e["machine"] is None) for e in a.activity()]
    assert rows[0] == ("deleted", "tabby", False)
    assert ("added", "tabby", False) in rows and ("added", "mine", True) in rows
    assert all(e["machine_name"] for e in a.activity() if e["machine"])  # named computers
    assert mine in {e["avatar_id"] for e in a.activity()}
    # Here, a rename says what it was before; a failed upload says why and what to do.
    a.library.update(mine, name="mine, renamed")
    image = a.paths.home / a.library.get(mine).image_path
    image.write_bytes(b"damaged")
    assert a.engine.drain(timeout=10).failed == 1
    latest = a.activity()[:2]
    assert latest[0]["kind"] == "upload_failed" and latest[0]["subject"] == "mine, renamed"
    assert "checksum" in latest[0]["detail"] and "import it again" in latest[0]["hint"]
    assert (latest[1]["kind"], latest[1]["detail"]) == ("renamed", "mine")


def test_the_activity_list_keeps_the_newest_only(tmp_path: Path) -> None:
    paths = AppPaths(tmp_path / "h").ensure()
    db = Database(paths.database)
    conn = db.connect()
    try:
        for i in range(sync_state.ACTIVITY_KEEP + 3 * sync_state.ACTIVITY_PRUNE_EVERY):
            conn.execute("BEGIN IMMEDIATE")
            sync_state.note_activity(conn, sync_state.ActivityKind.ADDED, f"n{i}", at=float(i))
            conn.execute("COMMIT")
        kept = conn.execute("SELECT COUNT(*) FROM activity").fetchone()[0]
        shown = sync_state.recent_activity(conn)
    finally:
        conn.close()
    assert sync_state.ACTIVITY_KEEP <= kept < sync_state.ACTIVITY_KEEP + \
        sync_state.ACTIVITY_PRUNE_EVERY
    assert len(shown) == sync_state.ACTIVITY_KEEP
    assert shown[0]["subject"] == f"n{sync_state.ACTIVITY_KEEP + 149}"


def test_closing_the_engine_waits_for_the_shared_documents_it_asked_for(
        two: tuple[Machine, Machine, MemoryBlobStore]) -> None:
    """A sync stopped before its pull (Ctrl+C, paused meanwhile) never collects what
    ask_shared asked for: closing the engine then waits for those answers, so that the
    library is not shut under a system avatar still arriving."""
    a, _, store = two
    answered = threading.Event()
    real_head = store.head

    def slow_head(key: str, *args: Any, **kw: Any) -> Any:
        time.sleep(0.3)  # a slow link
        try:
            return real_head(key, *args, **kw)
        finally:
            answered.set()

    store.head = slow_head  # type: ignore[method-assign]
    assert a.engine.ask_shared() is not None
    a.engine.close()
    assert answered.is_set()
