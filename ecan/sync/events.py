"""What the sync engine tells its clients (the CLI progress line, the Qt adapter's signals).
Events are small frozen dataclasses; they may be emitted on worker threads."""

from __future__ import annotations

from dataclasses import dataclass


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
    """The engine's state: online (the cloud answers), paused (by the user), auth_required
    (the session expired: sign in again; nothing fails meanwhile)."""

    online: bool
    paused: bool
    auth_required: bool


SyncEvent = JobStarted | Progress | JobFinished | JobFailed | StateChanged
