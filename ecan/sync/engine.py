"""The sync engine: drains the durable outbox with bounded workers, carrying avatars (original,
thumbnail, video, metadata) to the user's cloud prefix, with retries, offline probing, an auth
pause, user pause and a bandwidth limit. Plain Python, one per process that syncs: `ecan sync`
drains with it, the desktop app runs it in its sync process (ecan.sync.service); it answers
ecan.sync.control.SyncControl, and owns (and publishes as events) whether it is paused, online
and signed in.

Guarantees: a job is never dropped (it ends DONE, or FAILED waiting for the user's retry); an
object is verified by its SHA-256 after upload; retries are idempotent (content-addressed keys,
and a retry skips objects already there with the same checksum; a new avatar's first try sends
its pictures without asking); an auth problem pauses, never fails, and so does a problem no job
can get past (a skewed clock, refused keys: the queue waits with the fix and a probe resumes
it); two processes draining one library never run one job twice (the outbox claim is atomic)."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar

from ecan.db.sync_state import HEARTBEAT_S, ActivityKind, Job, Outbox, PauseState
from ecan.errors import AuthRequired, UserFacingError
from ecan.storage.errors import is_retryable, pauses_queue
from ecan.sync import agentdocs, avatar_meta, journal
from ecan.sync.events import (
    MAX_IDS,
    JobFailed,
    JobFinished,
    JobStarted,
    Progress,
    Pulled,
    StateChanged,
    SyncEvent,
)

if TYPE_CHECKING:
    from ecan.avatars.library import AvatarLibrary
    from ecan.config import SyncConfig
    from ecan.db import Database
    from ecan.paths import AppPaths
    from ecan.storage.base import BlobStore, ObjectInfo
    from ecan.storage.keys import KeyLayout
    from ecan.sync.generations import GenerationSync
    from ecan.sync.system_pull import SystemPull


class Cloud(Protocol):
    """What the engine needs of ecan.auth.cloud.Cloud: a store and the identity's key layout."""

    @property
    def store(self) -> BlobStore: ...

    @property
    def layout(self) -> KeyLayout: ...


class CloudAccess(Protocol):
    """ecan.auth.cloud.CloudAccess as the engine uses it (tests pass a twin). open() raises
    AuthRequired (pause) or UserFacingError(code="no_cloud") (jobs stay queued)."""

    def configured(self) -> bool: ...

    def open(self) -> Cloud: ...

log = logging.getLogger("ecan.sync")

EventSink = Callable[[SyncEvent], None]
_T = TypeVar("_T")

BANDWIDTH_KEY = "sync.bandwidth_limit_kbps"
ONLINE_KEY = "sync.online"
# Bugs (not storage errors) are retried a few times, then the job waits for the user's retry,
# so a deterministic crash cannot spin forever; the job itself is kept.
BUG_ATTEMPTS = 5
# Tries at recording a job's outcome while SQLite refuses (locked past the busy timeout, disk
# full), with back-off between them; then the job is given back at the loop's next turn.
RECORD_TRIES = 3
# Consecutive transient failures after which we ask "are we offline?" with one probe.
OFFLINE_SUSPECT_AFTER = 3
# Files up to this size are read whole and sent in one PUT (no transfer-manager threads per
# file: most avatars are a few hundred KB); larger ones stream by multipart with bounded memory.
SMALL_FILE = 8 * 1024 * 1024
# With at least this many uploads waiting that ask what is already there (Outbox.uploads_to_check),
# one listing of the prefix replaces a head request per object.
LIST_THRESHOLD = 20
# `ecan sync`'s pull reads the journal as listed beside its last entry's write if that is this
# recent; a sync that waited for another engine since lists it again.
JOURNAL_FRESH_S = 10.0
# The background engine looks for newly published system avatars this often (seconds).
SYSTEM_PULL_S = 3600.0
# ... and for the generation tasks other machines ran.
GENERATIONS_PULL_S = 300.0
# How often the background loop looks over the local originals for missing or damaged ones.
REPAIR_S = 3600.0
# The background engine looks at the outbox this often when idle.
IDLE_POLL_S = 15.0
# `drain(timeout=None)` gives up once nothing has succeeded for this long.
IDLE_LIMIT_S = 60.0
# The background engine pulls other machines' changes this often while online and not paused
# (one LIST when nothing changed), and besides on start, on wake, after sign-in and when the
# window gains focus: such requests closer together than PULL_GAP_S make one pull.
PULL_EVERY_S = 30.0
PULL_GAP_S = 2.0
# A pull that failed (not for the network: that is the offline probe's) waits this long
# before the next try, doubling up to PULL_BACKOFF_CAP_S.
PULL_BACKOFF_S = 30.0
PULL_BACKOFF_CAP_S = 600.0


@dataclass
class DrainResult:
    synced: int  # avatars this run brought to the cloud
    failed: int  # avatars in the failed state at the end
    remaining: int  # avatars still waiting (a pending delete or agents update counts one)

    def to_dict(self) -> dict[str, int]:
        return {"synced": self.synced, "failed": self.failed, "remaining": self.remaining}


class _Abandoned(Exception):
    """Raised from a progress callback to abort an upload during shutdown."""


class OtherIdentity(UserFacingError):
    """A job queued for one identity while another is signed in: it is held, never run."""

    def __init__(self, job_identity: str, current: str) -> None:
        super().__init__(
            "other_identity",
            f"This job belongs to identity {job_identity}, not to the signed-in {current}: "
            "it waits and is never uploaded under another identity.",
            "Sign in as the account that queued it; it then syncs.")


# A held job (another identity's) is looked at again this often, not in a tight loop.
HOLD_S = 3600.0


class _VerifyFailed(UserFacingError):
    """The object read back does not carry the checksum we sent: upload it again."""

    retryable = True

    def __init__(self, key: str) -> None:
        super().__init__("checksum_mismatch", f"The uploaded object {key} did not verify.",
                         "It will be uploaded again.")


class TokenBucket:
    """Upload bandwidth limit shared by all workers; consume() sleeps (interruptibly) so the
    average rate stays under `kbps` kilobytes per second. 0 means unlimited."""

    def __init__(self, kbps: int = 0) -> None:
        self._lock = threading.Lock()
        self.set_rate(kbps)

    def set_rate(self, kbps: int) -> None:
        with self._lock:
            self.rate = max(0, int(kbps)) * 1024.0
            self.tokens = self.rate  # one second of burst
            self.last = time.monotonic()

    def consume(self, n: int, interrupt: threading.Event) -> None:
        with self._lock:
            if self.rate <= 0:
                return
            now = time.monotonic()
            self.tokens = min(self.rate, self.tokens + (now - self.last) * self.rate) - n
            self.last = now
            wait = -self.tokens / self.rate if self.tokens < 0 else 0.0
        if wait > 0:
            interrupt.wait(wait)


class _Uploaded(NamedTuple):
    """An avatar whose objects are in the cloud, waiting for the journal entry naming it
    (AvatarPuts): its job is done once that is written."""

    job: Job
    update: dict[str, Any] | None  # its cloud columns
    run: _Run
    started: float
    sent: int


def _on_a_thread(name: str, fn: Callable[..., _T], *args: Any,
                 **kwargs: Any) -> futures.Future[_T]:
    """`fn(*args, **kwargs)` asked on a thread of its own, which ends with the answer."""
    pool = ThreadPoolExecutor(1, thread_name_prefix=name)
    answer = pool.submit(fn, *args, **kwargs)
    pool.shutdown(wait=False)
    return answer


class SharedPull:
    """What a pull asks for ahead, each on a thread of its own: the cloud's shared documents
    (the published system avatars, the generation history) from the start; the journal's
    listing once the uploads are done (list_journal). results() waits for the documents."""

    def __init__(self, engine: SyncEngine, cloud: Cloud) -> None:
        self._system = _on_a_thread("ecan-pull", engine._pull_system, cloud)
        self._generations = _on_a_thread("ecan-pull", engine._sync_generations, cloud,
                                         pull=True)
        self._journal: futures.Future[list[ObjectInfo]] | None = None
        self._journal_asked_at = 0.0

    def results(self) -> tuple[SystemPull, GenerationSync]:
        return self._system.result(), self._generations.result()

    def list_journal(self, outbox: Outbox, cloud: Cloud) -> None:
        """Ask for the journal's entries now (again, if asked before: the newest listing is
        the one the pull reads). Where it starts is read here; the thread only asks the
        cloud, so closing the engine need not wait for it."""
        start = journal.listing_start(outbox, cloud)
        self._journal = _on_a_thread("ecan-pull", journal.listing, cloud, start)
        self._journal_asked_at = time.monotonic()

    def journal(self) -> list[ObjectInfo] | None:
        """The journal's entries as listed ahead; None if not asked, or asked more than
        JOURNAL_FRESH_S ago (the sync waited for another engine meanwhile: what changed since
        comes with this pull, not the next). A listing that failed raises its error, as the
        pull's own would have: listing again would wait out a silent cloud twice (the store
        has already retried)."""
        if self._journal is None or time.monotonic() - self._journal_asked_at > JOURNAL_FRESH_S:
            return None
        return self._journal.result()

    @property
    def answers(self) -> list[futures.Future[Any]]:
        """The shared documents' answers, done once they are in (and applied), whoever
        collects them. (Not the journal's listing: it changes nothing here.)"""
        return [self._system, self._generations]


class _Known(NamedTuple):
    """What a listing before a batch found: the keys under the prefixes it listed."""

    prefixes: tuple[str, ...]
    keys: frozenset[str]

    def may_have(self, key: str) -> bool:
        """Unless the listing covered the key and did not find it (a video queued after a
        listing of images/ alone is checked by a HEAD)."""
        return key in self.keys or not key.startswith(self.prefixes)


def _is_transient(exc: BaseException) -> bool:
    return isinstance(exc, (ConnectionError, TimeoutError)) or is_retryable(exc)


def _file_sha256(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


class _Run:
    """Counters of one run (a drain, or one busy spell of the background engine)."""

    def __init__(self, items: int, total_bytes: int) -> None:
        self.lock = threading.Lock()
        self.items_total = items
        self.items_done = 0
        self.bytes_total = total_bytes
        self.bytes_done = 0
        self.bytes_sent = 0
        self.started = time.monotonic()
        self.synced_avatars: set[str] = set()
        self.last_emit = 0.0

    def speed(self) -> float:
        return self.bytes_sent / max(time.monotonic() - self.started, 1e-6)


class SyncEngine:
    def __init__(self, db: Database, paths: AppPaths, cloud: CloudAccess, config: SyncConfig,
                 *, owner: str | None = None, retry_base: float = 2.0, retry_cap: float = 300.0,
                 probe_max: float = 60.0, seed: int | None = None, auth: Any = None,
                 reconfigure: Callable[[], tuple[CloudAccess, SyncConfig]] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        """`auth` (an AuthService) only feeds status() its signed_in / identity_id fields.
        `reconfigure` re-reads the config and returns the new cloud access and sync settings
        (reload_config: Settings changed the storage while the engine runs). `clock` is the
        wall clock a timed pause ends by (tests move it)."""
        self.db = db
        self.auth = auth
        self._reconfigure = reconfigure
        self.paths = paths
        self.cloud = cloud
        self.config = config
        self.outbox = Outbox(Path(db.path), owner)
        self._clock = clock
        self.retry_base, self.retry_cap, self.probe_max = retry_base, retry_cap, probe_max
        self._random = random.Random(seed)
        self._state_lock = threading.Lock()
        # What the last engine saw: coming back online is then a change, and is recorded.
        self._online = self.outbox.get_setting(ONLINE_KEY) != "0"
        self._auth_required = False
        # Nobody is signed in, by the user's choice: the queue waits quietly (no "expired").
        self._signed_out = False
        # The error that stops every job (clock, keys): the queue waits until a probe passes.
        self._blocked: dict[str, Any] | None = None
        self._pause = self.outbox.pause_state(clock())
        saved = self._saved_bandwidth()
        self._bucket = TokenBucket(config.bandwidth_limit_kbps if saved is None else saved)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._cancel = threading.Event()  # abandon in-flight uploads (shutdown ran out of time)
        self._transient_streak = 0
        self._thread: threading.Thread | None = None
        self._running = threading.Lock()  # one run loop at a time per engine
        self._active: dict[int, Job] = {}
        self._active_cv = threading.Condition()
        # job id -> monotonic time of its claim's last renewal; jobs whose claim another
        # process took over (a heartbeat found it gone): they stop before their next request.
        self._beats: dict[int, float] = {}
        self._lost: set[int] = set()
        self.heartbeat_s = HEARTBEAT_S
        # Jobs whose outcome could not be recorded: still IN_FLIGHT under our owner, which
        # recovery never takes over, so the loop gives them back itself.
        self._stranded: dict[int, Job] = {}
        self._stranded_lock = threading.Lock()
        self._run_stats: _Run | None = None
        self._last_error: dict[str, str] | None = None
        self._emit_to: EventSink | None = None
        # What the cloud held at the start of this batch (None: ask per object).
        self._known: _Known | None = None
        self._listed_ahead: futures.Future[_Known | None] | None = None  # see list_ahead
        self.small_file = SMALL_FILE  # tests lower it to exercise the streaming path
        self._target_seen: str | None = None
        # Set when the store or identity changed since the library last synced (status says so).
        self.cloud_changed: dict[str, Any] | None = None
        self._machine_id: str | None = None
        self._system_pulled_at: float | None = None  # monotonic; None: not yet this process
        self._generations_pulled_at: float | None = None
        self._repaired_at: float | None = None  # monotonic; None: not yet this process
        # The background loop's pulls (monotonic times): asked for, last one, not before.
        self._pull_wanted = False
        self._last_pull = float("-inf")
        self._pull_not_before = 0.0
        self._pull_backoff = 0.0
        self._pull_error: str | None = None
        self._avatar_puts = journal.AvatarPuts[_Uploaded](self._machine, self._journaled)
        # What ask_shared started: a sync stopped before its pull (Ctrl+C, paused meanwhile)
        # never collects the answers, and close() must not shut the library under them.
        self._asked: list[SharedPull] = []

    # -- public API ------------------------------------------------------------------------
    def drain(self, *, timeout: float | None = None,
              on_event: EventSink | None = None) -> DrainResult:
        """Run jobs until none is ready (waiting out backoffs and offline spells until
        `timeout`; with no timeout, until nothing has succeeded for IDLE_LIMIT_S)."""
        if not self._running.acquire(blocking=False):
            raise UserFacingError("sync_busy", "The sync engine is already running.",
                                  "Wait for it to finish, or pause it first.")
        try:
            self._stop.clear()
            self._cancel.clear()
            self._emit_to = on_event
            with self._state_lock:  # an explicit run tries again even after an auth pause
                self._auth_required = False
                self._signed_out = False
                self._blocked = None
            deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
            run = self._loop(drain=True, deadline=deadline)
        finally:
            self._emit_to = None
            self._running.release()
        counts = self.outbox.avatar_counts()
        return DrainResult(
            synced=len(run.synced_avatars) if run else 0,
            failed=counts["failed"],
            remaining=counts["queued"] + counts["syncing"] + self.outbox.pending_non_upload())

    def start(self, on_event: EventSink) -> None:
        """Background mode: a scheduler thread waits for work (wake()) and runs it, and every
        event goes to `on_event` (any thread)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._cancel.clear()
        self._emit_to = on_event
        self._pull_wanted = True  # on start: what changed elsewhere while this one was off

        def main() -> None:
            with self._running:
                try:
                    self._loop(drain=False, deadline=None)
                except Exception:  # a bug: logged; the outbox keeps every job for next time
                    log.exception("sync engine stopped by an error")

        self._thread = threading.Thread(target=main, name="ecan-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop claiming; let in-flight jobs finish for up to `timeout`, then abandon them
        (they go back to READY untouched and resume next time)."""
        self._stop.set()
        self._wake.set()
        end = time.monotonic() + timeout
        with self._active_cv:
            while self._active and time.monotonic() < end:
                self._active_cv.wait(max(0.0, end - time.monotonic()))
            if self._active:
                self._cancel.set()
                self._active_cv.wait(1.0)
            leftovers = list(self._active.values())
        for job in leftovers:
            self._record([job], "was given back", functools.partial(self.outbox.release, job),
                         False, tries=1)
        self._give_back_stranded()
        if self._thread is not None:
            self._thread.join(max(0.0, end - time.monotonic()) + 1.0)
            self._thread = None

    def wake(self) -> None:
        """New work, network back, or signed in: look again now (and pull, see pull())."""
        self._pull_wanted = True
        with self._state_lock:
            was_required, self._auth_required = self._auth_required, False
            self._blocked = None  # signed in again, settings changed: let a job try
        if was_required:
            self._emit_state()
        self._wake.set()

    def reload_config(self) -> None:
        """The config changed (Settings saved it): sync to the storage it names now, from the
        next job on (in-flight ones finish where they started), and look again at once."""
        if self._reconfigure is None:
            raise UserFacingError("no_reload", "This sync engine cannot read its settings again.",
                                  "Restart ecan to apply the new settings.")
        cloud, config = self._reconfigure()
        self.cloud, self.config = cloud, config
        log.info("settings changed: syncing with the storage they name now")
        self.wake()

    def pause(self, until: float | None = None) -> None:
        """Stop starting uploads: until resume(), or until `until` (epoch seconds), when the
        engine resumes by itself. Saved, so a restart (or another process) keeps it."""
        if until is not None and until <= self._clock():
            raise UserFacingError("invalid_pause", "That time has already passed.",
                                  "Pause for a duration such as 30m, 1h or 2h30m, or "
                                  "until tomorrow.")
        self._set_pause(PauseState(True, until))

    def resume(self) -> None:
        self._set_pause(PauseState(False))

    def _set_pause(self, state: PauseState) -> None:
        self.outbox.set_pause(state)
        self._adopt_pause(state)
        # The loop looks again: a resume starts work; a new end changes how long it sleeps.
        self._wake.set()

    def _adopt_pause(self, state: PauseState) -> None:
        with self._state_lock:
            changed, self._pause = state != self._pause, state
        if changed:
            self._emit_state()

    def _refresh_pause(self) -> None:
        """The saved pause is the truth: another process (`ecan sync --pause`) may have changed
        it, and a timed pause is over once its end has passed."""
        try:
            state = self.outbox.pause_state(self._clock())
        except sqlite3.Error:  # busy for long: keep what we had, look again next turn
            log.warning("could not read the pause state", exc_info=True)
            return
        if self._pause.paused and not state.paused and self._pause.until is not None:
            log.info("the timed pause is over: syncing again")
        self._adopt_pause(state)

    @property
    def _paused(self) -> bool:
        return self._pause.paused

    def paused(self) -> bool:
        self._refresh_pause()
        return self._pause.paused

    @property
    def online(self) -> bool:
        """False once the cloud stopped answering (until a request or a probe gets through)."""
        return self._online

    def paused_until(self) -> float | None:
        return self._pause.until if self._pause.paused else None

    def _saved_bandwidth(self) -> int | None:
        saved = self.outbox.get_setting(BANDWIDTH_KEY)
        return int(saved) if saved and saved.isdigit() else None

    def session_changed(self) -> None:
        """Signed in or out (the window handed over its session): say so. A sign-in does not
        wake by itself (the window restores the library first, then wakes); a sign-out ends
        any "session expired" pause (the user chose to be signed out) and wakes the loop, which
        finds nobody signed in and waits quietly."""
        if self.auth is not None and not self.auth.signed_in:
            with self._state_lock:
                self._auth_required = False
            self._emit_state()
            self._wake.set()
            return
        # Signed in: pull at the loop's next turn, which the window's wake starts once it has
        # restored the library (a restore first, so a new machine is not filled entry by entry).
        self._pull_wanted = True
        self._emit_state()

    def pull(self) -> None:
        """SyncControl.pull: look for other machines' changes soon (returns at once; what a
        pull changes arrives as a Pulled event). Requests within PULL_GAP_S make one pull."""
        self._pull_wanted = True
        self._wake.set()

    def set_bandwidth_limit(self, kbps: int) -> None:
        if not isinstance(kbps, int) or kbps < 0:
            raise UserFacingError("invalid_bandwidth", f"{kbps!r} is not a bandwidth limit.",
                                  "Give kilobytes per second as a whole number; 0 = unlimited.")
        self.outbox.set_setting(BANDWIDTH_KEY, str(kbps))
        self._bucket.set_rate(kbps)

    def bandwidth_limit(self) -> int:
        return int(self._bucket.rate // 1024)

    def retry_failed(self, avatar_id: str | None = None) -> int:
        n = self.outbox.retry_failed(avatar_id)
        self._wake.set()
        return n

    def status(self) -> dict[str, Any]:
        """Contract: {counts: {local, queued, syncing, synced, failed}, signed_in, online,
        identity_id}, plus paused, auth_required, bandwidth limit, job counts, progress."""
        ident = self._identity()
        self._refresh_pause()
        out = library_status(self.outbox, configured=self.cloud.configured(), ident=ident)
        if self._run_stats is not None:
            out["online"] = self._online
        run = self._run_stats
        out.update({
            "paused": self._pause.paused,
            "paused_until": self.paused_until(),
            "auth_required": self._auth_required or bool(ident.get("session_expired")),
            "signed_out": self._signed_out,
            "blocked": self._blocked,
            "bandwidth_limit_kbps": self.bandwidth_limit(),
            "progress": None if run is None else {
                "items_done": run.items_done, "items_total": run.items_total,
                "bytes_done": run.bytes_done, "bytes_total": run.bytes_total,
                "speed": round(run.speed(), 1)},
            "last_error": self._last_error,
            "cloud_changed": self.cloud_changed,
        })
        return out

    def restore(self, *, only_if_empty: bool = False,
                on_event: EventSink | None = None) -> dict[str, Any]:
        """SyncControl.restore; `on_event` gets its progress (the CLI's progress line)."""
        from ecan.sync.restore import Restorer

        if only_if_empty and self.outbox.avatar_total():
            return {"restored": 0, "skipped": 0, "failed": 0, "agents_restored": 0,
                    "warnings": [], "ran": False}
        cloud = self.cloud.open()
        self._retarget(cloud)  # restored avatars are synced to this very target
        return {**Restorer(self.db, self.paths, cloud).run(on_event=on_event).to_dict(),
                "ran": True}

    def pull_now(self, cloud: Cloud | None = None, *, shared: bool | SharedPull = True,
                 repair: bool | None = None) -> dict[str, Any]:
        """Apply what other machines changed since the last pull (ecan.sync.journal), now:
        {pulled, removed, agents, failed, retrying, warnings} (`retrying`: of the failed, the
        avatars the next pull tries again); a pull that changed something is also
        published as a Pulled event. `shared`: also the published system avatars and the
        generation history (`ecan sync`: asked for beside the journal, or given, already
        asked, by ask_shared); the background loop checks those on their own, slower clock
        (_maybe_pull_shared), so its 30-second pull stays one LIST. `repair` (by default: as
        `shared`): also look over the local originals (ecan.sync.repair), a stat per synced
        avatar (0.5 s of CPU at 100,000) that the loop makes every REPAIR_S."""
        if repair is None:
            repair = bool(shared)
        cloud = self.cloud.open() if cloud is None else cloud
        # The shared documents have nothing to do with the journal: asked for beside it, so
        # that `ecan sync` ends one round trip after its uploads, not three.
        asked = SharedPull(self, cloud) if shared is True else shared or None

        def arrived(ids: list[str]) -> None:  # a long pull: the gallery shows them already
            self._emit(Pulled(ids[:MAX_IDS], [], [], time.time()))

        listed = None
        if asked is not None:
            if asked in self._asked:  # collected: a drain after this pull asks no listing
                self._asked.remove(asked)
            listed = asked.journal()
        result = journal.Puller(self.db, self.paths, self.outbox, cloud, self._library,
                                on_added=arrived, repair=repair).run(listed=listed)
        if result.avatar_ids or result.removed_ids or result.agent_names:
            self._emit(Pulled(result.avatar_ids[:MAX_IDS], result.removed_ids[:MAX_IDS],
                              result.agent_names[:MAX_IDS], time.time()))
        out: dict[str, Any] = {"pulled": result.pulled, "removed": result.removed,
                               "agents": result.agents, "failed": result.failed,
                               "retrying": result.retrying, "warnings": result.warnings}
        if asked is not None:
            system, generations = asked.results()
            out.update(failed=result.failed + system.failed,
                       warnings=result.warnings + system.warnings + generations.warnings,
                       system_added=len(system.added), generations=generations.pulled)
        return out

    def list_ahead(self) -> None:
        """Start asking, on a thread of its own, what the cloud already holds, for the next
        batch: `ecan sync`'s uploads then start on the answer instead of a round trip after
        the engine got going. Nothing if too few uploads ask yet (the batch counts again, once
        recovery and a changed cloud have queued theirs), or if the cloud cannot be opened."""
        uploads, with_video = self.outbox.uploads_to_check(self.small_file)
        if uploads < LIST_THRESHOLD:
            return
        try:
            cloud = self.cloud.open()
        except Exception as e:  # signed out, offline, no cloud
            log.info("nothing listed ahead (%s)", type(e).__name__)
            return
        self._listed_ahead = _on_a_thread("ecan-list", self._list, cloud, with_video)

    def ask_shared(self) -> SharedPull | None:
        """Start asking for the shared documents (the published system avatars, the generation
        history) now, for pull_now(shared=...) to collect; None if the cloud cannot be opened
        (the pull then asks itself, and says why). `ecan sync` asks as its uploads start: no
        answer depends on them, and the cloud is idle while the uploads get going."""
        try:
            cloud = self.cloud.open()
        except Exception as e:  # signed out, offline, no cloud: the pull meets it again
            log.info("shared documents not asked for yet (%s)", type(e).__name__)
            return None
        asked = SharedPull(self, cloud)
        self._asked.append(asked)
        return asked

    def _sync_generations(self, cloud: Cloud, *, pull: bool) -> GenerationSync:
        """The generation history's documents (ecan.sync.generations)."""
        from ecan.sync.generations import sync_generations

        if pull:
            self._generations_pulled_at = time.monotonic()
        return sync_generations(self.db, cloud, self._machine(), pull=pull)

    def _pull_system(self, cloud: Cloud) -> SystemPull:
        """The published system avatars this library lacks (ecan.sync.system_pull); each one
        that arrives is announced as a finished job, so the window shows it."""
        from ecan.sync.system_pull import pull_system_avatars

        self._system_pulled_at = time.monotonic()
        result = pull_system_avatars(cloud, self._library)
        for avatar_id in result.added:
            self._emit(JobFinished(0, "system", avatar_id, 0, 0.0))
        return result

    def _maybe_pull_shared(self, cloud: Cloud) -> None:
        """In the background loop, besides the outbox: newly published system avatars at the
        first turn online and then every SYSTEM_PULL_S (one HEAD when nothing changed); this
        machine's finished generation tasks at once, other machines' every GENERATIONS_PULL_S
        (one LIST)."""
        now_s = time.monotonic()
        last = self._system_pulled_at
        try:
            if last is None or now_s - last >= SYSTEM_PULL_S:
                self._pull_system(cloud)
            last = self._generations_pulled_at
            self._sync_generations(
                cloud, pull=last is None or now_s - last >= GENERATIONS_PULL_S)
        except Exception as e:  # the store, the network: the next turn tries again
            log.info("shared documents not checked: %s", getattr(e, "code", type(e).__name__))

    def _library(self) -> AvatarLibrary:
        from ecan.avatars.library import AvatarLibrary

        return AvatarLibrary(self.paths, self.db)

    def close(self, wait_s: float | None = None) -> None:
        """Stop, wait for the answers asked for ahead, close the outbox. `wait_s`: how long
        those may still take at most (an `ecan sync` whose time is up, or that was interrupted,
        does not wait out a silent cloud's read timeouts: their threads end with the process)."""
        if self._thread is not None:
            self.stop()
        # Never collected, if a sync stopped before its batch or its pull.
        pending = [answer for asked in self._asked for answer in asked.answers]
        if self._listed_ahead is not None:
            pending.append(self._listed_ahead)
        self._asked, self._listed_ahead = [], None
        futures.wait(pending, timeout=wait_s)
        self.outbox.close()

    # -- the loop --------------------------------------------------------------------------
    def _loop(self, *, drain: bool, deadline: float | None) -> _Run | None:
        recovered = self.outbox.recover()
        if recovered:
            log.info("%d interrupted job(s) returned to the queue", recovered)
        run: _Run | None = None
        probe_delay = 1.0
        last_success = time.monotonic()

        def remaining_time() -> float | None:
            return None if deadline is None else deadline - time.monotonic()

        def sleep(seconds: float | None) -> None:
            left = remaining_time()
            if left is not None:
                seconds = left if seconds is None else min(seconds, left)
            self._wake.wait(seconds)  # idle: no CPU until woken or the time is up
            self._wake.clear()

        while not self._stop.is_set():
            stranded = self._give_back_stranded()
            left = remaining_time()
            if left is not None and left <= 0:
                break
            self._refresh_pause()
            if self._pause.paused or self._auth_required:
                if drain:
                    break
                if self._pause.paused:
                    # Until resume(), the end of a timed pause, or the poll that notices a
                    # resume by another process.
                    end = self._pause.until
                    sleep(IDLE_POLL_S if end is None else
                          max(0.0, min(IDLE_POLL_S, end - self._clock())))
                else:
                    sleep(None)  # until wake() after signing in
                continue
            cloud = self._open_cloud()
            if cloud is None:
                if not self._online:  # credentials endpoint unreachable: probe with backoff
                    idle = time.monotonic() - last_success
                    if drain and deadline is None and idle > IDLE_LIMIT_S:
                        break
                    sleep(probe_delay)
                    probe_delay = min(probe_delay * 2, self.probe_max)
                    continue
                if drain:
                    break
                sleep(None)  # signed out / no cloud / auth: wait for wake()
                continue
            if self._blocked is not None and drain:
                break  # `ecan sync` reports the reason and its fix (last_error)
            if not self._online or self._blocked is not None:
                if self._probe(cloud):
                    probe_delay = 1.0
                    continue
                if drain and deadline is None and time.monotonic() - last_success > IDLE_LIMIT_S:
                    break
                sleep(probe_delay)
                probe_delay = min(probe_delay * 2, self.probe_max)
                continue
            if not drain and self._pull_wait() <= 0:
                self._loop_pull(cloud)
                if not self._online or self._auth_required or self._stop.is_set():
                    continue
            if run is None or (not drain and run.items_done >= run.items_total):
                items, nbytes = self.outbox.planned()
                run = _Run(items, nbytes)
                self._run_stats = run
            done_before = run.items_done
            if not drain:
                self._maybe_pull_shared(cloud)
            self._batch(cloud, run)
            if run.items_done > done_before:
                last_success = time.monotonic()
            if not self._online or self._auth_required or self._stop.is_set():
                continue
            due = self.outbox.next_due()
            if stranded or self._stranded:
                # The database refused to record an outcome: give it a moment, then hand the
                # job back and run it again (idempotent: its objects are found in place).
                if drain and deadline is None and time.monotonic() - last_success > IDLE_LIMIT_S:
                    break
                sleep(min(probe_delay, self.probe_max))
                probe_delay = min(probe_delay * 2, self.probe_max)
                continue
            if due is None:
                if drain:
                    break
                # wake() is the fast path; the poll catches work queued by another process
                # (`ecan import` while the app runs), at the cost of one query per interval.
                sleep(min(IDLE_POLL_S, self._pull_wait()))
                continue
            delay = due - time.time()
            if delay <= 0:
                # Due but not claimable: blocked behind an in-flight job of the same avatar
                # (possibly another process's). Look again shortly.
                delay = 0.25
            if drain:
                if deadline is None and time.monotonic() + delay - last_success > IDLE_LIMIT_S:
                    break
                if left is not None and delay > left:
                    break
            else:
                delay = min(delay, self._pull_wait())
            sleep(delay)
        return run

    def _pull_wait(self) -> float:
        """Seconds until the background loop's next pull is due (0: now)."""
        now = time.monotonic()
        due = self._last_pull + PULL_EVERY_S
        if self._pull_wanted:
            due = min(due, self._last_pull + PULL_GAP_S)
        return max(0.0, max(due, self._pull_not_before) - now)

    def _loop_pull(self, cloud: Cloud) -> None:
        """One pull of the background loop. A failure is recorded as an upload's is: the
        network's takes the engine offline (the probe's back-off, then a pull), a session's
        asks for sign-in, anything else waits a growing back-off; none stops the loop."""
        self._pull_wanted = False
        self._last_pull = time.monotonic()
        repair = self._repaired_at is None or self._last_pull - self._repaired_at >= REPAIR_S
        try:
            self.pull_now(cloud, shared=False, repair=repair)
            if repair:
                self._repaired_at = self._last_pull
        except AuthRequired as e:
            self._auth_lost(e)
            self._last_error = e.to_dict()
            return
        except Exception as e:
            if pauses_queue(e):
                self._block(e)
                return
            if _is_transient(e):
                log.info("pull failed (%s): checking the connection", type(e).__name__)
                self._check_offline()
                if not self._online:
                    return  # the probe's back-off; back online, it asks for a pull
            self._pull_failed(e)
            return
        if self._pull_error is not None and self._last_error is not None \
                and self._last_error.get("message") == self._pull_error:
            self._last_error = None  # what the failed pull said no longer holds
        self._pull_backoff = 0.0
        self._pull_error = None

    def _pull_failed(self, e: Exception) -> None:
        if isinstance(e, UserFacingError):
            info = e.to_dict()
        elif _is_transient(e):
            info = {"code": "transient", "message": f"{type(e).__name__}: {e}"[:300],
                    "hint": "It will be tried again."}
        else:
            log.exception("pull hit a bug")
            info = {"code": "internal_error", "message": f"Pulling hit a bug ({type(e).__name__}).",
                    "hint": "Details are in the log under $ECAN_HOME/logs/ecan.log."}
        self._pull_backoff = min(max(self._pull_backoff * 2, PULL_BACKOFF_S), PULL_BACKOFF_CAP_S)
        self._pull_not_before = time.monotonic() + self._pull_backoff
        self._pull_wanted = True  # tried again once the back-off is over
        self._last_error = info
        log.warning("pull failed: %s; next try in %.0f s", info["message"], self._pull_backoff)
        if info["message"] != self._pull_error:  # once per kind of failure, not per try
            self._pull_error = info["message"]
            try:
                self.outbox.note_activity([{"kind": ActivityKind.PULL_FAILED, "subject": "",
                                            "detail": info["message"], "hint": info["hint"]}])
            except Exception:  # the database busy: the log has it
                log.warning("could not record the failed pull", exc_info=True)

    def _open_cloud(self) -> Cloud | None:
        try:
            cloud = self.cloud.open()
        except AuthRequired as e:
            self._auth_lost(e)
            self._last_error = e.to_dict()
            return None
        except UserFacingError as e:
            self._last_error = e.to_dict()
            if _is_transient(e):
                self._set_state(online=False)
            elif e.code != "no_cloud":
                log.warning("cloud unavailable: %s", e.message)
            return None
        if self._signed_out:
            self._set_state(signed_out=False)
        self._retarget(cloud)
        return cloud

    def _auth_lost(self, e: AuthRequired) -> None:
        """No usable session: signed out by choice waits quietly; expired asks to sign in."""
        if e.signed_out:
            self._set_state(signed_out=True)
        else:
            self._set_state(auth_required=True)

    def _retarget(self, cloud: Cloud) -> None:
        """The first time a run meets a store/prefix/identity, check that it is the one this
        library synced to; if not, what was synced is queued again (Outbox.retarget)."""
        target = str(getattr(cloud, "target", "") or "")
        if not target or target == self._target_seen:
            return
        requeued = self.outbox.retarget(target)
        self._target_seen = target
        if requeued:
            log.warning("the cloud changed (%s): %d synced avatars are checked again there",
                        target, requeued)
            self.cloud_changed = {"requeued": requeued, "target": target}

    def _probe(self, cloud: Cloud) -> bool:
        try:
            # The identity's own root: a Cognito key may list only its own prefix.
            cloud.store.check_access(cloud.layout.root)
        except AuthRequired as e:
            self._auth_lost(e)
            return False
        except Exception as e:
            if pauses_queue(e):
                self._block(e)
                return False
            if _is_transient(e):  # offline or still failing: keep waiting, quietly
                log.info("still offline (%s)", type(e).__name__)
                return False
            # The service answers (with a refusal the jobs will report): we are online.
            log.info("the cloud answers again (%s)", getattr(e, "code", type(e).__name__))
        log.info("the cloud answers again: resuming")
        self._pull_wanted = True  # what changed elsewhere meanwhile
        self._transient_streak = 0
        self.outbox.expedite()
        with self._state_lock:
            self._blocked = None
        self._set_state(online=True)
        return True

    def _batch(self, cloud: Cloud, run: _Run) -> None:
        """Start up to `concurrency` workers; return when none can claim more."""
        n = max(1, min(self.config.concurrency, max(1, self.outbox.pending())))
        ahead, self._listed_ahead = self._listed_ahead, None
        self._known = ahead.result() if ahead is not None else self._listing(cloud)
        done = threading.Semaphore(0)

        def worker() -> None:
            job: Job | None = None
            try:
                while self._can_claim():
                    if job is None:
                        job = self.outbox.claim()
                        if job is None:
                            return
                    # A finished job hands over the next one, claimed in the same transaction.
                    job = self._process(cloud, job, run)
                if job is not None:  # claimed, then told to stop: back untouched
                    self._record([job], "was given back",
                                 functools.partial(self.outbox.release, job), False)
            except Exception:
                log.exception("sync worker stopped by an error")
                if job is not None:  # a guarded no-op if it was settled after all
                    self._strand(job)
            finally:
                done.release()

        beating = threading.Event()
        beat = threading.Thread(target=self._heartbeats, args=(beating,), daemon=True,
                                name="ecan-sync-heartbeat")
        beat.start()
        self._avatar_puts.start()
        try:
            for _ in range(n):
                threading.Thread(target=worker, name="ecan-sync-worker", daemon=True).start()
            for _ in range(n):
                done.acquire()
        finally:
            try:
                self._list_journal_ahead(cloud)
            except Exception as e:  # (SQLite busy): the pull lists it then, as it would
                log.info("the journal was not listed ahead (%s)", type(e).__name__)
            self._avatar_puts.close()  # the last entries, and their jobs recorded done
            beating.set()
            beat.join()

    def _list_journal_ahead(self, cloud: Cloud) -> None:
        """The uploads are done, and `ecan sync` pulls next (it asked ahead for the shared
        documents): the journal's listing is asked for now, beside the last entries' write
        and their bookkeeping, so the pull starts on its answer and `ecan sync` ends a round
        trip sooner. Not while jobs still wait (a retry's backoff: the drain goes on)."""
        asked = self._asked[-1:]
        if not asked or self._stop.is_set() or not self._online or self._auth_required \
                or self.outbox.ready_jobs():
            return
        asked[0].list_journal(self.outbox, cloud)

    def _heartbeats(self, stop: threading.Event) -> None:
        """Renew every running job's claim each heartbeat_s, whatever the job is doing (a small
        PUT waiting on the bandwidth limit, a request in flight): recovery elsewhere takes
        over only claims older than the lease."""
        while not stop.wait(self.heartbeat_s):
            with self._active_cv:
                jobs = list(self._active.values())
            for job in jobs:
                self._beat(job)

    def _beat(self, job: Job) -> None:
        try:
            kept = self.outbox.heartbeat(job)
            taken = not kept and self.outbox.held_by_another(job)
        except sqlite3.Error as e:  # the lease is many heartbeats long: try again next time
            log.warning("could not renew the claim on job %d (%s)", job.id, type(e).__name__)
            return
        with self._active_cv:
            if self._active.get(job.id) is not job:
                return  # settled meanwhile (or claimed anew): nothing to say
            if kept:
                self._beats[job.id] = time.monotonic()
            elif job.id not in self._lost:
                # Not ours any more: taken over, or settled or given back here (a stop) just
                # before its worker let go of it, which is no news.
                if taken:
                    log.warning("job %d was taken over by another process: stopping it", job.id)
                self._lost.add(job.id)

    def _keep_claim(self, job: Job) -> None:
        """Before a request: renew the claim if a heartbeat is due (the heartbeat thread may
        lag, e.g. just after the machine woke up) and stop if the job is no longer ours."""
        with self._active_cv:
            due = time.monotonic() - self._beats.get(job.id, 0.0) >= self.heartbeat_s
        if due:
            self._beat(job)
        if job.id in self._lost:
            raise _Abandoned()

    def _listing(self, cloud: Cloud) -> _Known | None:
        uploads, with_video = self.outbox.uploads_to_check(self.small_file)
        return self._list(cloud, with_video) if uploads >= LIST_THRESHOLD else None

    def _list(self, cloud: Cloud, with_video: int) -> _Known | None:
        root = cloud.layout.root
        # videos/ only when a video waits: a library of photos lists one prefix, not two.
        prefixes = (f"{root}images/", f"{root}videos/") if with_video else (f"{root}images/",)
        try:
            return _Known(prefixes, frozenset(o.key for prefix in prefixes
                                              for o in cloud.store.list(prefix)))
        except Exception as e:  # the workers will meet (and classify) the same problem
            log.info("listing %s failed (%s): checking objects one by one", root,
                     type(e).__name__)
            return None

    def _can_claim(self) -> bool:
        return (self._online and not self._auth_required and not self._signed_out
                and not self._paused and self._blocked is None and not self._stop.is_set())

    # -- one job ---------------------------------------------------------------------------
    def _process(self, cloud: Cloud, job: Job, run: _Run) -> Job | None:
        """Run one job; on success, return the next one (already claimed), if any. An upload
        is recorded done later, by the journal's writer, once an entry names its avatar."""
        nxt: Job | None = None
        deferred = False
        with self._active_cv:
            self._active[job.id] = job
            self._beats[job.id] = time.monotonic()  # claimed just now
            self._lost.discard(job.id)
        started = time.monotonic()
        sent = [0]
        try:
            self._emit(JobStarted(job.id, job.kind, job.avatar_id, 0))
            update: dict[str, Any] | None = None
            entry: tuple[dict[str, Any], float] | None = None
            removed: tuple[str | None, str | None] = (None, None)
            current = cloud.layout.identity_id
            if job.identity_id is not None and job.identity_id != current:
                raise OtherIdentity(job.identity_id, current)
            if job.kind == "upload":
                update, entry = self._upload(cloud, job, run, sent)
            elif job.kind == "delete":
                removed = self._delete(cloud, job)
            elif job.kind == "metadata":
                self._metadata(cloud, job)
            else:
                raise UserFacingError("unknown_job", f"Unknown outbox job kind {job.kind!r}.",
                                      "Update ecan; this job was written by a newer version.")
            if entry is not None:
                self._keep_claim(job)
                meta, at = entry
                self._avatar_puts.add(cloud, meta, at,
                                      _Uploaded(job, update, run, started, sent[0]))
                deferred = True  # the worker claims its next job itself
        except BaseException as e:  # noqa: BLE001 - every outcome must land in the outbox
            self._on_error(job, e, run)
            if not isinstance(e, Exception):
                raise
        else:
            if not deferred:
                nxt = self._done(job, update, removed, run, started, sent[0])
        finally:
            if not deferred:
                self._settled(job)
        return nxt

    def _journaled(self, uploads: list[_Uploaded], error: BaseException | None) -> None:
        """The journal's writer wrote (or failed to write) the entry naming these avatars:
        their jobs are recorded done together, in one transaction, or each meets the error."""
        try:
            recorded = [False] * len(uploads)
            if error is None:
                recorded = self._record([u.job for u in uploads], "are done",
                                        lambda: self.outbox.complete_all(
                                            [(u.job, u.update) for u in uploads]), recorded)
            for u, ok in zip(uploads, recorded, strict=True):
                try:
                    if error is not None:
                        self._on_error(u.job, error, u.run)
                    elif ok:
                        self._finished(u.job, u.run, u.started, u.sent)
                except Exception:  # one job's bookkeeping must not leave the others unheard
                    log.exception("recording the outcome of job %d failed", u.job.id)
        finally:
            for u in uploads:
                self._settled(u.job)

    def _done(self, job: Job, update: dict[str, Any] | None,
              removed: tuple[str | None, str | None], run: _Run, started: float, sent: int
              ) -> Job | None:
        """Record a finished job, and claim the next in the same transaction."""
        not_recorded: tuple[bool, Job | None] = (False, None)
        ok, nxt = self._record(
            [job], "is done", lambda: self.outbox.complete_and_claim(
                job, update, claim_next=self._can_claim(), removed=removed),
            not_recorded)
        if ok:
            self._finished(job, run, started, sent)
        return nxt

    def _finished(self, job: Job, run: _Run, started: float, sent: int) -> None:
        """A job recorded done: the run's counts, the log, the window."""
        self._transient_streak = 0
        self._last_error = None
        with run.lock:
            run.items_done += 1
            if job.kind == "upload" and job.avatar_id:
                run.synced_avatars.add(job.avatar_id)
        seconds = time.monotonic() - started
        if job.kind == "upload":
            # One line per avatar (not per object): logging is not free at 100s/s.
            log.info("synced avatar %s: %d bytes uploaded in %.3f s (%.1f KB/s)",
                     job.avatar_id, sent, seconds, sent / 1024 / max(seconds, 1e-6))
        else:
            log.info("%s job %d done in %.3f s", job.kind, job.id, seconds)
        self._emit(JobFinished(job.id, job.kind, job.avatar_id, sent, seconds))
        self._emit_progress(run, job.avatar_id, force=True)

    def _settled(self, job: Job) -> None:
        """The job is no longer this engine's to run: its claim needs no more heartbeats."""
        with self._active_cv:
            self._active.pop(job.id, None)
            self._beats.pop(job.id, None)
            self._lost.discard(job.id)
            self._active_cv.notify_all()

    def _on_error(self, job: Job, e: BaseException, run: _Run) -> None:
        if self._cancel.is_set() or isinstance(e, _Abandoned):
            self._record([job], "was given back", lambda: self.outbox.release(job), False)
            return
        if isinstance(e, OtherIdentity):
            log.warning("job %d (%s) held: it belongs to another identity", job.id, job.kind)
            self._record([job], "is held", lambda: self.outbox.hold(
                job, e.message, time.time() + HOLD_S), False)
            self._last_error = e.to_dict()
            self._emit(JobFailed(job.id, job.kind, job.avatar_id, e.code, e.message, e.hint,
                                 time.time() + HOLD_S))
            return
        if isinstance(e, AuthRequired):
            # Never a failure: the job waits, untouched, for the user to sign in again.
            self._record([job], "waits for sign-in", lambda: self.outbox.retry_later(
                job, e.message, 0.0, count_attempt=False), False)
            self._last_error = e.to_dict()
            self._auth_lost(e)
            return
        if pauses_queue(e) and isinstance(e, UserFacingError):
            # Every other job would fail the same way: this one waits, its attempt uncounted,
            # and the loop probes until the cause is fixed.
            self._record([job], "waits", lambda: self.outbox.retry_later(
                job, e.message, 0.0, count_attempt=False), False)
            self._block(e)
            self._emit(JobFailed(job.id, job.kind, job.avatar_id, e.code, e.message, e.hint,
                                 time.time()))
            return
        if _is_transient(e):
            delay = self._backoff(job.attempts)
            retry_at = time.time() + delay
            message = e.message if isinstance(e, UserFacingError) else f"{type(e).__name__}: {e}"
            hint = e.hint if isinstance(e, UserFacingError) else "It will be retried."
            self._record([job], "will retry", lambda: self.outbox.retry_later(
                job, message, retry_at), False)
            self._last_error = {"code": getattr(e, "code", "transient"), "message": message,
                                "hint": hint}
            log.info("job %d (%s) will retry in %.1fs after attempt %d: %s", job.id, job.kind,
                     delay, job.attempts, message)
            self._emit(JobFailed(job.id, job.kind, job.avatar_id,
                                 getattr(e, "code", "transient"), message, hint, retry_at))
            self._transient_streak += 1
            if self._transient_streak >= OFFLINE_SUSPECT_AFTER and self._online:
                self._check_offline()
            return
        if isinstance(e, UserFacingError):
            code, message, hint = e.code, e.message, e.hint
        elif isinstance(e, OSError):
            if job.avatar_id and self.outbox.avatar(job.avatar_id) is None:
                # The avatar was deleted while we uploaded it: nothing left to do here (its
                # delete job removes whatever reached the cloud).
                self._record([job], "is done", lambda: self.outbox.complete(job, None), False)
                with run.lock:
                    run.items_done += 1
                return
            where = getattr(e, "filename", None) or "a library file"
            code, message = "local_file", f"Cannot read {where} ({e.strerror or type(e).__name__})."
            hint = "Check the file exists and is readable, or re-import the picture; then retry."
        else:
            log.exception("job %d (%s) hit a bug", job.id, job.kind)
            if job.attempts < BUG_ATTEMPTS:
                retry_at = time.time() + self._backoff(job.attempts)
                self._record([job], "will retry", lambda: self.outbox.retry_later(
                    job, f"internal error: {type(e).__name__}", retry_at), False)
                return
            code, message = "internal_error", f"Sync hit a bug ({type(e).__name__})."
            hint = "Details are in the log under $ECAN_HOME/logs/ecan.log; then retry."
        self._record([job], "failed", lambda: self.outbox.fail(job, message, hint), False)
        log.warning("job %d (%s) failed: %s", job.id, job.kind, message)
        with run.lock:
            run.items_done += 1
        self._emit(JobFailed(job.id, job.kind, job.avatar_id, code, message, hint, None))

    def _record(self, jobs: list[Job], what: str, write: Callable[[], _T], refused: _T, *,
                tries: int = RECORD_TRIES) -> _T:
        """Record jobs' outcome in the outbox (one transaction), trying again with back-off
        while SQLite refuses; if it still refuses, return `refused` and give the jobs back
        later."""
        for attempt in range(1, tries + 1):
            try:
                return write()
            except sqlite3.Error as e:
                log.warning("could not record that job %s %s (%s: %s), try %d of %d",
                            ", ".join(str(job.id) for job in jobs), what, type(e).__name__, e,
                            attempt, tries)
                if attempt < tries:
                    time.sleep(self._backoff(attempt))
        for job in jobs:
            self._strand(job)
        return refused

    def _strand(self, job: Job) -> None:
        with self._stranded_lock:
            self._stranded[job.id] = job
        self._wake.set()

    def _give_back_stranded(self) -> bool:
        """Jobs whose outcome could not be recorded go back to READY (guarded: only while still
        in flight under this engine) to run again. True if some are still stranded."""
        with self._stranded_lock:
            jobs = list(self._stranded.values())
        for job in jobs:
            try:
                self.outbox.release(job)
            except sqlite3.Error as e:
                log.warning("could not give job %d back yet (%s)", job.id, type(e).__name__)
                continue
            with self._stranded_lock:
                self._stranded.pop(job.id, None)
        with self._stranded_lock:
            return bool(self._stranded)

    def _check_offline(self) -> None:
        """Several transient errors in a row: one probe tells a flaky request from a lost
        network. Offline stops all workers; the loop then probes with backoff."""
        try:
            cloud = self.cloud.open()
            cloud.store.check_access(cloud.layout.root)
        except AuthRequired as e:
            self._auth_lost(e)
        except Exception as e:
            if pauses_queue(e):
                self._block(e)
            elif _is_transient(e) and self._online:
                log.warning("the cloud does not answer (%s): waiting for it", type(e).__name__)
                self._set_state(online=False)
        else:
            self._transient_streak = 0

    def _block(self, e: BaseException) -> None:
        info = e.to_dict() if isinstance(e, UserFacingError) else {
            "code": "blocked", "message": str(e), "hint": ""}
        with self._state_lock:
            first = self._blocked is None
            self._blocked = info
        self._last_error = info
        if first:
            log.warning("sync paused until fixed: %s (%s)", info.get("message"), info.get("hint"))

    def _backoff(self, attempts: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2^(attempts-1))] (AWS's recipe; it spreads
        retries of many jobs instead of synchronising them)."""
        ceiling = min(self.retry_cap, self.retry_base * (2 ** max(0, attempts - 1)))
        return self._random.uniform(0, ceiling)

    # -- job kinds -------------------------------------------------------------------------
    def _upload(self, cloud: Cloud, job: Job, run: _Run, sent: list[int]
                ) -> tuple[dict[str, Any] | None, tuple[dict[str, Any], float] | None]:
        """Upload an avatar's objects; (its cloud columns, its journal entry: metadata and
        time), or (None, None) if it was deleted meanwhile."""
        row = job.avatar_row
        if row is None and job.avatar_id:
            row = self.outbox.avatar(job.avatar_id)
        if row is None:
            return None, None  # deleted meanwhile: its delete job cleans the cloud
        layout, store = cloud.layout, cloud.store
        home = self.paths.home
        sha, ext = row["sha256"], row["ext"]
        image_key = layout.original(sha, ext)
        thumb_key = layout.thumbnail(sha)
        # A new avatar's pictures go up without asking the cloud first: it can hold them only
        # if another machine has the very same picture, and sending them again then costs their
        # bytes alone. A retry (the try before may have got through) and an avatar synced before
        # (edited since, or the cloud changed) ask, and so do a video and a large file.
        ask = job.tried_before or row["cloud_image_key"] is not None
        self._put(store, job, run, sent, image_key, home / row["image_path"], row["mime_type"],
                  sha, ask=ask)
        video_key = None
        video: dict[str, Any] | None = None
        if row["video_path"] and row["video_sha256"] and row["video_ext"]:
            video_key = layout.video(row["video_sha256"], row["video_ext"])
            self._put(store, job, run, sent, video_key, home / row["video_path"],
                      row["video_mime_type"] or "application/octet-stream", row["video_sha256"],
                      ask=True)
            video = {"sha256": row["video_sha256"], "ext": row["video_ext"],
                     "mime_type": row["video_mime_type"], "bytes": row["video_bytes"],
                     "duration": row["video_duration"]}
        # The metadata rides on the thumbnail, which goes up last: a thumbnail carrying it means
        # the avatar's other objects are there (restore relies on that).
        meta = metadata_document(row, video)
        field = avatar_meta.encode(meta)
        if field is None:  # too large for user metadata: a JSON object of its own
            store.put_bytes(layout.metadata(sha), json.dumps(meta, sort_keys=True).encode(),
                            content_type="application/json")
        self._put(store, job, run, sent, thumb_key, home / row["thumb_path"], "image/png", None,
                  metadata={avatar_meta.FIELD: field} if field is not None else None, ask=ask)
        update = {"cloud_image_key": image_key, "cloud_thumb_key": thumb_key,
                  "cloud_video_key": video_key, "cloud_image_url": store.public_url(image_key),
                  "cloud_thumb_url": store.public_url(thumb_key)}
        # Whole in the cloud now: the other machines learn of it from the journal entry, and
        # the job is done once that is written (_process hands it to the journal's writer).
        return update, (meta, row["edited_at"] or row["created_at"])

    def _changed(self, path: Path) -> UserFacingError:
        return UserFacingError(
            "local_file_changed", f"The stored file {path} no longer matches its checksum.",
            "The file was changed or damaged on disk: delete the avatar and import it again.")

    def _put(self, store: BlobStore, job: Job, run: _Run, sent: list[int], key: str, path: Path,
             content_type: str, expected_sha: str | None,
             metadata: dict[str, str] | None = None, *, ask: bool) -> None:
        """Upload one file unless the cloud already has it with the same SHA-256 (and, for the
        thumbnail, the same avatar metadata: a rename must reach the cloud). Without `ask`, a
        small file is sent without asking (see _upload); a large one always asks: a HEAD is
        nothing next to its upload.

        Verification: a small file is read once, hashed, and sent with that SHA-256
        (put_bytes sends x-amz-checksum-sha256: S3 refuses a body that does not match, so a
        successful PUT is the check, without another request). A large file streams through
        put_file (multipart, bounded memory, progress) and is checked by a head afterwards."""
        size = path.stat().st_size
        small = size <= self.small_file
        data = path.read_bytes() if small else None
        if data is not None:
            sha = hashlib.sha256(data).hexdigest()
        else:
            sha, _ = _file_sha256(path)
        if expected_sha is not None and sha != expected_sha:
            raise self._changed(path)
        want_meta = (metadata or {}).get(avatar_meta.FIELD)
        known = self._known
        if (ask or not small) and (known is None or known.may_have(key)):  # ask for its sha
            self._keep_claim(job)
            existing = store.head(key)
            if existing is not None and existing.sha256 == sha and existing.size == size \
                    and existing.metadata.get(avatar_meta.FIELD) == want_meta:
                with run.lock:
                    run.bytes_done += size
                return  # already there, same content: idempotent retry, no duplicate
        started = time.monotonic()
        if data is not None:
            self._bucket.consume(size, self._cancel)
            if self._cancel.is_set():
                raise _Abandoned()
            self._keep_claim(job)
            store.put_bytes(key, data, content_type=content_type, metadata=metadata)
            with run.lock:
                run.bytes_done += size
                run.bytes_sent += size
            self._emit_progress(run, job.avatar_id)
        else:
            self._put_large(store, job, run, key, path, content_type, sha, size, metadata)
        sent[0] += size
        if log.isEnabledFor(logging.DEBUG):
            seconds = time.monotonic() - started
            log.debug("uploaded %s: %d bytes in %.3f s", key, size, seconds)

    def _put_large(self, store: BlobStore, job: Job, run: _Run, key: str, path: Path,
                   content_type: str, sha: str, size: int,
                   metadata: dict[str, str] | None = None) -> None:
        moved = [0]

        def progress(n: int) -> None:
            if self._cancel.is_set() or job.id in self._lost:
                raise _Abandoned()
            self._bucket.consume(n, self._cancel)
            moved[0] += n
            with run.lock:
                run.bytes_done += n
                run.bytes_sent += n
            self._emit_progress(run, job.avatar_id)

        self._keep_claim(job)
        try:
            store.put_file(key, path, content_type=content_type, sha256=sha, metadata=metadata,
                           progress=progress)
        except BaseException:
            with run.lock:  # the retry will count these bytes again
                run.bytes_done -= moved[0]
            raise
        if moved[0] < size:  # a backend that reports no (or partial) progress
            with run.lock:
                run.bytes_done += size - moved[0]
                run.bytes_sent += size - moved[0]
        after = store.head(key)
        if after is None or (after.sha256 is not None and after.sha256 != sha) \
                or after.size != size:
            raise _VerifyFailed(key)

    def _delete(self, cloud: Cloud, job: Job) -> tuple[str | None, str | None]:
        """Remove the avatar's objects unless another avatar uses the same content; returns the
        (picture sha256, video sha256) whose objects were removed.

        Keys are content-addressed, so an avatar of the same picture or video imported since
        (even while this job waited out a back-off) uses these very objects. The library is
        checked first; an avatar that comes to use the content between that check and the
        delete requests (its upload found the objects still there) is caught when the job is
        marked done: that transaction re-reads the library and queues such avatars' uploads,
        which put the objects back (Outbox.complete_and_claim(removed=...))."""
        p = job.payload
        sha, ext = p.get("sha256"), p.get("ext")
        if not isinstance(sha, str) or not isinstance(ext, str):
            raise UserFacingError("bad_job", f"Delete job {job.id} lacks the avatar's checksum.",
                                  "Nothing can be deleted in the cloud for it; retry is useless.")
        layout, store = cloud.layout, cloud.store
        keys = []
        image_sha: str | None = None
        if not self.outbox.content_in_use(sha, None):
            image_sha = sha
            keys += [layout.original(sha, ext), layout.thumbnail(sha), layout.metadata(sha)]
        vsha, vext = p.get("video_sha256"), p.get("video_ext")
        video_sha: str | None = None
        if isinstance(vsha, str) and isinstance(vext, str) and vsha \
                and not self.outbox.content_in_use(None, vsha):
            video_sha = vsha
            keys.append(layout.video(vsha, vext))
        for key in keys:
            store.delete(key)
        deleted_at = p.get("at")
        journal.write(cloud, self._machine(), "avatar.delete", {"sha256": sha},
                      at=deleted_at if isinstance(deleted_at, int | float) else None)
        return image_sha, video_sha

    def _machine(self) -> str:
        if self._machine_id is None:
            self._machine_id = self.outbox.machine_id()
        return self._machine_id

    def _metadata(self, cloud: Cloud, job: Job) -> None:
        if job.payload.get("what") == "agent":  # one agent's change: its document, journaled
            at = job.payload.get("at")
            at = float(at) if isinstance(at, int | float) else time.time()
            machine = self._machine()
            if isinstance(job.payload.get("deleted"), str):
                name = job.payload["deleted"]
                if agentdocs.push(cloud, self.db, self.outbox, machine, name, None, at):
                    journal.write(cloud, machine, "agent.delete", {"name": name}, at=at)
                return
            agent = self.outbox.agent_document(str(job.payload.get("id")))
            if agent is not None:  # gone meanwhile: its delete entry follows
                doc = agentdocs.push(cloud, self.db, self.outbox, machine, agent["name"], agent,
                                     float(agent["updated_at"]))
                if doc is not None:  # None: a later edit from elsewhere was kept instead
                    journal.write(cloud, machine, "agent.save", {"agent": doc},
                                  at=doc["updated_at"])
            return
        doc = {"version": 1, "agents": self.outbox.agents_document()}
        cloud.store.put_bytes(cloud.layout.agents, json.dumps(doc, sort_keys=True).encode(),
                              content_type="application/json")

    # -- events and state ------------------------------------------------------------------
    def _emit(self, event: SyncEvent) -> None:
        sink = self._emit_to
        if sink is None:
            return
        try:
            sink(event)
        except Exception:  # a broken listener must not break syncing
            log.exception("sync event listener failed")

    def _emit_progress(self, run: _Run, avatar_id: str | None, force: bool = False) -> None:
        now = time.monotonic()
        with run.lock:
            if not force and now - run.last_emit < 0.1:
                return
            run.last_emit = now
            event = Progress(run.bytes_done, max(run.bytes_total, run.bytes_done),
                             run.items_done, max(run.items_total, run.items_done), avatar_id,
                             run.speed())
        self._emit(event)

    def _set_state(self, *, online: bool | None = None, auth_required: bool | None = None,
                   signed_out: bool | None = None) -> None:
        with self._state_lock:
            changed = False
            if online is not None and online != self._online:
                self._online, changed = online, True
                try:
                    self.outbox.set_setting(ONLINE_KEY, "1" if online else "0")
                except Exception:  # the database busy for long: the state is only advisory
                    log.warning("could not record the online state", exc_info=True)
            if auth_required is not None and auth_required != self._auth_required:
                self._auth_required, changed = auth_required, True
            if signed_out is not None and signed_out != self._signed_out:
                self._signed_out, changed = signed_out, True
        if changed:
            self._emit_state()

    def _emit_state(self) -> None:
        signed_in = bool(self.auth is not None and self.auth.signed_in)
        self._emit(StateChanged(self._online, self._pause.paused, self._auth_required, signed_in,
                                self._signed_out, self.paused_until()))

    def _identity(self) -> dict[str, Any]:
        auth = self.auth
        if auth is None:
            return {}
        try:
            status = auth.status()
        except Exception:
            log.warning("auth status unavailable", exc_info=True)
            return {}
        return status if isinstance(status, dict) else {}


def library_status(outbox: Outbox, *, configured: bool, ident: dict[str, Any]) -> dict[str, Any]:
    """The status fields that need no running engine (plain SQL, no network): `ecan status`
    uses this directly, so it stays light. `local` = queued while no cloud is configured."""
    counts = outbox.avatar_counts()
    local = 0
    if not configured:
        local, counts["queued"], counts["syncing"] = counts["queued"] + counts["syncing"], 0, 0
    online_saved = outbox.get_setting(ONLINE_KEY)
    bandwidth = outbox.get_setting(BANDWIDTH_KEY)
    return {
        "counts": {"local": local, "queued": counts["queued"], "syncing": counts["syncing"],
                   "synced": counts["synced"], "failed": counts["failed"],
                   # Built in, shipped with the app: not the user's to sync, but in the list.
                   "system": outbox.system_count()},
        "signed_in": bool(ident.get("signed_in", False)),
        # The last state an engine saw (no probe here: status makes no network call).
        "online": online_saved != "0",
        "identity_id": ident.get("identity_id"),
        "cloud_configured": configured,
        **_pause_fields(outbox),
        "auth_required": bool(ident.get("session_expired")),
        "bandwidth_limit_kbps": int(bandwidth) if bandwidth and bandwidth.isdigit() else 0,
        "jobs": outbox.job_counts(),
    }


def _pause_fields(outbox: Outbox) -> dict[str, Any]:
    """Contract: `paused`, and `paused_until` (epoch seconds; None: until resumed)."""
    state = outbox.pause_state()
    return {"paused": state.paused, "paused_until": state.until}


def metadata_document(row: Any, video: dict[str, Any] | None) -> dict[str, Any]:
    """What another machine needs to rebuild this avatar (ecan.sync.restore reads it)."""
    def tags() -> list[str]:
        try:
            value = json.loads(row["tags"] or "[]")
        except ValueError:
            return []
        return [str(t) for t in value] if isinstance(value, list) else []

    def params() -> Any:
        if not row["generation_params"]:
            return None
        try:
            return json.loads(row["generation_params"])
        except ValueError:
            return None

    return {
        "version": 1, "id": row["id"], "name": row["name"], "tags": tags(),
        "description": row["description"], "resource_type": row["resource_type"],
        "format": row["format"], "ext": row["ext"], "mime_type": row["mime_type"],
        "width": row["width"], "height": row["height"], "bytes": row["bytes"],
        "sha256": row["sha256"], "original_filename": row["original_filename"],
        "animated": bool(row["animated"]), "created_at": row["created_at"],
        "edited_at": row["edited_at"],
        "video": video, "generation_params": params(),
    }

