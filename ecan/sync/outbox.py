"""The durable outbox: jobs in SQLite that survive crashes, claimed atomically so two processes
(the app and `ecan sync`) never run one job twice. Every transition is guarded by the state it
expects, and the avatar row's sync_state moves with its job in the same transaction.

State machine (JobStatus): READY -claim-> IN_FLIGHT -> DONE | READY (retry later) | FAILED
(permanent; the user's retry puts it back to READY). A job is never dropped."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecan.logsetup import redact

READY, IN_FLIGHT, DONE, FAILED = 0, 1, 2, 3  # ecan.db.models.JobStatus, without importing sqlmodel
# The lease: an in-flight job whose owner has not touched it for this long is presumed orphaned.
# The owner heartbeats every HEARTBEAT_S for as long as the job runs, whatever its size, so a
# live job is not taken over (only a process stopped, or a machine asleep, for a whole lease).
STALE_AFTER_S = 600.0
HEARTBEAT_S = 30.0
_BUSY_TIMEOUT_MS = 15_000
# Where the library last synced to (ecan.auth.cloud.CloudAccess.target).
TARGET_KEY = "sync.target"
_CLOUD_COLUMNS = {"cloud_image_key", "cloud_thumb_key", "cloud_video_key", "cloud_image_url",
                  "cloud_thumb_url"}

# A delete (or any later job) of an avatar must wait while another job of the same avatar is in
# flight: otherwise a delete could race its own upload and leave orphaned objects behind.
_CLAIM_SQL = f"""
UPDATE outbox SET status = {IN_FLIGHT}, locked_at = :now, locked_by = :me,
       attempts = attempts + 1, updated_at = :now
WHERE id = (
    SELECT o.id FROM outbox o
    WHERE o.status = {READY} AND o.next_attempt_at <= :now
      AND (o.avatar_id IS NULL OR NOT EXISTS (
          SELECT 1 FROM outbox b WHERE b.avatar_id = o.avatar_id AND b.status = {IN_FLIGHT}))
      AND (o.kind != 'metadata' OR NOT EXISTS (
          SELECT 1 FROM outbox m WHERE m.kind = 'metadata' AND m.status = {IN_FLIGHT}))
    ORDER BY o.id LIMIT 1)
RETURNING id, kind, avatar_id, payload, attempts, locked_by, identity_id
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


def make_owner_id() -> str:
    """host:pid:random: the pid lets a restarted process see that the owner is gone."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


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


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


class Outbox:
    """One raw sqlite3 connection, serialised by a lock (statements are short; uploads are
    not done under it). `owner` identifies this engine in `locked_by`."""

    def __init__(self, db_path: Path, owner: str | None = None) -> None:
        self.path = db_path
        self.owner = owner or make_owner_id()
        self.stale_after_s = STALE_AFTER_S  # the lease (tests shorten it)
        self._conn = _connect(db_path)
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
                    f"attempts = MAX(attempts - 1, 0), next_attempt_at = ?, updated_at = ? "
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
                   row["identity_id"], avatar_row)

    def heartbeat(self, job: Job) -> bool:
        """Renew the claim; False if the job is no longer ours (taken over, or settled)."""
        with self._tx() as c:
            return c.execute(
                f"UPDATE outbox SET locked_at = ? WHERE id = ? AND status = {IN_FLIGHT} "
                f"AND locked_by = ?", (time.time(), job.id, job.locked_by)).rowcount == 1

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
            if not self._guarded(c, job, f"status = {DONE}, last_error = NULL", ()):
                return False, None
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
            return True, self._claim_in(c, now) if claim_next else None

    def _requeue_users(self, c: sqlite3.Connection, removed: tuple[str | None, str | None],
                       now: float) -> None:
        image_sha, video_sha = removed
        # A failed avatar keeps its failed job: the user's retry uploads it, objects and all.
        users = c.execute("SELECT id FROM avatar WHERE ((? IS NOT NULL AND sha256 = ?) "
                          "OR (? IS NOT NULL AND video_sha256 = ?)) AND sync_state != 'failed'",
                          (image_sha, image_sha, video_sha, video_sha)).fetchall()
        for (avatar_id,) in users:
            waiting = c.execute(f"SELECT 1 FROM outbox WHERE avatar_id = ? AND kind = 'upload' "
                                f"AND status = {READY}", (avatar_id,)).fetchone()
            if waiting is None:
                c.execute("INSERT INTO outbox (kind, avatar_id, payload, created_at, updated_at) "
                          "VALUES ('upload', ?, '{}', ?, ?)", (avatar_id, now, now))
            c.execute("UPDATE avatar SET sync_state = 'queued', updated_at = ? "
                      "WHERE id = ? AND sync_state = 'synced'", (now, avatar_id))

    def content_in_use(self, image_sha: str | None, video_sha: str | None) -> bool:
        """Does an avatar in the library show this picture (or this video)?"""
        return bool(self._query(
            "SELECT 1 FROM avatar WHERE (? IS NOT NULL AND sha256 = ?) "
            "OR (? IS NOT NULL AND video_sha256 = ?) LIMIT 1",
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

    def avatar_counts(self) -> dict[str, int]:
        """The user's own avatars by state. Built-in (system) avatars ship with the app and are
        never the user's to sync, so counting them as "synced" would overstate the library."""
        out = {"queued": 0, "syncing": 0, "synced": 0, "failed": 0}
        for r in self._query("SELECT sync_state, COUNT(*) FROM avatar "
                             "WHERE resource_type != 'system' GROUP BY sync_state"):
            out[r[0]] = r[1]
        return out

    def system_count(self) -> int:
        return self._query("SELECT COUNT(*) FROM avatar WHERE resource_type = 'system'")[0][0]

    def ready_uploads(self) -> int:
        return self._query(f"SELECT COUNT(*) FROM outbox WHERE kind = 'upload' AND status = {READY}"
                           )[0][0]

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
                waiting = c.execute(f"SELECT 1 FROM outbox WHERE avatar_id = ? AND kind = 'upload' "
                                    f"AND status = {READY}", (avatar_id,)).fetchone()
                if waiting is None:
                    c.execute("INSERT INTO outbox (kind, avatar_id, payload, created_at, "
                              "updated_at) VALUES ('upload', ?, '{}', ?, ?)",
                              (avatar_id, now, now))
            if ids:
                c.execute("UPDATE avatar SET sync_state = 'queued', cloud_synced_at = NULL, "
                          "updated_at = ? WHERE sync_state = 'synced' AND resource_type != "
                          "'system'", (now,))
            if c.execute("SELECT 1 FROM agent LIMIT 1").fetchone() and not c.execute(
                    f"SELECT 1 FROM outbox WHERE kind = 'metadata' AND status = {READY}"
                    ).fetchone():
                c.execute("INSERT INTO outbox (kind, payload, created_at, updated_at) "
                          "VALUES ('metadata', '{\"what\": \"agents\"}', ?, ?)", (now, now))
            return len(ids)

    def get_setting(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM setting WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_setting(self, key: str, value: str) -> None:
        with self._tx() as c:
            c.execute("INSERT INTO setting (key, value) VALUES (?, ?) "
                      "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))
