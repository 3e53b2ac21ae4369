"""Handlers for the `sync.*` methods: status, pause/resume, retry, bandwidth limit, wake, pull,
restore, and the Activity list.
They run on worker threads and call `app.sync` (ecan.sync.control): the engine itself, or the
window's proxy to its sync process. None waits on the engine's run loop."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from ecan.handlers.registry import Empty, Handlers, Request

if TYPE_CHECKING:
    from ecan.app import App


class RetryRequest(Request):
    avatar_id: str | None = Field(default=None, min_length=1, max_length=64,
                                  pattern=r"^[A-Za-z0-9_-]+$")


class BandwidthRequest(Request):
    kbps: int = Field(ge=0, le=10_000_000)  # kilobytes per second; 0 = unlimited


class PauseRequest(Request):
    # "30m", "1h", "2h30m", "tomorrow" (ecan.sync.pause); none: until resumed.
    duration: str | None = Field(default=None, max_length=40)


class RestoreRequest(Request):
    # The automatic restore after the first sign-in on a machine: only into an empty library.
    only_if_empty: bool = False


def register(handlers: Handlers, app: App) -> None:
    @handlers.register("sync.status", Empty)
    def status(_: Empty) -> dict[str, Any]:
        from ecan.accounts import read_signed_in

        data = app.sync.status()
        signed = read_signed_in(app.paths) if app.paths.is_account else None
        data["account"] = signed.username if signed else None  # whose library this is
        return data

    @handlers.register("sync.pause", PauseRequest, changes=["sync"])
    def pause(req: PauseRequest) -> dict[str, Any]:
        """Contract: {paused, until} (until: epoch seconds, None: until resumed)."""
        from ecan.sync.pause import pause_end

        until = pause_end(req.duration)
        app.sync.pause(until)
        return {"paused": True, "until": until}

    @handlers.register("sync.resume", Empty, changes=["sync"])
    def resume(_: Empty) -> dict[str, Any]:
        app.sync.resume()
        return {"paused": False, "until": None}

    # Waking changes nothing by itself: what the engine then does arrives as its events.
    @handlers.register("sync.wake", Empty, changes=[])
    def wake(_: Empty) -> dict[str, Any]:
        app.sync.wake()
        return {}

    @handlers.register("sync.pull", Empty, changes=[])
    def pull(_: Empty) -> dict[str, Any]:
        app.sync.pull()  # what it changes arrives as the engine's Pulled event
        return {}

    @handlers.register("sync.activity", Empty)
    def activity(_: Empty) -> dict[str, Any]:
        """The Activity list, newest first: {entries: [{at, kind, subject, detail, hint,
        avatar_id, machine (None: this computer), machine_name}]}."""
        from contextlib import closing

        from ecan.db import sync_state

        with closing(app.db.connect()) as conn:
            return {"entries": sync_state.recent_activity(conn)}

    @handlers.register("sync.retry", RetryRequest, changes=["sync", "avatars"],
                       ids=lambda req, _data: {"avatars": [req.avatar_id]} if req.avatar_id
                       else {})
    def retry(req: RetryRequest) -> dict[str, Any]:
        return {"retried": app.sync.retry_failed(req.avatar_id)}

    @handlers.register("sync.set_bandwidth_limit", BandwidthRequest, changes=["sync", "settings"])
    def set_bandwidth_limit(req: BandwidthRequest) -> dict[str, Any]:
        app.sync.set_bandwidth_limit(req.kbps)
        return {"kbps": req.kbps}

    @handlers.register("sync.restore", RestoreRequest, changes=["avatars", "agents", "sync"])
    def restore(req: RestoreRequest) -> dict[str, Any]:
        import time

        from ecan.accounts import RESTORED_KEY

        result = app.sync.restore(only_if_empty=req.only_if_empty)
        if result.get("ran"):
            # The account's first sign-in on this computer is over: later ones do not restore.
            app.db.set_setting(RESTORED_KEY, str(time.time()))
        return result
