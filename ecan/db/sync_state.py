"""The sync rules, in one place: every write of an avatar's `sync_state` and every outbox job.
To change what a change to the library queues, or how a job moves along, change it here; no
other module writes these (tests/unit/test_architecture.py checks it).

Two sides of one state machine:
- the library's side (`insert_avatar`, `queue_upload`, `requeue`, `queue_delete`,
  `avatar_bound`, `queue_agents`): statements run inside the caller's write transaction, so a
  row and its job commit together (a sqlmodel session passes `ecan.db.database.tx_of(s)`);
- the sync engine's side (`Outbox`): claims and outcomes, each guarded by the state it
  expects, so two processes (the app's engine and `ecan sync`) never run one job twice.

A job (JobStatus): READY -claim-> IN_FLIGHT -> DONE | READY (retry later) | FAILED (waits for
the user's retry, which makes it READY again). A job is never dropped.
An avatar (SyncState) moves with its upload job in the same transaction: queued -claim->
syncing -> synced | queued (retry, or changed meanwhile) | failed; editing it, giving it a
video, or an agent using a failed one makes it queued again."""

from __future__ import annotations

import enum
import json
import os
import secrets
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecan.db.database import connect
from ecan.logsetup import redact


class SyncState(enum.StrEnum):
    """What the user sees per avatar (contract values). `local` is shown, never stored: it is
    `queued` while no cloud is configured."""

    LOCAL = "local"
    QUEUED = "queued"
    SYNCING = "syncing"
    SYNCED = "synced"
    FAILED = "failed"


class JobKind(enum.StrEnum):
    UPLOAD = "upload"  # original + thumbnail (+ video) of an avatar
    DELETE = "delete"  # tombstone: remove an avatar's objects in the cloud
    METADATA = "metadata"  # the agent bindings a second machine needs


class JobStatus(enum.IntEnum):
    READY = 0
    IN_FLIGHT = 1
    DONE = 2
    FAILED = 3  # permanent error; waits for the user's "retry"


READY, IN_FLIGHT, DONE, FAILED = (int(s) for s in JobStatus)  # for the SQL below
# The lease: an in-flight job whose owner has not touched it for this long is presumed orphaned.
# The owner heartbeats every HEARTBEAT_S for as long as the job runs, whatever its size, so a
# live job is not taken over (only a process stopped, or a machine asleep, for a whole lease).
STALE_AFTER_S = 600.0
HEARTBEAT_S = 30.0
# Where the library last synced to (ecan.auth.cloud.CloudAccess.target).
TARGET_KEY = "sync.target"
_CLOUD_COLUMNS = {"cloud_image_key", "cloud_thumb_key", "cloud_video_key", "cloud_image_url",
                  "cloud_thumb_url"}

# A delete (or any later job) of an avatar must wait while another job of the same avatar is in
# flight: otherwise a delete could race its own upload and leave orphaned objects behind.
# In id order down (status, id), stopping at the first claimable job: the planner left to itself
# (no statistics in a library) takes the next_attempt_at range and sorts the whole queue, which
# made each claim O(queue) and a run O(queue^2).
_CLAIM_SQL = f"""
UPDATE outbox SET status = {IN_FLIGHT}, locked_at = :now, locked_by = :me,
       attempts = attempts + 1, updated_at = :now
WHERE id = (
    SELECT o.id FROM outbox o INDEXED BY ix_outbox_status_id
    WHERE o.status = {READY} AND o.next_attempt_at <= :now
      AND (o.avatar_id IS NULL OR NOT EXISTS (
          SELECT 1 FROM outbox b WHERE b.avatar_id = o.avatar_id AND b.status = {IN_FLIGHT}))
      AND (o.kind != 'metadata' OR NOT EXISTS (
          SELECT 1 FROM outbox m WHERE m.kind = 'metadata' AND m.status = {IN_FLIGHT}))
    ORDER BY o.id LIMIT 1)
RETURNING id, kind, avatar_id, payload, attempts, locked_by, identity_id, last_error
"""


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    avatar_id: str | None
    payload: dict[str, Any]
    attempts: int  # including this one
    locked_by: str
    # The identity it was queued for (None: a library bound to none): never run as another.
    identity_id: str | None = None
    # An upload's avatar row, read in the claiming transaction (saves a round trip on the
    # connection all workers share); None for other kinds, or if the row is gone.
    avatar_row: sqlite3.Row | None = field(default=None, compare=False, repr=False)
    # A try before this one ended without success (an error, a stop, a crash): some of its
    # requests may have got through.
    tried_before: bool = False


def make_owner_id() -> str:
    """host:pid:random: the pid lets a restarted process see that the owner is gone."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def _owner_dead(owner: str | None) -> bool:
    if not owner:
        return True
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False  # another machine sharing the folder: only staleness can tell
    pid = int(pid_text)
    if pid == os.getpid():
        return False  # a live engine in this very process (tests run two)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


# ---- the library's side: statements in the caller's write transaction ----------------------

# Settings this module owns: the library's machine id in journal keys, and the pull's place in
# the journal (its cursor).
MACHINE_KEY = "sync.machine_id"
JOURNAL_KEY = "sync.journal_position"
AGENT_BASES_KEY = "sync.agent_bases"  # agent document id -> the edit time last seen in the cloud
NOTICES_KEY = "sync.notices"  # what a push found for the next pull to report (ecan.sync)
MAX_NOTICES = 50
# The user's pause: "1" while paused; with an end (epoch seconds) for a timed pause, which is
# over by itself once that time has passed (also across restarts, and for `ecan status`).
PAUSED_KEY = "sync.paused"
PAUSED_UNTIL_KEY = "sync.paused_until"


@dataclass(frozen=True)
class PauseState:
    paused: bool
    until: float | None = None  # epoch seconds; None while paused: until resumed

# The one metadata job's payload: the agent bindings (one waiting job covers every change).
METADATA_AGENTS = json.dumps({"what": "agents"})


def insert_avatar(c: sqlite3.Connection, row: Mapping[str, Any], *,
                  now: float | None = None) -> None:
    """Insert an avatar row (column -> value) and, unless it arrives synced (a built-in avatar,
    one restored from the cloud), its upload job. Raises sqlite3.IntegrityError when the
    picture is in the library already."""
    state = row.get("sync_state", SyncState.QUEUED.value)
    if state not in (SyncState.QUEUED.value, SyncState.SYNCED.value):
        raise ValueError(f"an avatar starts queued or synced, not {state!r}")
    columns = list(row)
    if not all(col.isidentifier() for col in columns):
        raise ValueError(f"not column names: {columns!r}")
    c.execute(f"INSERT INTO avatar ({', '.join(columns)}) "
              f"VALUES ({', '.join('?' * len(columns))})", tuple(row.values()))
    if state != SyncState.SYNCED.value:
        queue_upload(c, str(row["id"]), now=now)
        if row.get("resource_type") != "system":
            note_activity(c, ActivityKind.ADDED, str(row.get("name") or ""),
                          avatar_id=str(row["id"]), at=now)


def queue_upload(c: sqlite3.Connection, avatar_id: str, *, count_in_flight: bool = True,
                 now: float | None = None) -> bool:
    """Add an upload job for the avatar unless one is waiting (or, with `count_in_flight`,
    running); True if one was added. Without `count_in_flight`: a running upload may have read
    the avatar before the change that calls for this one."""
    statuses = f"{READY}, {IN_FLIGHT}" if count_in_flight else f"{READY}"
    if c.execute(f"SELECT 1 FROM outbox WHERE avatar_id = ? AND kind = 'upload' "
                 f"AND status IN ({statuses}) LIMIT 1", (avatar_id,)).fetchone():
        return False
    now = time.time() if now is None else now
    c.execute("INSERT INTO outbox (kind, avatar_id, payload, created_at, updated_at) "
              "VALUES ('upload', ?, '{}', ?, ?)", (avatar_id, now, now))
    return True


def requeue(c: sqlite3.Connection, avatar_id: str, *, now: float | None = None) -> None:
    """The avatar changed (renamed, described, tagged, a video attached): it syncs again, so
    the cloud's copy follows (unchanged files are found in place, not sent again)."""
    now = time.time() if now is None else now
    c.execute("UPDATE avatar SET sync_state = 'queued', sync_error = NULL, sync_hint = NULL, "
              "updated_at = ? WHERE id = ? AND sync_state IN ('synced', 'failed')",
              (now, avatar_id))
    queue_upload(c, avatar_id, count_in_flight=False, now=now)


def avatar_bound(c: sqlite3.Connection, avatar_id: str, *, now: float | None = None) -> None:
    """An agent uses the avatar now: make sure it reaches the cloud (a failed one is tried
    again; a synced one needs nothing)."""
    found = c.execute("SELECT sync_state FROM avatar WHERE id = ?", (avatar_id,)).fetchone()
    if found is None or found[0] == SyncState.SYNCED.value:
        return
    now = time.time() if now is None else now
    c.execute("UPDATE avatar SET sync_state = 'queued', sync_error = NULL, sync_hint = NULL, "
              "updated_at = ? WHERE id = ? AND sync_state = 'failed'", (now, avatar_id))
    queue_upload(c, avatar_id, now=now)


def queue_agents(c: sqlite3.Connection, *, agent_id: str | None = None,
                 deleted_name: str | None = None, now: float | None = None) -> None:
    """The agent bindings changed: one metadata job carries them (a waiting one covers us).
    `agent_id` (saved) or `deleted_name` (deleted): that one agent's change also goes to the
    journal (ecan.sync.journal), so another machine merges it instead of overwriting."""
    now = time.time() if now is None else now
    if agent_id is not None or deleted_name is not None:
        change = json.dumps({"what": "agent", "id": agent_id, "deleted": deleted_name,
                             "at": now})
        c.execute("INSERT INTO outbox (kind, avatar_id, payload, created_at, updated_at) "
                  "VALUES ('metadata', NULL, ?, ?, ?)", (change, now, now))
        if deleted_name is not None:
            note_activity(c, ActivityKind.AGENT_DELETED, deleted_name, at=now)
        else:
            row = c.execute("SELECT name FROM agent WHERE id = ?", (agent_id,)).fetchone()
            if row is not None:
                note_activity(c, ActivityKind.AGENT_SAVED, str(row[0]), at=now)
    if c.execute(f"SELECT 1 FROM outbox WHERE kind = 'metadata' AND payload = ? "
                 f"AND status = {READY} LIMIT 1", (METADATA_AGENTS,)).fetchone():
        return
    c.execute("INSERT INTO outbox (kind, avatar_id, payload, created_at, updated_at) "
              "VALUES ('metadata', NULL, ?, ?, ?)", (METADATA_AGENTS, now, now))


def queue_delete(c: sqlite3.Connection, avatar_id: str, *, now: float | None = None) -> None:
    """Before the avatar's row goes: its waiting uploads go, and a delete job takes what the
    cloud must lose (the checksums, since the row will be gone). A video another avatar still
    shows stays in the cloud; so does a picture, which the engine checks at delete time."""
    row = c.execute("SELECT sha256, ext, video_sha256, video_ext, name FROM avatar WHERE id = ?",
                    (avatar_id,)).fetchone()
    if row is None:
        return
    note_activity(c, ActivityKind.DELETED, str(row[4]), avatar_id=avatar_id, at=now)
    sha, ext, video_sha, video_ext = row[0], row[1], row[2], row[3]
    if video_sha and c.execute("SELECT 1 FROM avatar WHERE video_sha256 = ? AND id != ? "
                               "AND deleted_at IS NULL LIMIT 1",
                               (video_sha, avatar_id)).fetchone():
        video_sha = video_ext = None
    c.execute(f"DELETE FROM outbox WHERE avatar_id = ? AND kind = 'upload' AND status = {READY}",
              (avatar_id,))
    now = time.time() if now is None else now
    payload = json.dumps({"sha256": sha, "ext": ext, "video_sha256": video_sha,
                          "video_ext": video_ext, "at": now})
    c.execute("INSERT INTO outbox (kind, avatar_id, payload, created_at, updated_at) "
              "VALUES ('delete', ?, ?, ?, ?)", (avatar_id, payload, now, now))


def forget_jobs(c: sqlite3.Connection, avatar_id: str) -> None:
    """Before the avatar's row goes without touching the cloud (it moved into an account's
    library, which queues its own upload): its jobs here go too, and no delete job is queued."""
    c.execute("DELETE FROM outbox WHERE avatar_id = ?", (avatar_id,))


def forget_uploads(c: sqlite3.Connection, avatar_id: str) -> None:
    """The avatar went to the trash because another machine deleted it: its waiting uploads go,
    and no delete job is queued (the cloud has lost it already; the journal says so)."""
    c.execute(f"DELETE FROM outbox WHERE avatar_id = ? AND kind = 'upload' AND status = {READY}",
              (avatar_id,))


# ---- the Activity list ----------------------------------------------------------------------
# What the window's Activity view lists: changes made here (recorded with the change, in its
# transaction) and pulled from other machines, and failures with their fix. Only the newest
# ACTIVITY_KEEP rows are kept; older ones are dropped every ACTIVITY_PRUNE_EVERY rows, so an
# import of thousands pays one small DELETE per batch of rows, not one per avatar.
ACTIVITY_KEEP = 200
ACTIVITY_PRUNE_EVERY = 50
NOTICE_REPEAT_S = 3600.0  # the same notice again within this: not another row


class ActivityKind(enum.StrEnum):
    ADDED = "added"
    EDITED = "edited"
    RENAMED = "renamed"  # detail: the name before
    DELETED = "deleted"
    RESTORED = "restored"  # back from the trash
    AGENT_SAVED = "agent_saved"
    AGENT_DELETED = "agent_deleted"
    UPLOAD_FAILED = "upload_failed"  # detail: what went wrong, hint: the fix
    PULL_FAILED = "pull_failed"
    NOTICE = "notice"  # detail: what a pull settled or refused (a conflict, a hostile object)


_ACTIVITY_COLUMNS = ("at", "kind", "subject", "detail", "hint", "avatar_id", "machine",
                     "machine_name")


def note_activity(c: sqlite3.Connection, kind: ActivityKind, subject: str, *,
                  detail: str = "", hint: str = "", avatar_id: str | None = None,
                  machine: str | None = None, machine_name: str = "",
                  at: float | None = None) -> None:
    """One row of the Activity list, inside the caller's transaction (`machine` None: this
    computer). Messages are redacted: a secret never reaches the database. A notice the list
    already holds from the last NOTICE_REPEAT_S is not added again: a pull meeting the same
    full disk every 30 seconds would push the user's history out."""
    at = time.time() if at is None else at
    detail = redact(detail)[:500]
    if kind == ActivityKind.NOTICE and c.execute(
            "SELECT 1 FROM activity WHERE kind = ? AND detail = ? AND at > ? LIMIT 1",
            (kind.value, detail, at - NOTICE_REPEAT_S)).fetchone() is not None:
        return
    cur = c.execute(
        f"INSERT INTO activity ({', '.join(_ACTIVITY_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (at, kind.value, subject[:255], detail, redact(hint)[:500], avatar_id,
         machine, machine_name[:64]))
    if (cur.lastrowid or 0) % ACTIVITY_PRUNE_EVERY == 0:
        c.execute("DELETE FROM activity WHERE id <= (SELECT id FROM activity "
                  "ORDER BY id DESC LIMIT 1 OFFSET ?)", (ACTIVITY_KEEP,))


def recent_activity(c: sqlite3.Connection, limit: int = ACTIVITY_KEEP) -> list[dict[str, Any]]:
    """The Activity list, newest first."""
    rows = c.execute(f"SELECT id, {', '.join(_ACTIVITY_COLUMNS)} FROM activity "
                     "ORDER BY at DESC, id DESC LIMIT ?", (max(0, min(limit, ACTIVITY_KEEP)),))
    return [dict(zip(("id", *_ACTIVITY_COLUMNS), row, strict=True)) for row in rows]


# ---- the sync engine's side -----------------------------------------------------------------

class Outbox:
    """One raw sqlite3 connection, serialised by a lock (statements are short; uploads are
    not done under it). `owner` identifies this engine in `locked_by`."""

    def __init__(self, db_path: Path, owner: str | None = None) -> None:
        self.path = db_path
        self.owner = owner or make_owner_id()
        self.stale_after_s = STALE_AFTER_S  # the lease (tests shorten it)
        self._conn = connect(db_path)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE: take the write lock up front, so two processes never deadlock
        upgrading a read lock."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def _query(self, sql: str, args: Any = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    # -- start-up ------------------------------------------------------------------------
    def recover(self, now: float | None = None) -> int:
        """Jobs left in flight by a dead process (or untouched for STALE_AFTER_S) go back to
        READY; their avatars back to queued. The interrupted attempt is not counted."""
        now = time.time() if now is None else now
        rows = self._query(f"SELECT id, avatar_id, locked_by, locked_at FROM outbox "
                           f"WHERE status = {IN_FLIGHT}")
        count = 0
        for r in rows:
            if r["locked_by"] == self.owner:
                continue
            if not (_owner_dead(r["locked_by"])
                    or (r["locked_at"] or 0) < now - self.stale_after_s):
                continue
            with self._tx() as c:
                cur = c.execute(
                    f"UPDATE outbox SET status = {READY}, locked_at = NULL, locked_by = NULL, "
                    f"attempts = MAX(attempts - 1, 0), next_attempt_at = ?, updated_at = ?, "
                    f"last_error = 'interrupted' "
                    f"WHERE id = ? AND status = {IN_FLIGHT} AND locked_by IS ?",
                    (now, now, r["id"], r["locked_by"]))
                if cur.rowcount and r["avatar_id"]:
                    c.execute("UPDATE avatar SET sync_state = 'queued', updated_at = ? "
                              "WHERE id = ? AND sync_state = 'syncing'", (now, r["avatar_id"]))
                count += cur.rowcount
        return count

    # -- claiming ------------------------------------------------------------------------
    def claim(self, now: float | None = None) -> Job | None:
        now = time.time() if now is None else now
        with self._tx() as c:
            return self._claim_in(c, now)

    def _claim_in(self, c: sqlite3.Connection, now: float) -> Job | None:
        row = c.execute(_CLAIM_SQL, {"now": now, "me": self.owner}).fetchone()
        if row is None:
            return None
        avatar_row = None
        if row["kind"] == "upload" and row["avatar_id"]:
            c.execute("UPDATE avatar SET sync_state = 'syncing', updated_at = ? "
                      "WHERE id = ? AND sync_state IN ('queued', 'failed', 'synced')",
                      (now, row["avatar_id"]))
            avatar_row = c.execute("SELECT * FROM avatar WHERE id = ?",
                                   (row["avatar_id"],)).fetchone()
        try:
            payload = json.loads(row["payload"] or "{}")
        except ValueError:
            payload = {}
        return Job(row["id"], row["kind"], row["avatar_id"],
                   payload if isinstance(payload, dict) else {}, row["attempts"], row["locked_by"],
                   row["identity_id"], avatar_row, tried_before=row["last_error"] is not None)

    def heartbeat(self, job: Job) -> bool:
        """Renew the claim; False if the job is no longer ours (taken over, or settled)."""
        with self._tx() as c:
            return c.execute(
                f"UPDATE outbox SET locked_at = ? WHERE id = ? AND status = {IN_FLIGHT} "
                f"AND locked_by = ?", (time.time(), job.id, job.locked_by)).rowcount == 1

    def held_by_another(self, job: Job) -> bool:
        """Whether another engine holds `job` now (it took the claim over)."""
        return bool(self._query(
            f"SELECT 1 FROM outbox WHERE id = ? AND status = {IN_FLIGHT} "
            "AND locked_by IS NOT NULL AND locked_by != ?", (job.id, job.locked_by)))

    # -- outcomes (each guarded: only the owner of an in-flight job may move it) -------------
    def _guarded(self, c: sqlite3.Connection, job: Job, set_sql: str, args: tuple[Any, ...]
                 ) -> bool:
        cur = c.execute(f"UPDATE outbox SET {set_sql}, locked_at = NULL, locked_by = NULL, "
                        f"updated_at = ? WHERE id = ? AND status = {IN_FLIGHT} AND locked_by = ?",
                        (*args, time.time(), job.id, job.locked_by))
        return cur.rowcount == 1

    def complete(self, job: Job, avatar_update: dict[str, Any] | None = None) -> bool:
        """DONE; for an upload, record the cloud keys/URLs and mark the avatar synced (or
        queued, if another upload of it is still waiting, e.g. a video attached meanwhile)."""
        return self.complete_and_claim(job, avatar_update, claim_next=False)[0]

    def complete_and_claim(self, job: Job, avatar_update: dict[str, Any] | None = None, *,
                           claim_next: bool = True,
                           removed: tuple[str | None, str | None] = (None, None)
                           ) -> tuple[bool, Job | None]:
        """complete(), and (if it took) claim the next job in the same transaction: one write
        lock and one commit per job instead of two, which is what many small uploads queue on.
        `removed`: the (picture, video) sha256 whose objects a delete job removed; avatars that
        use them by now get an upload job again, in this transaction (see engine._delete)."""
        now = time.time()
        with self._tx() as c:
            if not self._complete_in(c, job, avatar_update, removed, now):
                return False, None
            return True, self._claim_in(c, now) if claim_next else None

    def complete_all(self, done: Sequence[tuple[Job, dict[str, Any] | None]]) -> list[bool]:
        """complete() for several jobs (each with its avatar's cloud columns) in one
        transaction: one commit for the avatars one journal entry names, not one each."""
        now = time.time()
        with self._tx() as c:
            return [self._complete_in(c, job, update, (None, None), now) for job, update in done]

    def _complete_in(self, c: sqlite3.Connection, job: Job, avatar_update: dict[str, Any] | None,
                     removed: tuple[str | None, str | None], now: float) -> bool:
        if not self._guarded(c, job, f"status = {DONE}, last_error = NULL", ()):
            return False
        if removed != (None, None):
            self._requeue_users(c, removed, now)
        if job.kind == "upload" and job.avatar_id and avatar_update is not None:
            pending = c.execute(
                f"SELECT 1 FROM outbox WHERE avatar_id = ? AND kind = 'upload' AND status IN "
                f"({READY}, {IN_FLIGHT})", (job.avatar_id,)).fetchone()
            bad = set(avatar_update) - _CLOUD_COLUMNS
            if bad:
                raise ValueError(f"not a cloud column: {sorted(bad)}")
            cols = "".join(f"{k} = :{k}, " for k in avatar_update)
            c.execute(f"UPDATE avatar SET {cols}sync_state = :state, sync_error = NULL, "
                      f"sync_hint = NULL, cloud_synced_at = :now, updated_at = :now "
                      f"WHERE id = :id",
                      {**avatar_update, "state": "queued" if pending else "synced",
                       "now": now, "id": job.avatar_id})
        return True

    def _requeue_users(self, c: sqlite3.Connection, removed: tuple[str | None, str | None],
                       now: float) -> None:
        image_sha, video_sha = removed
        # A failed avatar keeps its failed job: the user's retry uploads it, objects and all.
        users = c.execute("SELECT id FROM avatar WHERE ((? IS NOT NULL AND sha256 = ?) "
                          "OR (? IS NOT NULL AND video_sha256 = ?)) AND sync_state != 'failed' "
                          "AND deleted_at IS NULL",
                          (image_sha, image_sha, video_sha, video_sha)).fetchall()
        for (avatar_id,) in users:
            queue_upload(c, avatar_id, count_in_flight=False, now=now)
            c.execute("UPDATE avatar SET sync_state = 'queued', updated_at = ? "
                      "WHERE id = ? AND sync_state = 'synced'", (now, avatar_id))

    def content_in_use(self, image_sha: str | None, video_sha: str | None) -> bool:
        """Does an avatar in the library show this picture (or this video)?"""
        return bool(self._query(
            "SELECT 1 FROM avatar WHERE ((? IS NOT NULL AND sha256 = ?) "
            "OR (? IS NOT NULL AND video_sha256 = ?)) AND deleted_at IS NULL LIMIT 1",
            (image_sha, image_sha, video_sha, video_sha)))

    def retry_later(self, job: Job, error: str, next_attempt_at: float, *,
                    count_attempt: bool = True) -> bool:
        """Back to READY after a transient error (or an auth pause: the attempt is not counted)."""
        error = redact(error)  # an error's text may quote a URL, a header or a key
        with self._tx() as c:
            ok = self._guarded(
                c, job, "status = ?, last_error = ?, next_attempt_at = ?, attempts = attempts - ?",
                (READY, error[:500], next_attempt_at, 0 if count_attempt else 1))
            if ok and job.kind == "upload" and job.avatar_id:
                c.execute("UPDATE avatar SET sync_state = 'queued', sync_error = ?, updated_at = ? "
                          "WHERE id = ? AND sync_state = 'syncing'",
                          (error[:500] if count_attempt else None, time.time(), job.avatar_id))
        return ok

    def fail(self, job: Job, message: str, hint: str) -> bool:
        """FAILED for good: waits for the user's retry. The avatar shows the reason and the fix."""
        message, hint = redact(message), redact(hint)
        with self._tx() as c:
            ok = self._guarded(c, job, "status = ?, last_error = ?", (FAILED, message[:500]))
            if ok and job.kind == "upload" and job.avatar_id:
                c.execute("UPDATE avatar SET sync_state = 'failed', sync_error = ?, sync_hint = ?, "
                          "updated_at = ? WHERE id = ?",
                          (message[:500], hint[:500], time.time(), job.avatar_id))
                row = c.execute("SELECT name FROM avatar WHERE id = ?",
                                (job.avatar_id,)).fetchone()
                if row is not None:
                    note_activity(c, ActivityKind.UPLOAD_FAILED, str(row[0]), detail=message,
                                  hint=hint, avatar_id=job.avatar_id)
        return ok

    def hold(self, job: Job, message: str, until: float) -> bool:
        """Back to READY, untouched (attempt not counted), not before `until`, saying why: a job
        that must not run now (it belongs to another identity than the signed-in one)."""
        message = redact(message)
        with self._tx() as c:
            ok = self._guarded(
                c, job, "status = ?, last_error = ?, next_attempt_at = ?, attempts = attempts - 1",
                (READY, message[:500], until))
            if ok and job.kind == "upload" and job.avatar_id:
                c.execute("UPDATE avatar SET sync_state = 'queued', sync_error = ?, updated_at = ? "
                          "WHERE id = ? AND sync_state = 'syncing'",
                          (message[:500], time.time(), job.avatar_id))
        return ok

    def release(self, job: Job) -> bool:
        """Give a job back untouched (shutdown abandoned it mid-way): READY, attempt not counted."""
        return self.retry_later(job, "interrupted", 0.0, count_attempt=False)

    # -- user actions and queries ----------------------------------------------------------
    def retry_failed(self, avatar_id: str | None = None) -> int:
        now = time.time()
        where = f"status = {FAILED}" + (" AND avatar_id = ?" if avatar_id else "")
        args: tuple[Any, ...] = (avatar_id,) if avatar_id else ()
        with self._tx() as c:
            cur = c.execute(f"UPDATE outbox SET status = {READY}, attempts = 0, "
                            f"next_attempt_at = ?, updated_at = ? WHERE {where}", (now, now, *args))
            c.execute("UPDATE avatar SET sync_state = 'queued', sync_error = NULL, "
                      "sync_hint = NULL, updated_at = ? WHERE sync_state = 'failed'"
                      + (" AND id = ?" if avatar_id else ""), (now, *args))
            return cur.rowcount

    def expedite(self) -> int:
        """The network is back: waiting jobs are due now, not at the end of their backoff."""
        now = time.time()
        with self._tx() as c:
            return c.execute(f"UPDATE outbox SET next_attempt_at = ? WHERE status = {READY} "
                             f"AND next_attempt_at > ?", (now, now)).rowcount

    def next_due(self) -> float | None:
        """When the earliest READY job becomes due (None: nothing is waiting)."""
        row = self._query(f"SELECT MIN(next_attempt_at) FROM outbox WHERE status = {READY}")
        return row[0][0] if row and row[0][0] is not None else None

    def pending(self) -> int:
        return self._query(f"SELECT COUNT(*) FROM outbox WHERE status IN ({READY}, {IN_FLIGHT})"
                           )[0][0]

    def job_counts(self) -> dict[str, int]:
        names = {READY: "ready", IN_FLIGHT: "in_flight", DONE: "done", FAILED: "failed"}
        out = dict.fromkeys(names.values(), 0)
        for r in self._query("SELECT status, COUNT(*) FROM outbox GROUP BY status"):
            out[names.get(r[0], str(r[0]))] = r[1]
        return out

    def planned(self) -> tuple[int, int]:
        """(items, bytes) waiting now: what a progress bar's totals start from."""
        row = self._query(
            f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN o.kind = 'upload' THEN "
            f"COALESCE(a.bytes, 0) + COALESCE(a.video_bytes, 0) ELSE 0 END), 0) "
            f"FROM outbox o LEFT JOIN avatar a ON a.id = o.avatar_id "
            f"WHERE o.status IN ({READY}, {IN_FLIGHT})")[0]
        return int(row[0]), int(row[1])

    def avatar(self, avatar_id: str) -> sqlite3.Row | None:
        rows = self._query("SELECT * FROM avatar WHERE id = ?", (avatar_id,))
        return rows[0] if rows else None

    def agents_document(self) -> list[dict[str, Any]]:
        rows = self._query("SELECT g.name, g.description, g.created_at, a.sha256 FROM agent g "
                           "LEFT JOIN avatar a ON a.id = g.avatar_id ORDER BY g.name")
        return [{"name": r["name"], "description": r["description"], "created_at": r["created_at"],
                 "avatar_sha256": r["sha256"]} for r in rows]

    def agent_document(self, agent_id: str) -> dict[str, Any] | None:
        """One agent as the journal carries it (its avatar by checksum), or None if gone."""
        rows = self._query("SELECT g.name, g.description, g.created_at, g.updated_at, a.sha256 "
                           "FROM agent g LEFT JOIN avatar a ON a.id = g.avatar_id "
                           "WHERE g.id = ?", (agent_id,))
        if not rows:
            return None
        r = rows[0]
        return {"name": r["name"], "description": r["description"],
                "created_at": r["created_at"], "updated_at": r["updated_at"],
                "avatar_sha256": r["sha256"]}

    def avatar_counts(self) -> dict[str, int]:
        """The user's own avatars by state. Built-in (system) avatars ship with the app and are
        never the user's to sync, so counting them as "synced" would overstate the library."""
        out = {"queued": 0, "syncing": 0, "synced": 0, "failed": 0}
        # Grouped in ix_avatar_counts' order (kind, then state), so SQLite reads the index
        # once and sorts nothing; the kinds are added up here.
        for r in self._query("SELECT sync_state, COUNT(*) FROM avatar "
                             "WHERE resource_type != 'system' AND deleted_at IS NULL "
                             "GROUP BY resource_type, sync_state"):
            out[r[0]] = out.get(r[0], 0) + r[1]
        return out

    def avatar_total(self) -> int:
        """The user's own avatars (built-in ones do not count): restore into an empty library
        checks this."""
        return self._query("SELECT COUNT(*) FROM avatar WHERE resource_type != 'system'")[0][0]

    def system_count(self) -> int:
        return self._query("SELECT COUNT(*) FROM avatar WHERE resource_type = 'system'")[0][0]

    def uploads_to_check(self, small_file: int) -> tuple[int, int]:
        """(upload jobs waiting that ask the cloud what it holds first, those whose avatar
        has a video). All ask but the first try of a new avatar whose original is at most
        `small_file` bytes and has no video (SyncEngine._upload)."""
        row = self._query(f"SELECT COUNT(CASE WHEN o.last_error IS NOT NULL OR "
                          f"a.cloud_image_key IS NOT NULL OR a.video_path IS NOT NULL OR "
                          f"a.bytes > ? THEN 1 END), COUNT(a.video_path) FROM outbox o "
                          f"LEFT JOIN avatar a ON a.id = o.avatar_id "
                          f"WHERE o.kind = 'upload' AND o.status = {READY}", (small_file,))[0]
        return row[0], row[1]

    def ready_jobs(self) -> int:
        return self._query(f"SELECT COUNT(*) FROM outbox WHERE status = {READY}")[0][0]

    def held_elsewhere(self) -> int:
        """Jobs in flight under another engine that is still alive (the app's, a second
        `ecan sync`): not ours to run or to take over."""
        rows = self._query(f"SELECT locked_by FROM outbox WHERE status = {IN_FLIGHT} "
                           f"AND locked_by != ?", (self.owner,))
        return sum(1 for r in rows if not _owner_dead(r[0]))

    def pending_non_upload(self) -> int:
        return self._query(f"SELECT COUNT(*) FROM outbox WHERE kind != 'upload' AND status IN "
                           f"({READY}, {IN_FLIGHT})")[0][0]

    def retarget(self, target: str) -> int:
        """"Synced" means: in this store, under this identity's prefix. Record where this
        library syncs to; when that changed (another bucket, endpoint, prefix or identity),
        every synced avatar is queued again (its upload finds objects already there by their
        checksum and sends only what is missing) and the agents document too. Returns how many
        avatars were queued again (0 when nothing changed)."""
        if not target:
            return 0
        now = time.time()
        with self._tx() as c:
            row = c.execute("SELECT value FROM setting WHERE key = ?", (TARGET_KEY,)).fetchone()
            saved = row[0] if row else None
            if saved == target:
                return 0
            c.execute("INSERT INTO setting (key, value) VALUES (?, ?) "
                      "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (TARGET_KEY, target))
            if saved is None:
                return 0  # the first cloud this library meets: nothing was synced elsewhere
            ids = [r[0] for r in c.execute(
                "SELECT id FROM avatar WHERE sync_state = 'synced' AND resource_type != 'system'")]
            for avatar_id in ids:
                queue_upload(c, avatar_id, count_in_flight=False, now=now)
            if ids:
                c.execute("UPDATE avatar SET sync_state = 'queued', cloud_synced_at = NULL, "
                          "updated_at = ? WHERE sync_state = 'synced' AND resource_type != "
                          "'system'", (now,))
            if c.execute("SELECT 1 FROM agent LIMIT 1").fetchone():
                queue_agents(c, now=now)
            return len(ids)


    def machine_id(self) -> str:
        """This library's name in journal keys (random, made once): whose entries are ours."""
        with self._tx() as c:
            row = c.execute("SELECT value FROM setting WHERE key = ?", (MACHINE_KEY,)).fetchone()
            if row is not None:
                return str(row[0])
            value = secrets.token_hex(6)
            c.execute("INSERT INTO setting (key, value) VALUES (?, ?)", (MACHINE_KEY, value))
            return value

    def journal_position(self) -> dict[str, Any]:
        """Where the pull stands in the cloud's journal: {"last": key, "seen": [keys], "retry":
        [keys of entries to apply again]} (see
        ecan.sync.journal); empty before the first pull."""
        raw = self.get_setting(JOURNAL_KEY)
        try:
            doc = json.loads(raw) if raw else {}
        except ValueError:
            doc = {}
        return doc if isinstance(doc, dict) else {}

    def set_journal_position(self, position: dict[str, Any]) -> None:
        self.set_setting(JOURNAL_KEY, json.dumps(position, sort_keys=True))

    def note_activity(self, entries: list[dict[str, Any]]) -> None:
        """Rows of the Activity list in one transaction (each: note_activity's arguments)."""
        if not entries:
            return
        with self._tx() as c:
            for entry in entries:
                note_activity(c, **entry)

    def pause_state(self, now: float | None = None) -> PauseState:
        """The user's pause as saved; a timed pause whose end has passed is no pause."""
        if self.get_setting(PAUSED_KEY) != "1":
            return PauseState(False)
        raw = self.get_setting(PAUSED_UNTIL_KEY)
        try:
            until = float(raw) if raw else None
        except ValueError:
            until = None
        if until is not None and until <= (time.time() if now is None else now):
            return PauseState(False)
        return PauseState(True, until)

    def set_pause(self, state: PauseState) -> None:
        with self._tx() as c:
            for key, value in ((PAUSED_KEY, "1" if state.paused else "0"),
                               (PAUSED_UNTIL_KEY, "" if state.until is None or not state.paused
                                else repr(float(state.until)))):
                c.execute("INSERT INTO setting (key, value) VALUES (?, ?) "
                          "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    def _json_setting(self, c: sqlite3.Connection, key: str, default: Any) -> Any:
        row = c.execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
        try:
            value = json.loads(row[0]) if row else default
        except ValueError:
            value = default
        return value if isinstance(value, type(default)) else default

    def agent_base(self, doc_id: str) -> float | None:
        """The edit time of an agent's cloud document as this machine last wrote or applied it
        (ecan.sync.agentdocs): a document at another time was changed elsewhere meanwhile."""
        with self._tx() as c:
            value = self._json_setting(c, AGENT_BASES_KEY, {}).get(doc_id)
        return float(value) if isinstance(value, int | float) else None

    def set_agent_base(self, doc_id: str, at: float) -> None:
        with self._tx() as c:
            bases = self._json_setting(c, AGENT_BASES_KEY, {})
            bases[doc_id] = at
            c.execute("INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO "
                      "UPDATE SET value = excluded.value", (AGENT_BASES_KEY, json.dumps(bases)))

    def add_notice(self, text: str) -> None:
        """Keep a message for the user (a conflict a push settled) until the next pull
        reports it; the newest MAX_NOTICES are kept."""
        with self._tx() as c:
            notices = self._json_setting(c, NOTICES_KEY, [])
            notices = [*notices, text][-MAX_NOTICES:]
            c.execute("INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO "
                      "UPDATE SET value = excluded.value", (NOTICES_KEY, json.dumps(notices)))

    def take_notices(self) -> list[str]:
        with self._tx() as c:
            notices = self._json_setting(c, NOTICES_KEY, [])
            if notices:
                c.execute("DELETE FROM setting WHERE key = ?", (NOTICES_KEY,))
        return [str(n) for n in notices]

    def pending_agent_change(self, agent_id: str) -> bool:
        """Has this agent a change here the cloud has not had yet (a waiting journal job)?"""
        rows = self._query("SELECT payload FROM outbox WHERE kind = 'metadata' "
                           "AND payload LIKE '%\"what\": \"agent\"%'")
        for r in rows:
            try:
                if json.loads(r[0]).get("id") == agent_id:
                    return True
            except (ValueError, AttributeError):
                continue
        return False

    def get_setting(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM setting WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_setting(self, key: str, value: str) -> None:
        with self._tx() as c:
            c.execute("INSERT INTO setting (key, value) VALUES (?, ?) "
                      "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))
