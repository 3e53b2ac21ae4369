"""One way to control sync, wherever its engine runs. The CLI holds the engine itself
(ecan.sync.engine.SyncEngine); the desktop window holds a proxy to its sync process
(ecan.bridge.sync_process.SyncProcess), whose calls cross the pipe as request/response lines
(ecan.sync.service). Both answer `SyncControl`; the `sync.*` handlers call whichever `App.sync`
is. The engine owns its state (paused, online, signed in, sign-in needed) and publishes every
change as a StateChanged event (ecan.sync.events) besides answering `status()`."""

from __future__ import annotations

from typing import Any, Protocol


class SyncControl(Protocol):
    def status(self) -> dict[str, Any]:
        """Contract: {counts: {local, queued, syncing, synced, failed, system}, signed_in,
        online, identity_id}, plus paused, auth_required, blocked, bandwidth limit, job counts,
        progress, last_error."""
        ...

    def pause(self, until: float | None = None) -> None:
        """Stop uploading until resume(), or until `until` (epoch seconds): then by itself."""
        ...

    def resume(self) -> None: ...

    def wake(self) -> None:
        """New work, network back, or signed in: look again now (returns at once)."""
        ...

    def pull(self) -> None:
        """Look for other machines' changes soon (returns at once); what a pull changes here
        arrives as a Pulled event (ecan.sync.events)."""
        ...

    def retry_failed(self, avatar_id: str | None = None) -> int:
        """Failed jobs (of one avatar, or all) are tried again; returns how many."""
        ...

    def set_bandwidth_limit(self, kbps: int) -> None: ...

    def reload_config(self) -> None:
        """The config file changed (Settings saved it): read it again, rebuild the cloud access
        from it and look at the queue again (the window's proxy returns at once)."""
        ...

    def restore(self, *, only_if_empty: bool = False) -> dict[str, Any]:
        """Pull the identity's library from the cloud: {restored, skipped, failed,
        agents_restored, warnings, ran}; with `only_if_empty`, only into a library with none
        of the user's own avatars (`ran` says whether it did)."""
        ...


# SyncControl's methods as they cross the pipe: name -> {argument: accepted JSON types}.
CALLS: dict[str, dict[str, tuple[type, ...]]] = {
    "status": {}, "pause": {"until": (int, float, type(None))}, "resume": {}, "wake": {},
    "reload_config": {}, "pull": {},
    "retry_failed": {"avatar_id": (str, type(None))},
    "set_bandwidth_limit": {"kbps": (int,)},
    "restore": {"only_if_empty": (bool,)},
}


def check_call(method: Any, args: Any) -> None:
    """Raises ValueError unless `method(**args)` is a SyncControl call with well-typed arguments
    (the pipe is checked, not trusted)."""
    if not isinstance(method, str) or method not in CALLS:
        raise ValueError(f"no sync call {str(method)[:40]!r}")
    if not isinstance(args, dict):
        raise ValueError("args must be a JSON object")
    accepted = CALLS[method]
    for name, value in args.items():
        types = accepted.get(name)
        if types is None:
            raise ValueError(f"{method} takes no argument {str(name)[:40]!r}")
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise ValueError(f"{method}'s {name} is not {' or '.join(t.__name__ for t in types)}")


def dispatch(control: SyncControl, method: str, args: dict[str, Any]) -> Any:
    """Run a checked call on `control` (the engine, in the sync process)."""
    check_call(method, args)
    return getattr(control, method)(**args)
