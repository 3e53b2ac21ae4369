"""`ecan sync`, `status` and `restore`.

`ecan sync` pushes what waits in the outbox, then pulls what other machines changed: even with
nothing to push it asks the cloud (the journal, the published system avatars, the generation
history: three requests, on the direct path; no botocore to load). The last two are asked as
the uploads start, the journal after them."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ecan.cli.output import Output, plural

if TYPE_CHECKING:
    from ecan.sync.engine import SyncEngine
    from ecan.sync.events import SyncEvent

# When --timeout is up: how long the uploads under way may still finish, then how long the
# stopped engine may take to give the rest back.
STOP_GRACE_S = 2.0


def _exit_code(result: dict[str, Any]) -> int:
    return 0 if result["remaining"] == 0 and result["failed"] == 0 else 1


def _summary(result: dict[str, Any]) -> str:
    synced = result["synced"]
    return (f"Synced {synced} {'avatar' if synced == 1 else 'avatars'}; "
            f"{result.get('pulled', 0)} pulled; {result.get('removed', 0)} removed; "
            f"{result['failed']} failed; {result['remaining']} waiting.")


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1000:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.2f} GB"


class _ProgressLine:
    """One `\\r` line on stderr (a terminal) with items, bytes and speed; on a pipe, only the
    lines that matter (failures, offline, sign-in needed)."""

    def __init__(self, out: Output) -> None:
        self.out = out
        self.tty = out.stderr.isatty()
        self.last = 0.0
        self.drawn = False

    def __call__(self, event: SyncEvent) -> None:
        from ecan.sync.events import JobFailed, Progress, StateChanged

        if isinstance(event, Progress):
            now = time.monotonic()
            if not self.tty or (now - self.last < 0.1 and event.items_done < event.items_total):
                return
            self.last = now
            width = 24
            frac = event.items_done / event.items_total if event.items_total else 1.0
            bar = "#" * int(frac * width) + "-" * (width - int(frac * width))
            self.out.stderr.write(
                f"\r[{bar}] {event.items_done}/{event.items_total} items, "
                f"{_size(event.bytes_done)}/{_size(event.bytes_total)}, "
                f"{_size(event.speed)}/s ")
            self.out.stderr.flush()
            self.drawn = True
        elif isinstance(event, JobFailed) and event.retry_at is None:
            self.line(f"failed: {event.message}" + (f" ({event.hint})" if event.hint else ""))
        elif isinstance(event, StateChanged):
            if not event.online:
                self.line("the cloud does not answer: waiting and retrying…")
            elif event.auth_required or event.signed_out:
                self.line("sign-in needed: run `ecan login --username NAME`")

    def line(self, text: str) -> None:
        if self.drawn:
            self.out.stderr.write("\n")
            self.drawn = False
        self.out.info(text)

    def close(self) -> None:
        if self.drawn:
            self.out.stderr.write("\n")
            self.out.stderr.flush()


def _until_text(until: float | None) -> str:
    """"until 16:30" / "until tomorrow 08:00" / "until you resume it", in local time."""
    from datetime import datetime, timedelta

    if until is None:
        return "until you resume it (`ecan sync --resume`)"
    end = datetime.fromtimestamp(until).astimezone()
    today = datetime.now().astimezone().date()
    if end.date() == today:
        return f"until {end:%H:%M}"
    if end.date() == today + timedelta(days=1):
        return f"until tomorrow {end:%H:%M}"
    return f"until {end:%Y-%m-%d %H:%M}"


def pause_or_resume(args: argparse.Namespace, out: Output) -> int:
    """`ecan sync --pause [DURATION]` / `--resume`: saved in the library, so the app's sync
    process follows it too (at its next look at the queue). Contract: {paused, until}."""
    from ecan.cli.context import open_app
    from ecan.sync.pause import pause_end

    until = pause_end(args.pause) if args.pause is not None else None  # bad input: no app
    app = open_app()
    try:
        engine = app.engine
        if args.resume:
            engine.resume()
        else:
            engine.pause(until)
        result = {"paused": engine.paused(), "until": engine.paused_until()}
    finally:
        app.close()
    out.result(result, f"Syncing paused {_until_text(result['until'])}." if result["paused"]
               else "Syncing resumed.")
    return 0


def sync(args: argparse.Namespace, out: Output) -> int:
    """Push the outbox, then pull what other machines changed (ecan.sync.journal)."""
    from ecan.cli.context import open_app, starting_up
    from ecan.cli.output import unwrap

    if getattr(args, "pause", None) is not None or getattr(args, "resume", False):
        return pause_or_resume(args, out)
    with starting_up():
        app = open_app()
    bar = _ProgressLine(out)
    # Until it ends as it should, the command counts as cut short (Ctrl+C in the pull, an
    # error): closing then does not wait out what is still under way.
    interrupted, cut_short = False, True
    try:
        engine = app.engine
        if args.retry_failed:
            again = unwrap(app.handlers.call("sync.retry", {})).get("retried", 0)
            bar.line(f"queued {plural(again, 'failed upload')} again")
        # What the cloud holds, then the pull's shared documents, are asked for as the engine
        # starts (see list_ahead, ask_shared): the cloud is idle meanwhile.
        if engine.paused():
            out.info(f"sync is paused {_until_text(engine.paused_until())}: nothing uploaded "
                     "(resume it in the app, or with `ecan sync --resume`)")
        else:
            engine.list_ahead()
        shared = engine.ask_shared() if _may_pull(engine) else None
        # --timeout bounds the whole command, not each of its steps.
        time_left = _time_left(args.timeout)
        try:
            result, interrupted = _drain_until_interrupted(engine, time_left(), bar)
            elsewhere = 0
            # Another engine (the app's, a second `ecan sync`) may hold some jobs: wait for it,
            # then take what it gave back, so the summary tells how things ended.
            for _ in range(3):
                if interrupted or time_left() == 0:
                    break
                elsewhere = _wait_for_others(engine, time_left(), bar)
                if elsewhere or not engine.outbox.ready_jobs() or time_left() == 0:
                    break
                again, interrupted = _drain_until_interrupted(engine, time_left(), bar)
                result["synced"] += again["synced"]
            result.update(pulled=0, removed=0)
            if not interrupted and _pull(engine, result, bar, shared, time_left):
                if engine.outbox.ready_jobs() and time_left() != 0:  # what the pull queued
                    again, interrupted = _drain_until_interrupted(engine, time_left(), bar)
                    result["synced"] += again["synced"]
            counts = engine.outbox.avatar_counts()
            result["failed"] = counts["failed"]
            result["remaining"] = (counts["queued"] + counts["syncing"]
                                   + engine.outbox.pending_non_upload()
                                   + result.get("pull_waiting", 0))
        finally:
            bar.close()
        status = engine.status()
        cut_short = interrupted or time_left() == 0
    finally:
        # Cut short: what is still under way (a silent cloud's read timeouts) is not waited out.
        app.close(wait_s=STOP_GRACE_S if cut_short else None)
    if status.get("cloud_changed"):
        out.info(f"the cloud or identity changed since the last sync: "
                 f"{plural(status['cloud_changed']['requeued'], 'avatar')} synced elsewhere "
                 "were checked again here")
    if result.get("pull_waiting"):
        out.info(f"{plural(result['pull_waiting'], 'avatar')} from your other computers could "
                 "not be saved here yet (the warnings above say why); the next sync tries again")
    if interrupted:
        out.info(f"interrupted: {plural(result['remaining'], 'avatar')} still waiting; they "
                 "carry on with the next `ecan sync`, or in the app")
    elif elsewhere:
        out.info(f"{plural(elsewhere, 'upload')} still being made by another ecan on this computer "
                 "(the app, or another `ecan sync`); they finish there")
    elif status.get("auth_required") or status.get("signed_out"):
        out.info("sign-in needed: run `ecan login --username NAME`, then `ecan sync` again")
    elif not status.get("cloud_configured"):
        out.info("no cloud storage is configured: everything stays queued on this computer")
    elif result["remaining"] and status.get("last_error"):
        err = status["last_error"]
        out.info(f"waiting: {err.get('message', '')}"
                 + (f" ({err['hint']})" if err.get("hint") else ""))
    out.result(result, _summary(result))
    return 130 if interrupted else _exit_code(result)


def _may_pull(engine: Any) -> bool:
    return bool(engine.cloud.configured() and not engine.paused())


def _pull(engine: Any, result: dict[str, Any], bar: _ProgressLine, shared: Any,
          time_left: Callable[[], float | None]) -> bool:
    """After the push: other machines' changes (`shared`: the shared documents' answers, if
    asked for already); whether the cloud was asked. Paused, signed out or no cloud: nothing
    to pull now (the push's summary already says why); nor once the time given is up, or
    when the push found the cloud silent (no request to wait out). A bad entry is a warning,
    not a stop."""
    from ecan.errors import UserFacingError

    if not _may_pull(engine):
        return False
    if time_left() == 0:
        bar.line("nothing pulled: the time given (--timeout) is up; the next sync pulls")
        return False
    if not engine.online:
        bar.line("nothing pulled: the cloud does not answer; the next sync pulls")
        return False
    try:
        pulled = engine.pull_now(shared=shared or True)
    except UserFacingError as e:
        bar.line(f"nothing pulled: {e.message}")
        return True
    except Exception as e:  # the network, the store, the disk: the next sync pulls again
        import sqlite3

        from ecan.avatars.walk import os_reason

        # (An OS or SQLite reason names no secret; other exceptions are named by their type.)
        reason = str(e) if isinstance(e, sqlite3.Error) else os_reason(e)
        bar.line(f"nothing pulled: {reason} ({type(e).__name__}); the next sync tries again")
        return True
    for warning in pulled["warnings"]:
        bar.line(f"warning: {warning}")
    result["pulled"] += pulled["pulled"]
    result["removed"] += pulled["removed"]
    if pulled["agents"]:  # (`pulled` counts avatars: an agent-only pull would say nothing)
        bar.line(f"pulled {plural(pulled['agents'], 'agent')} saved or deleted on your other "
                 "computers")
    if pulled["retrying"]:  # (the key only then: scripts compare the usual five)
        result["pull_waiting"] = result.get("pull_waiting", 0) + pulled["retrying"]
    return True


def _time_left(timeout: float | None) -> Callable[[], float | None]:
    """Seconds left of `timeout` from now (0 when it is up), or None without one."""
    if timeout is None:
        return lambda: None
    end = time.monotonic() + max(0.0, timeout)
    return lambda: max(0.0, end - time.monotonic())


def _drain_until_interrupted(engine: Any, timeout: float | None, bar: _ProgressLine
                             ) -> tuple[dict[str, Any], bool]:
    """engine.drain() on a thread of its own, so that Ctrl+C reaches this one: then the engine
    stops, and what it had claimed goes back to the queue instead of staying 'syncing'. The
    same happens when `timeout` is up and a request is still under way (a cloud that accepts
    connections but does not answer holds one for its whole read timeout)."""
    import threading

    box: dict[str, Any] = {}
    # Waited on rather than Thread.join: a join that Ctrl+C interrupts marks the thread as
    # ended (CPython before 3.13), and every later join returns at once, while the engine is
    # still recording what it finished.
    ended = threading.Event()

    def run() -> None:
        try:
            box["result"] = engine.drain(timeout=timeout, on_event=bar).to_dict()
        except BaseException as e:  # re-raised on the main thread
            box["error"] = e
        finally:
            ended.set()

    threading.Thread(target=run, name="ecan-sync-drain", daemon=True).start()
    interrupted = False
    end = None if timeout is None else time.monotonic() + timeout
    try:
        while not ended.wait(0.2):
            if end is not None and time.monotonic() > end:
                engine.stop(timeout=STOP_GRACE_S)  # in flight still: back to the queue
                ended.wait(STOP_GRACE_S)
                break
    except KeyboardInterrupt:
        interrupted = True
        bar.line("stopping: the uploads in flight go back to the queue…")
        engine.stop(timeout=3.0)
        ended.wait(10.0)
    if "error" in box:
        raise box["error"]
    if "result" not in box:  # stopped before drain could count
        counts = engine.outbox.avatar_counts()
        box["result"] = {"synced": 0, "failed": counts["failed"],
                         "remaining": counts["queued"] + counts["syncing"]}
    return box["result"], interrupted


def _wait_for_others(engine: Any, timeout: float | None, bar: _ProgressLine) -> int:
    """Jobs another live process claimed (the app's engine, a second `ecan sync`) are not ours
    to run; wait for them to finish so the summary tells the end state. Returns how many are
    still held when the wait ends."""
    held = engine.outbox.held_elsewhere()
    if held:
        bar.line(f"waiting for another ecan on this computer to finish "
                 f"{plural(held, 'upload')}…")
    deadline = time.monotonic() + (timeout if timeout is not None else 120.0)
    while held and time.monotonic() < deadline:
        time.sleep(0.25)
        held = engine.outbox.held_elsewhere()
    return int(held)


def status(args: argparse.Namespace, out: Output) -> int:
    """Light: configuration, SQL counts and the saved sign-in; no network, no sqlmodel."""
    from ecan.cli.context import open_app
    from ecan.db.sync_state import Outbox
    from ecan.sync.engine import library_status

    app = open_app()
    try:
        ident: dict[str, Any] = {}
        if app.config.cognito.configured:
            ident = dict(app.auth.status())
        from ecan.auth.cloud import CloudAccess

        # mode() reads only the config; building app.cloud would also build the auth service
        # and its database (sqlmodel: a few hundred ms) for nothing when Cognito is not used.
        cloud = app.cloud if app.config.cognito.configured else \
            CloudAccess(app.config, app.paths, None)  # type: ignore[arg-type]
        mode = cloud.mode()
        configured = mode != "none"
        target = cloud.target() if configured else None
        if mode in ("static", "local-folder") and not ident.get("identity_id"):
            ident["identity_id"] = app.config.storage.user_id  # the folder its objects go to
        if app.paths.database.exists():
            outbox = Outbox(app.paths.database)
            try:
                # "Synced" is only true of the store and identity it happened in.
                requeued = outbox.retarget(target) if target else 0
                data = library_status(outbox, configured=configured, ident=ident)
                data["cloud_changed"] = {"requeued": requeued, "target": target} \
                    if requeued else None
            finally:
                outbox.close()
        else:
            data = {"counts": dict.fromkeys(("local", "queued", "syncing", "synced", "failed",
                                             "system"), 0),
                    "signed_in": bool(ident.get("signed_in")), "online": True,
                    "identity_id": ident.get("identity_id"), "cloud_configured": configured}
        from ecan.accounts import read_signed_in

        signed = read_signed_in(app.paths) if app.paths.is_account else None
        data["account"] = signed.username if signed else None
    finally:
        app.close()

    def human() -> str:
        c = data["counts"]
        who = (f"signed in as {data['account'] or '?'} ({data['identity_id']})"
               if data["signed_in"] else "not signed in")
        if not data["signed_in"] and data["account"]:
            who = f"{data['account']}'s session expired: sign in again"
        state = []
        if data.get("paused"):
            state.append(f"paused {_until_text(data.get('paused_until'))}")
        if data.get("auth_required"):
            state.append("session expired: sign in again")
        if not data.get("cloud_configured"):
            where = "no cloud storage configured (everything stays on this computer)"
        else:
            where = "online" if data["online"] else "offline"
        system = f", {c['system']} built in" if c.get("system") else ""
        if data.get("cloud_changed"):
            state.append(f"the cloud or identity changed: {data['cloud_changed']['requeued']} "
                         "avatars synced elsewhere are queued to be checked there")
        return (f"{c['synced']} synced, {c['queued']} queued, {c['syncing']} syncing, "
                f"{c['failed']} failed, {c['local']} local only{system}; {who}; {where}"
                + (f"; {', '.join(state)}" if state else ""))

    out.result(data, human)
    return 0


def restore(args: argparse.Namespace, out: Output) -> int:
    from ecan.cli.context import open_app

    app = open_app()
    bar = _ProgressLine(out)
    try:
        result = app.engine.restore(on_event=bar)
        result.pop("ran", None)
    finally:
        bar.close()
        app.close()
    for warning in result.get("warnings", []):
        out.info(f"warning: {warning}")
    out.result(result, f"Restored {plural(result['restored'], 'avatar')} and "
                       f"{plural(result['agents_restored'], 'agent')}; "
                       f"{result['skipped']} already here; {result['failed']} failed.")
    return 0 if result["failed"] == 0 else 1



def service(args: argparse.Namespace, out: Output) -> int:
    """`ecan sync-service`: the desktop window's sync process (see ecan.sync.service). Reads
    commands on stdin, writes events on stdout; not meant to be typed."""
    import sys

    from ecan.app import build_app
    from ecan.auth.secrets import MemoryKeyring
    from ecan.priority import run_in_background
    from ecan.sync.service import serve

    # Events own the real stdout; anything else a library prints goes to stderr (the window
    # logs it) instead of corrupting the event stream.
    events = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    run_in_background()  # below the window (uploads wait on the network anyway)
    # The session comes from the window over the pipe, never from the keyring here.
    app = build_app(keyring_backend=MemoryKeyring())

    def engine_now() -> SyncEngine:
        from ecan.accounts import library_paths

        # The library of the account the window signed in to (or the local-only one).
        app.switch_library(library_paths(app.paths.local_only(), app.config)[0])
        return app.engine

    try:
        return serve(engine_now, lambda raw: app.auth.adopt_session(raw), sys.stdin, events)
    finally:
        app.close()
