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
kept in the trash), so a repeat changes nothing.

Nothing pulled is trusted: an entry over MAX_ENTRY bytes or of the wrong shape is skipped with a
warning, and pictures go through the library's one intake (format allow-list, byte and pixel
limits) after their SHA-256 is checked."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ecan.errors import UserFacingError

if TYPE_CHECKING:
    from ecan.avatars.library import AvatarLibrary
    from ecan.db import Database
    from ecan.db.sync_state import Outbox
    from ecan.paths import AppPaths
    from ecan.sync.engine import Cloud

log = logging.getLogger("ecan.sync")

MAX_ENTRY = 64 * 1024  # bytes: an entry larger than this is not ours, and is not read
SKEW_S = 300.0  # how far machines' clocks may disagree
VERSION = 1
_KEY_RE = re.compile(r"^(\d{20})-([0-9a-f]{1,32})-([0-9a-f]{8})\.json$")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")


def folder(cloud: Cloud) -> str:
    return f"{cloud.layout.root}journal/"


def write(cloud: Cloud, machine: str, op: str, body: dict[str, Any],
          at: float | None = None) -> str:
    """Append one entry (after the change it names has reached the cloud); returns its key."""
    at = time.time() if at is None else at
    key = f"{folder(cloud)}{time.time_ns():020d}-{machine}-{uuid.uuid4().hex[:8]}.json"
    doc = {"v": VERSION, "op": op, "at": at, "machine": machine, **body}
    cloud.store.put_bytes(key, json.dumps(doc, sort_keys=True).encode(),
                          content_type="application/json")
    return key


BATCH_BYTES = 48 * 1024  # an `avatars.put` entry stays well under MAX_ENTRY


@dataclass
class _Waiting:
    cloud: Cloud
    meta: dict[str, Any]
    at: float
    size: int
    done: bool = False
    error: BaseException | None = None


class AvatarPuts:
    """The `avatar.put` entries of one engine, written as a group commit: a worker whose avatar
    is whole in the cloud waits here until its entry is written; whoever finds no write under
    way writes every entry waiting by then (one `avatars.put` object for several). One entry
    per avatar was a third of a cold sync's requests, and the server is the bound; with 16
    workers a write takes what arrived during the one before it. An entry is written before
    its job is recorded done, as before: a crash leaves the job to run again, never an avatar
    the journal does not name."""

    def __init__(self, machine: Callable[[], str]) -> None:
        self._machine = machine
        self._cv = threading.Condition()
        self._queue: list[_Waiting] = []
        self._writing = False

    @property
    def waiting(self) -> int:
        """Entries waiting for a write (tests use it to line workers up)."""
        with self._cv:
            return len(self._queue)

    def put(self, cloud: Cloud, meta: dict[str, Any], at: float) -> None:
        """Return once this avatar's entry is in the journal; raise what its write raised."""
        me = _Waiting(cloud, meta, at, len(json.dumps(meta)))
        with self._cv:
            self._queue.append(me)
            while not me.done:
                if self._writing:
                    self._cv.wait()
                    continue
                self._writing = True
                batch = self._take()
                self._cv.release()
                error: BaseException | None = None
                try:
                    self._write(batch)
                except BaseException as e:  # noqa: BLE001 - each waiting job handles it
                    error = e
                finally:
                    self._cv.acquire()
                    for w in batch:
                        w.done, w.error = True, error
                    self._writing = False
                    self._cv.notify_all()
        if me.error is not None:
            raise me.error

    def _take(self) -> list[_Waiting]:
        """The oldest waiting entries of one cloud, up to BATCH_BYTES (at least one)."""
        first = self._queue[0]
        batch: list[_Waiting] = []
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
        return batch

    def _write(self, batch: list[_Waiting]) -> None:
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
    warnings: list[str] = field(default_factory=list)


class Puller:
    def __init__(self, db: Database, paths: AppPaths, outbox: Outbox, cloud: Cloud,
                 library: Callable[[], AvatarLibrary]) -> None:
        self.db, self.paths, self.outbox, self.cloud = db, paths, outbox, cloud
        self._make_library = library
        self._library: AvatarLibrary | None = None

    @property
    def library(self) -> AvatarLibrary:
        """Made on first use: loading the intake (sqlmodel, Pillow) cost more than the whole
        pull when nothing new came from other machines, which is most pulls (a third of a
        150-avatar `ecan sync`'s CPU)."""
        if self._library is None:
            self._library = self._make_library()
        return self._library

    def run(self) -> PullResult:
        result = PullResult()
        me = self.outbox.machine_id()
        position = self.outbox.journal_position()
        last = str(position.get("last") or "")
        seen = {str(k) for k in position.get("seen") or [] if isinstance(k, str)}
        base = folder(self.cloud)
        start = ""
        if last.startswith(base) and _KEY_RE.match(last[len(base):]):
            ns = int(last[len(base):len(base) + 20]) - int(SKEW_S * 1e9)
            start = f"{base}{max(ns, 0):020d}"
        new = [o for o in self.cloud.store.list(base, start_after=start) if o.key not in seen]
        entries: list[tuple[str, dict[str, Any]]] = []
        for o in new:
            name = o.key[len(base):]
            m = _KEY_RE.match(name)
            if m is None:
                self._warn(result, f"ignored an unexpected journal object {name[:80]!r}")
                continue
            if m.group(2) != me:
                doc = self._read(o.key, o.size, result)
                if doc is not None:
                    entries.append((o.key, doc))
        # Avatars before agents, so an agent finds the avatar it names in the same pull.
        for key, doc in sorted(entries, key=lambda kd: (kd[1]["op"].startswith("agent"), kd[0])):
            try:
                self._apply(doc, result)
            except Exception as e:  # one bad entry must not stop the others
                detail = e.message if isinstance(e, UserFacingError) else f"{type(e).__name__}: {e}"
                result.failed += 1
                self._warn(result, f"{key[len(base):]}: {detail}")
        keys = [o.key for o in new] + sorted(seen)
        if keys:
            newest = max([last, *keys])
            horizon_ns = int(newest[len(base):len(base) + 20]) - int(SKEW_S * 1e9) \
                if _KEY_RE.match(newest[len(base):]) else 0
            keep = sorted(k for k in set(keys) if k[len(base):len(base) + 20]
                          >= f"{max(horizon_ns, 0):020d}")
            self.outbox.set_journal_position({"last": newest, "seen": keep})
        if self._trash_in_use():
            self.library.purge_trash()
        return result

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

    def _read(self, key: str, size: int, result: PullResult) -> dict[str, Any] | None:
        name = key.rsplit("/", 1)[-1]
        if size > MAX_ENTRY:
            self._warn(result, f"skipped journal entry {name}: {size} bytes is over the "
                               f"{MAX_ENTRY} byte limit")
            return None
        try:
            raw = self.cloud.store.get_bytes(key)
        except KeyError:
            return None  # removed meanwhile
        if len(raw) > MAX_ENTRY:
            self._warn(result, f"skipped journal entry {name}: over the size limit")
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
    def _apply(self, doc: dict[str, Any], result: PullResult) -> None:
        op, at = doc["op"], float(doc["at"])
        if op == "avatar.put":
            meta = doc.get("avatar")
            if not isinstance(meta, dict) or not _SHA_RE.match(str(meta.get("sha256", ""))):
                raise _bad("its avatar has no checksum")
            if self._put(meta, at):
                result.pulled += 1
        elif op == "avatars.put":  # several avatar.put entries in one object (AvatarPuts)
            each = doc.get("avatars")
            if not isinstance(each, list):
                raise _bad("it lists no avatars")
            for item in each:  # one bad avatar must not stop the others
                one = item if isinstance(item, dict) else {}
                when = one.get("at")
                try:
                    self._apply({"op": "avatar.put", "avatar": one.get("avatar"),
                                 "at": when if isinstance(when, int | float)
                                 and not isinstance(when, bool) else at}, result)
                except Exception as e:
                    result.failed += 1
                    self._warn(result, e.message if isinstance(e, UserFacingError)
                               else f"{type(e).__name__}: {e}")
        elif op == "avatar.delete":
            sha = str(doc.get("sha256", ""))
            if not _SHA_RE.match(sha):
                raise _bad("it names no checksum")
            avatar = self.library.by_sha(sha)
            if avatar is not None and self.library.remove_remote(avatar.id, at) == "trashed":
                result.removed += 1
        elif op == "agent.save":
            if self._agent_save(doc, at):
                result.agents += 1
        elif op == "agent.delete":
            if self._agent_delete(doc, at):
                result.agents += 1
        else:
            raise _bad(f"unknown change {op[:40]!r} (written by a newer ecan?)")

    def _put(self, meta: dict[str, Any], at: float) -> bool:
        from ecan.sync.restore import Restorer

        sha = meta["sha256"]
        avatar = self.library.by_sha(sha)
        if avatar is None:
            restorer = Restorer(self.db, self.paths, self.cloud, concurrency=1)
            restorer.library = self.library
            if self.cloud.store.head(self.cloud.layout.thumbnail(sha)) is None:
                return False  # deleted since: the later delete entry says so
            return restorer._restore_described(sha, meta, "journal entry")
        changed = False
        if avatar.deleted_at is not None:
            changed = self.library.restore_from_trash_remote(avatar.id, at)
            if not changed:
                return False
        raw_tags = meta.get("tags")
        tags: list[Any] = raw_tags if isinstance(raw_tags, list) else []
        edited = meta.get("edited_at")
        edited_at = float(edited) if isinstance(edited, int | float) \
            and not isinstance(edited, bool) else at
        changed |= self.library.apply_remote_edit(
            avatar.id, name=str(meta.get("name") or avatar.name), tags=[str(t) for t in tags],
            description=str(meta.get("description") or ""), edited_at=edited_at)
        return changed

    def _agent_save(self, doc: dict[str, Any], at: float) -> bool:
        from sqlmodel import select

        from ecan.db.models import Agent, Avatar

        agent = doc.get("agent")
        if not isinstance(agent, dict) or not isinstance(agent.get("name"), str) \
                or not agent["name"].strip():
            raise _bad("its agent has no name")
        name = " ".join(agent["name"].split())[:100]
        description = agent.get("description")
        description = description[:2000] if isinstance(description, str) else ""
        sha = agent.get("avatar_sha256")
        with self.db.session() as s:
            avatar_id = None
            if isinstance(sha, str) and _SHA_RE.match(sha):
                avatar_id = s.exec(select(Avatar.id).where(Avatar.sha256 == sha)).first()
            local = s.exec(select(Agent).where(Agent.name == name)).first()
            if local is None:
                s.add(Agent(name=name, description=description, avatar_id=avatar_id,
                            created_at=at, updated_at=at))
                return True
            if at <= local.updated_at:
                return False  # edited here later: the later edit wins
            local.description, local.avatar_id, local.updated_at = description, avatar_id, at
            s.add(local)
        return True

    def _agent_delete(self, doc: dict[str, Any], at: float) -> bool:
        from sqlmodel import select

        from ecan.db.models import Agent

        name = doc.get("name")
        if not isinstance(name, str):
            raise _bad("it names no agent")
        with self.db.session() as s:
            local = s.exec(select(Agent).where(Agent.name == " ".join(name.split()))).first()
            if local is None or at <= local.updated_at:
                return False  # saved here after that deletion: it stays
            s.delete(local)
        return True


def _bad(why: str) -> UserFacingError:
    return UserFacingError("bad_journal_entry", f"Skipped a change from another machine: {why}.",
                           "Nothing to do here; the other machine's next change carries on.")
