"""What the sync engine tells its clients (the CLI's progress line; the window, through the sync
process's pipe and ecan.bridge.sync_process's signals). Events are small frozen dataclasses;
they may be emitted on worker threads. `to_wire` / `from_wire` carry them as JSON objects."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True)
class JobStarted:
    """A worker claimed a job. `kind` is upload | delete | metadata."""

    job_id: int
    kind: str
    avatar_id: str | None
    bytes_total: int


@dataclass(frozen=True)
class Progress:
    """Overall progress of the current run (`items_*`, `bytes_*`), last touched by `avatar_id`;
    `speed` is the run's average upload rate in bytes per second."""

    bytes_done: int
    bytes_total: int
    items_done: int
    items_total: int
    avatar_id: str | None
    speed: float


@dataclass(frozen=True)
class JobFinished:
    """A job is done. `uploaded`: bytes actually sent (0 when everything was already there)."""

    job_id: int
    kind: str
    avatar_id: str | None
    uploaded: int
    seconds: float


@dataclass(frozen=True)
class JobFailed:
    """A job failed. `retry_at` (epoch seconds) when it will be retried by itself; None when it
    is failed for good and waits for the user's retry (`hint` says what to fix first)."""

    job_id: int
    kind: str
    avatar_id: str | None
    code: str
    message: str
    hint: str
    retry_at: float | None


@dataclass(frozen=True)
class StateChanged:
    """The engine's state, which it owns: online (the cloud answers), paused (by the user),
    auth_required (the session expired: sign in again; nothing fails meanwhile), signed_in
    (it holds a session), signed_out (the cloud needs a sign-in and the user signed out: the
    queue waits, nobody is asked anything); paused_until (epoch seconds) ends a timed pause by
    itself."""

    online: bool
    paused: bool
    auth_required: bool
    signed_in: bool
    signed_out: bool
    paused_until: float | None = None


@dataclass(frozen=True)
class Pulled:
    """A pull changed this library (only then is it sent): the avatars added or changed here,
    the ones moved to the trash (deleted elsewhere), the agents saved or deleted (by name), and
    when (epoch seconds). The window refreshes what shows them."""

    avatars: list[str]
    removed: list[str]
    agents: list[str]
    at: float


SyncEvent = JobStarted | Progress | JobFinished | JobFailed | StateChanged | Pulled


_EVENTS: dict[str, type[SyncEvent]] = {cls.__name__: cls for cls in (
    JobStarted, Progress, JobFinished, JobFailed, StateChanged, Pulled)}
# The field annotations (strings: `from __future__ import annotations`) -> accepted JSON types.
_WIRE_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,), "float": (int, float), "bool": (bool,), "str": (str,),
    "str | None": (str, type(None)), "float | None": (int, float, type(None)),
    "list[str]": (list,)}
# Ids per list of one event, so the line stays within the pipe's limit (ecan.pipe.MAX_LINE); a
# pull that changed more sends the first ones (the window then reloads what it shows anyway).
MAX_IDS = 300


def to_wire(event: SyncEvent) -> dict[str, Any]:
    return {"event": type(event).__name__, **asdict(event)}


def from_wire(data: Any) -> SyncEvent:
    """The event a JSON object describes. Raises ValueError for anything else (an unknown
    event, a missing field, a field of the wrong type): the pipe is checked, not trusted."""
    if not isinstance(data, dict):
        raise ValueError("an event must be a JSON object")
    cls = _EVENTS.get(data.get("event"))  # type: ignore[arg-type]
    if cls is None:
        raise ValueError(f"unknown event {str(data.get('event'))[:40]!r}")
    values: dict[str, Any] = {}
    for f in fields(cls):
        value = data.get(f.name)
        allowed = _WIRE_TYPES[str(f.type)]
        if f.name not in data or not isinstance(value, allowed) or (
                isinstance(value, bool) and bool not in allowed):
            raise ValueError(f"{cls.__name__}.{f.name} is missing or not {f.type}")
        if isinstance(value, list) and (len(value) > MAX_IDS or not all(
                isinstance(v, str) and len(v) <= 200 for v in value)):
            raise ValueError(f"{cls.__name__}.{f.name} is not a list of ids")
        values[f.name] = value
    return cls(**values)
