"""The change journal: what every machine changed, as small append-only JSON objects under the
identity's prefix, and the pull that applies other machines' entries here.

Key: `{prefix}{identity}/journal/{time_ns:020d}-{machine}-{rand}.json`, one change each
(`avatar.put` with the avatar's metadata document, `avatar.delete`, `agent.save`,
`agent.delete`), or several `avatar.put` in one `avatars.put` (see AvatarPuts).
Zero-padded nanoseconds make S3's key order the time order, so a machine's
cursor is a key: `list_objects_v2(StartAfter=cursor)` returns only what is new, and a sync with
nothing new costs one LIST. Dropbox's `list_folder/continue` cursor gives the same O(changes)
answer, but S3 keeps no change log to hand out cursors, so the machines write one; rclone's
bisync instead lists both sides in full every run and diffs them: O(library) requests and
bytes per run, which is what a library of thousands of avatars synced every minute cannot pay.

Clocks differ between machines, so an entry may land a little before the cursor: the pull
re-lists from SKEW_S before it and remembers which keys in that window it has applied (the
position, in a setting owned by ecan.db.sync_state). Applying is idempotent in any case
(content-addressed pictures, last edit wins by the entry's time, deletions are tombstones
kept in the trash), so a repeat changes nothing. An entry whose applying failed for a passing
reason (the network, the store) is kept in the position's "retry" list and read again by key
on the next pull; one refused for what it is (a hostile picture) is not.

Nothing pulled is trusted: an entry over MAX_ENTRY bytes or of the wrong shape is skipped with a
warning, and pictures go through the library's one intake (format allow-list, byte and pixel
limits) after their SHA-256 is checked."""

from __future__ import annotations

import json
import logging
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ecan.db.sync_state import ActivityKind
from ecan.errors import UserFacingError
from ecan.storage.errors import ObjectTooLarge, is_retryable
from ecan.sync import agentdocs, repair

if TYPE_CHECKING:
    from ecan.avatars.library import AvatarLibrary
    from ecan.db import Database
    from ecan.db.sync_state import Outbox
    from ecan.paths import AppPaths
    from ecan.storage.base import ObjectInfo
    from ecan.sync.engine import Cloud

log = logging.getLogger("ecan.sync")
T = TypeVar("T")

MAX_ENTRY = 64 * 1024  # bytes: an entry larger than this is not ours, and is not read
SKEW_S = 300.0  # how far machines' clocks may disagree
FETCH_CONCURRENCY = 4  # new avatars' originals downloaded at once in one pull
ANNOUNCE_EVERY_S = 0.5  # how often a long pull tells the window what has arrived so far
MAX_RETRY = 500  # entries kept to try again (a pull re-reads each: bounded)
VERSION = 1
_KEY_RE = re.compile(r"^(\d{20})-([0-9a-f]{1,32})-([0-9a-f]{8})\.json$")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_HOST_RE = re.compile(r"[^\w.\- ]")


def host_name() -> str:
    """This computer's name as the Activity list of other machines shows it."""
    return _HOST_RE.sub("", socket.gethostname())[:64]


def folder(cloud: Cloud) -> str:
    return f"{cloud.layout.root}journal/"


def listing_start(outbox: Outbox, cloud: Cloud) -> str:
    """Where a pull lists the journal from: after the last entry pulled, less the time
    machines' clocks may disagree by (an entry can land later than a newer one)."""
    last = str(outbox.journal_position().get("last") or "")
    base = folder(cloud)
    if last.startswith(base) and (horizon := _horizon(last[len(base):])) is not None:
        return base + horizon
    return ""


def _horizon(name: str) -> str | None:
    """The time in the journal entry `name` (a key less its folder) less SKEW_S, as keys
    start with it; None if `name` is not an entry's."""
    if _KEY_RE.match(name) is None:
        return None
    return f"{max(int(name[:20]) - int(SKEW_S * 1e9), 0):020d}"


def listing(cloud: Cloud, start: str) -> list[ObjectInfo]:
    """The journal's entries after `start` (listing_start)."""
    return list(cloud.store.list(folder(cloud), start_after=start))


def write(cloud: Cloud, machine: str, op: str, body: dict[str, Any],
          at: float | None = None) -> str:
    """Append one entry (after the change it names has reached the cloud); returns its key."""
    at = time.time() if at is None else at
    key = f"{folder(cloud)}{time.time_ns():020d}-{machine}-{secrets.token_hex(4)}.json"
    doc = {"v": VERSION, "op": op, "at": at, "machine": machine, "host": host_name(), **body}
    cloud.store.put_bytes(key, json.dumps(doc, sort_keys=True).encode(),
                          content_type="application/json")
    return key


BATCH_BYTES = 48 * 1024  # an `avatars.put` entry stays well under MAX_ENTRY
LINGER_S = 1.0  # the longest an entry waits for others to share its write


@dataclass
class _Waiting(Generic[T]):
    cloud: Cloud
    meta: dict[str, Any]
    at: float
    size: int
    token: T
    since: float


class AvatarPuts(Generic[T]):
    """The `avatar.put` entries of one engine run, written as a group commit by a thread of
    their own: a worker whose avatar is whole in the cloud leaves its entry here (with a token
    of its own) and goes on to the next avatar; the writer sends every entry waiting (one
    `avatars.put` object for several, up to BATCH_BYTES) once the oldest has waited LINGER_S,
    once a full write's worth waits, or when the run ends. `written(tokens, error)` then runs
    on the writer's thread, once per write, with the tokens of the entries it carried: the
    engine records those jobs done only there (in one transaction), so a crash before the write
    leaves the jobs to run again, never an avatar the journal does not name.

    One entry per avatar was a third of a cold sync's requests; a group commit that held its
    workers until the write came back wrote every few avatars (a request's round trip), and
    kept every worker idle for that round trip."""

    def __init__(self, machine: Callable[[], str],
                 written: Callable[[list[T], BaseException | None], None],
                 linger_s: float = LINGER_S) -> None:
        self._machine = machine
        self._written = written
        self.linger_s = linger_s
        self._cv = threading.Condition()
        self._queue: list[_Waiting[T]] = []
        self._bytes = 0
        self._closing = False
        self._thread: threading.Thread | None = None

    @property
    def waiting(self) -> int:
        """Entries waiting for a write (tests use it to line workers up)."""
        with self._cv:
            return len(self._queue)

    def start(self) -> None:
        with self._cv:
            self._closing = False
        self._thread = threading.Thread(target=self._run, name="ecan-sync-journal", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Write what waits, then stop (`written` has heard of every entry on return)."""
        with self._cv:
            self._closing = True
            self._cv.notify_all()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def add(self, cloud: Cloud, meta: dict[str, Any], at: float, token: T) -> None:
        entry = _Waiting(cloud, meta, at, len(json.dumps(meta)), token, time.monotonic())
        with self._cv:
            if self._thread is None:
                raise RuntimeError("the journal writer is not running")
            self._queue.append(entry)
            self._bytes += entry.size
            self._cv.notify_all()

    def _run(self) -> None:
        while True:
            with self._cv:
                while True:
                    if self._queue and (self._closing or self._bytes >= BATCH_BYTES or
                                        time.monotonic() - self._queue[0].since >= self.linger_s):
                        break
                    if self._closing:
                        return
                    wait = None if not self._queue else \
                        self._queue[0].since + self.linger_s - time.monotonic()
                    self._cv.wait(wait)
                batch = self._take()
            error: BaseException | None = None
            try:
                self._write(batch)
            except BaseException as e:  # noqa: BLE001 - each entry's job handles it
                error = e
            try:
                self._written([w.token for w in batch], error)
            except Exception:  # the writer goes on: later entries' jobs must hear too
                log.exception("recording the jobs of a journal entry failed")

    def _take(self) -> list[_Waiting[T]]:
        """The oldest waiting entries of one cloud, up to BATCH_BYTES (at least one)."""
        first = self._queue[0]
        batch: list[_Waiting[T]] = []
        size = 0
        for w in self._queue:
            if w.cloud is not first.cloud:
                continue
            if batch and size + w.size > BATCH_BYTES:
                break
            batch.append(w)
            size += w.size
        taken = {id(w) for w in batch}
        self._queue = [w for w in self._queue if id(w) not in taken]
        self._bytes -= size
        return batch

    def _write(self, batch: list[_Waiting[T]]) -> None:
        cloud = batch[0].cloud
        if len(batch) == 1:
            write(cloud, self._machine(), "avatar.put", {"avatar": batch[0].meta},
                  at=batch[0].at)
        else:
            write(cloud, self._machine(), "avatars.put",
                  {"avatars": [{"avatar": w.meta, "at": w.at} for w in batch]},
                  at=max(w.at for w in batch))


@dataclass
class PullResult:
    pulled: int = 0  # avatars added or changed here
    removed: int = 0  # avatars moved to the trash here (deleted elsewhere)
    agents: int = 0
    failed: int = 0
    retrying: int = 0  # of the failed: avatars the next pull tries again (a full disk here)
    warnings: list[str] = field(default_factory=list)
    # What changed here, for the window (ecan.sync.events.Pulled) and the Activity list.
    avatar_ids: list[str] = field(default_factory=list)
    removed_ids: list[str] = field(default_factory=list)
    agent_names: list[str] = field(default_factory=list)
    activity: list[dict[str, Any]] = field(default_factory=list)


class Puller:
    """`on_added(ids)`: avatars new here so far, while a pull with many still runs (the gallery
    shows each as it arrives, not all at the end)."""

    def __init__(self, db: Database, paths: AppPaths, outbox: Outbox, cloud: Cloud,
                 library: Callable[[], AvatarLibrary],
                 on_added: Callable[[list[str]], None] | None = None, *,
                 repair: bool = True) -> None:
        self.db, self.paths, self.outbox, self.cloud = db, paths, outbox, cloud
        self._repair = repair
        self._make_library = library
        self._library: AvatarLibrary | None = None
        self._on_added = on_added
        # sha256 -> what the concurrent fetch added, reported when its entry is applied
        self._early: dict[str, tuple[ActivityKind, str, str, str]] = {}

    @property
    def library(self) -> AvatarLibrary:
        """Made on first use: loading the intake (sqlmodel, Pillow) cost more than the whole
        pull when nothing new came from other machines, which is most pulls (a third of a
        150-avatar `ecan sync`'s CPU)."""
        if self._library is None:
            self._library = self._make_library()
        return self._library

    def run(self, listed: list[ObjectInfo] | None = None) -> PullResult:
        """`listed`: the journal's entries as listing() found them a moment ago (`ecan sync`
        asks while its last entry is written: SharedPull.list_journal); None: listed now."""
        result = PullResult()
        for notice in self.outbox.take_notices():  # what the push before this one settled
            self._warn(result, notice)
        me = self.outbox.machine_id()
        position = self.outbox.journal_position()
        last = str(position.get("last") or "")
        seen = {str(k) for k in position.get("seen") or [] if isinstance(k, str)}
        base = folder(self.cloud)
        if listed is None:
            listed = listing(self.cloud, listing_start(self.outbox, self.cloud))
        new = [o for o in listed if o.key not in seen]
        entries: list[tuple[str, dict[str, Any]]] = []
        # Entries that failed for a passing reason (the network) last time: read again by key,
        # as the cursor has moved past them.
        new_keys = {o.key for o in new}
        retry = [str(k) for k in position.get("retry") or []
                 if isinstance(k, str) and k.startswith(base) and _KEY_RE.match(k[len(base):])]
        for key in retry:
            if key not in new_keys:
                doc = self._read(key, 0, result)
                if doc is not None:
                    entries.append((key, doc))
        failed_again: list[str] = []
        for o in new:
            name = o.key[len(base):]
            m = _KEY_RE.match(name)
            if m is None:
                self._warn(result, f"ignored an unexpected journal object {name[:80]!r}")
                continue
            if m.group(2) != me:
                doc = self._read(o.key, o.size, result)
                if doc is not None:
                    doc["_machine"] = m.group(2)  # from the key, which the LIST vouches for
                    entries.append((o.key, doc))
        # Avatars before agents, so an agent finds the avatar it names in the same pull.
        ordered = sorted(entries, key=lambda kd: (kd[1]["op"].startswith("agent"), kd[0]))
        self._fetch_new(ordered)
        for key, doc in ordered:
            try:
                again = self._apply(doc, result)
            except Exception as e:  # one bad entry must not stop the others
                result.failed += 1
                self._warn(result, f"{key[len(base):]}: {_detail(e)}")
                again = _passing(e)
                if again and doc["op"] == "avatar.put":
                    result.retrying += 1
            if again:
                failed_again.append(key)
        keys = [o.key for o in new] + sorted(seen)
        if keys or retry or failed_again:
            newest = max([last, *keys])
            horizon = _horizon(newest[len(base):]) or f"{0:020d}"
            keep = sorted(k for k in set(keys) if k[len(base):len(base) + 20] >= horizon)
            self.outbox.set_journal_position({"last": newest, "seen": keep,
                                              "retry": sorted(set(failed_again))[:MAX_RETRY]})
        if self._trash_in_use():
            self.library.purge_trash()
        if self._repair:
            fixed = repair.repair(self.db, self.paths, self.outbox, self.cloud)
            result.pulled += fixed.fetched  # changed here from the cloud: its original came back
            result.failed += fixed.failed
            for warning in fixed.warnings:
                self._warn(result, warning)
        self.outbox.note_activity(result.activity)
        return result

    def _fetch_new(self, ordered: list[tuple[str, dict[str, Any]]]) -> None:
        """Avatars new here, FETCH_CONCURRENCY at a time (a download is mostly waiting), before
        the entries are applied in order. Not those this pull also deletes: the ordered pass
        settles them. A failure here is left to that pass, which tries once more and says so."""
        deleted = {str(d.get("sha256")) for _k, d in ordered if d["op"] == "avatar.delete"}
        first: dict[str, dict[str, Any]] = {}
        for _key, doc in ordered:
            for meta in _avatars_put(doc):
                sha = str(meta.get("sha256", ""))
                if _SHA_RE.match(sha) and sha not in deleted and sha not in first \
                        and self.library.by_sha(sha) is None:
                    first[sha] = meta
        if not first:
            return
        announced = time.monotonic()
        waiting: list[str] = []
        with ThreadPoolExecutor(max_workers=FETCH_CONCURRENCY,
                                thread_name_prefix="ecan-pull") as pool:
            futures = {pool.submit(self._put, meta, 0.0): sha for sha, meta in first.items()}
            for future in as_completed(futures):
                try:
                    change = future.result()
                except Exception as e:
                    log.info("pull: fetching %s failed (%s); tried again in order",
                             futures[future][:12], type(e).__name__)
                    continue
                if change is None:
                    continue
                self._early[futures[future]] = change
                waiting.append(change[1])
                if self._on_added is not None and \
                        time.monotonic() - announced >= ANNOUNCE_EVERY_S:
                    self._on_added(waiting)
                    waiting, announced = [], time.monotonic()
        # The rest arrive with the pull's own Pulled, a moment later.

    def _trash_in_use(self) -> bool:
        """Anything in the trash (a plain read, without the library's intake)?"""
        conn = self.db.connect()
        try:
            return conn.execute("SELECT 1 FROM avatar WHERE deleted_at IS NOT NULL "
                                "LIMIT 1").fetchone() is not None
        finally:
            conn.close()

    def _warn(self, result: PullResult, text: str) -> None:
        log.warning("pull: %s", text)
        result.warnings.append(text)
        # The user sees it too, in the Activity list (a conflict settled, an object refused).
        result.activity.append({"kind": ActivityKind.NOTICE, "subject": "", "detail": text})

    def _read(self, key: str, size: int, result: PullResult) -> dict[str, Any] | None:
        name = key.rsplit("/", 1)[-1]
        if size > MAX_ENTRY:
            self._warn(result, f"skipped journal entry {name}: {size} bytes is over the "
                               f"{MAX_ENTRY} byte limit")
            return None
        try:
            # Bounded: the listing's size may not be what the GET then streams.
            raw = self.cloud.store.get_bytes(key, max_bytes=MAX_ENTRY)
        except KeyError:
            return None  # removed meanwhile
        except ObjectTooLarge:
            self._warn(result, f"skipped journal entry {name}: over the {MAX_ENTRY} byte limit")
            return None
        try:
            doc = json.loads(raw)
        except ValueError:
            self._warn(result, f"skipped journal entry {name}: not valid JSON")
            return None
        if not isinstance(doc, dict) or not isinstance(doc.get("op"), str) \
                or isinstance(doc.get("at"), bool) or not isinstance(doc.get("at"), int | float):
            self._warn(result, f"skipped journal entry {name}: not a change ecan knows")
            return None
        return doc

    # -- applying one entry ----------------------------------------------------------------
    def _apply(self, doc: dict[str, Any], result: PullResult) -> bool:
        """Apply one entry here; True if some of the avatars it names could not be, for a
        passing reason, and the entry is to be read again by the next pull."""
        op, at = doc["op"], float(doc["at"])
        host = doc.get("host")
        where = {"machine": str(doc.get("_machine") or ""),
                 "machine_name": _HOST_RE.sub("", host)[:64] if isinstance(host, str) else ""}

        def note(kind: ActivityKind, subject: str, avatar_id: str | None = None,
                 detail: str = "") -> None:
            result.activity.append({"kind": kind, "subject": subject, "avatar_id": avatar_id,
                                    "detail": detail, "at": at, **where})

        if op == "avatar.put":
            meta = doc.get("avatar")
            if not isinstance(meta, dict) or not _SHA_RE.match(str(meta.get("sha256", ""))):
                raise _bad("its avatar has no checksum")
            early = self._early.pop(str(meta["sha256"]), None)
            change = early if early is not None else self._put(meta, at)
            if change is not None:
                result.pulled += 1
                kind, avatar_id, name, before = change
                result.avatar_ids.append(avatar_id)
                note(kind, name, avatar_id, before)
        elif op == "avatars.put":  # several avatar.put entries in one object (AvatarPuts)
            each = doc.get("avatars")
            if not isinstance(each, list):
                raise _bad("it lists no avatars")
            again = False
            for item in each:  # one bad avatar must not stop the others
                one = item if isinstance(item, dict) else {}
                when = one.get("at")
                try:
                    self._apply({**doc, "op": "avatar.put", "avatar": one.get("avatar"),
                                 "at": when if isinstance(when, int | float)
                                 and not isinstance(when, bool) else at}, result)
                except Exception as e:
                    result.failed += 1
                    self._warn(result, _detail(e))
                    if _passing(e):  # the whole entry again: the others are no-ops then
                        again = True
                        result.retrying += 1
            return again
        elif op == "avatar.delete":
            sha = str(doc.get("sha256", ""))
            if not _SHA_RE.match(sha):
                raise _bad("it names no checksum")
            avatar = self.library.by_sha(sha)
            if avatar is not None and self.library.remove_remote(avatar.id, at) == "trashed":
                result.removed += 1
                result.removed_ids.append(avatar.id)
                note(ActivityKind.DELETED, avatar.name, avatar.id)
        elif op == "agent.save":
            if self._agent_save(doc, at, result):
                result.agents += 1
                name = " ".join(str(doc["agent"]["name"]).split())[:100]
                result.agent_names.append(name)
                note(ActivityKind.AGENT_SAVED, name)
        elif op == "agent.delete":
            if self._agent_delete(doc, at, result):
                result.agents += 1
                name = " ".join(str(doc["name"]).split())[:100]
                result.agent_names.append(name)
                note(ActivityKind.AGENT_DELETED, name)
        else:
            raise _bad(f"unknown change {op[:40]!r} (written by a newer ecan?)")
        return False

    def _put(self, meta: dict[str, Any], at: float
             ) -> tuple[ActivityKind, str, str, str] | None:
        """Apply one avatar's put; what changed here as (kind, avatar id, its name now, its
        name before a rename), or None if nothing did."""
        from ecan.sync.restore import Restorer

        sha = meta["sha256"]
        avatar = self.library.by_sha(sha)
        if avatar is None:
            restorer = Restorer(self.db, self.paths, self.cloud, concurrency=1)
            restorer.library = self.library
            if self.cloud.store.head(self.cloud.layout.thumbnail(sha)) is None:
                return None  # deleted since: the later delete entry says so
            if not restorer._restore_described(sha, meta, "journal entry"):
                return None
            added = self.library.by_sha(sha)
            return None if added is None else (ActivityKind.ADDED, added.id, added.name, "")
        before = avatar.name
        kind = ActivityKind.EDITED
        changed = False
        if avatar.deleted_at is not None:
            changed = self.library.restore_from_trash_remote(avatar.id, at)
            if not changed:
                return None
            kind = ActivityKind.RESTORED
        raw_tags = meta.get("tags")
        tags: list[Any] = raw_tags if isinstance(raw_tags, list) else []
        edited = meta.get("edited_at")
        edited_at = float(edited) if isinstance(edited, int | float) \
            and not isinstance(edited, bool) else at
        changed |= self.library.apply_remote_edit(
            avatar.id, name=str(meta.get("name") or avatar.name), tags=[str(t) for t in tags],
            description=str(meta.get("description") or ""), edited_at=edited_at)
        if not changed:
            return None
        now = self.library.by_sha(sha)
        name = now.name if now is not None else before
        if kind is ActivityKind.EDITED and name != before:
            return ActivityKind.RENAMED, avatar.id, name, before
        return kind, avatar.id, name, ""

    def _agent_save(self, doc: dict[str, Any], at: float, result: PullResult) -> bool:
        agent = doc.get("agent")
        if not isinstance(agent, dict) or not isinstance(agent.get("name"), str) \
                or not agent["name"].strip():
            raise _bad("its agent has no name")
        return self._agent(dict(agent, updated_at=at, deleted=False), result)

    def _agent_delete(self, doc: dict[str, Any], at: float, result: PullResult) -> bool:
        name = doc.get("name")
        if not isinstance(name, str) or not name.strip():
            raise _bad("it names no agent")
        return self._agent({"name": name, "updated_at": at, "deleted": True}, result)

    def _agent(self, doc: dict[str, Any], result: PullResult) -> bool:
        """Apply another machine's agent change (the later edit wins, ecan.sync.agentdocs),
        and tell the user when it met an edit of the same agent made here."""
        from sqlmodel import select

        from ecan.db.models import Agent

        name = " ".join(doc["name"].split())[:100]
        me = self.outbox.machine_id()
        with self.db.session() as s:
            local = s.exec(select(Agent).where(Agent.name == name)).first()
            local_id = local.id if local is not None else None
        # Changed here too and not yet in the cloud, or the other machine's write replaced
        # this machine's edit (it says so in `overrode`): both edited it.
        overrode = doc.get("overrode")
        both = (local_id is not None and self.outbox.pending_agent_change(local_id)) or (
            isinstance(overrode, dict) and overrode.get("machine") == me)
        changed = agentdocs.apply(self.db, doc)
        if both and not changed and local_id is not None \
                and self.outbox.pending_agent_change(local_id):
            # The edit here is the later one and still to be pushed: the push finds the cloud's
            # document changed since this machine saw it, keeps this edit, marks it `overrode`
            # for the other machine, and tells the user here.
            return False
        self.outbox.set_agent_base(agentdocs.doc_id(name), float(doc["updated_at"]))
        if both:
            self._warn(result, agentdocs.conflict_message(name))
        return changed


def _avatars_put(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The avatars' metadata an entry puts (one, several, or none), shape not yet checked."""
    if doc["op"] == "avatar.put":
        each = [doc.get("avatar")]
    elif doc["op"] == "avatars.put" and isinstance(doc.get("avatars"), list):
        each = [item.get("avatar") for item in doc["avatars"] if isinstance(item, dict)]
    else:
        each = []
    return [meta for meta in each if isinstance(meta, dict)]


def _passing(e: BaseException) -> bool:
    """Worth applying again later: the network, the store, a full disk here, a bug. A refusal
    (a hostile picture, a bad entry) stays refused."""
    return is_retryable(e) or not isinstance(e, UserFacingError)


def _detail(e: BaseException) -> str:
    return e.message if isinstance(e, UserFacingError) else f"{type(e).__name__}: {e}"


def _bad(why: str) -> UserFacingError:
    return UserFacingError("bad_journal_entry", f"Skipped a change from another machine: {why}.",
                           "Nothing to do here; the other machine's next change carries on.")
