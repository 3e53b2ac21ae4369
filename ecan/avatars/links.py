"""Links to an avatar's original in the cloud: a presigned (private, time-limited) one for a person
to share, and the one an agent's runtime fetches (the public/CDN URL when configured, else a
presigned one)."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any, Protocol

from ecan.errors import UserFacingError


class CloudAccess(Protocol):
    """What links need of the cloud (ecan.auth.cloud.CloudAccess is one): whether one is
    configured, and its opened store. A port, so the avatar domain does not depend on auth."""

    def configured(self) -> bool: ...

    def open(self) -> Any: ...

MIN_EXPIRES_S = 1
# SigV4's own ceiling for a presigned URL.
MAX_EXPIRES_S = 7 * 24 * 3600
# What an agent's runtime gets when no public URL is configured: long enough to fetch and cache.
RUNTIME_EXPIRES_S = 3600


@dataclass(frozen=True)
class Link:
    url: str
    expires_at: float  # epoch seconds

    def to_dict(self) -> dict[str, Any]:
        when = dt.datetime.fromtimestamp(int(self.expires_at), dt.UTC)
        return {"url": self.url, "expires_at": when.strftime("%Y-%m-%dT%H:%M:%SZ")}


def _not_synced(avatar: dict[str, Any]) -> UserFacingError:
    return UserFacingError(
        "not_synced", f"{avatar.get('name')!r} is not in the cloud yet, so it has no link.",
        "Sync it first (`ecan sync`, or let the app sync it), then ask for the link again.")


def _no_cloud() -> UserFacingError:
    return UserFacingError(
        "no_cloud", "No cloud storage is configured, so avatars have no links.",
        "Set STORAGE.BUCKET (or AVATAR_CLOUD_BUCKET) in the config, sign in, and sync.")


def private_link(cloud: CloudAccess, avatar: dict[str, Any], expires_s: int,
                 clock: Any = time.time) -> Link:
    """A presigned GET of the avatar's original (`avatar` as the handlers return it). Signed
    with temporary credentials (a Cognito sign-in), a link stops working when they expire, so
    `expires_at` is the earlier of the two: what the user is told is what the link does."""
    if not MIN_EXPIRES_S <= expires_s <= MAX_EXPIRES_S:
        raise UserFacingError("invalid_request", f"A link can last 1 second to 7 days, not "
                              f"{expires_s} seconds.", "Pick an expiry of at most 604800 s.")
    if not cloud.configured():
        raise _no_cloud()
    key = avatar.get("cloud_image_key")
    if avatar.get("sync_state") != "synced" or not key:
        raise _not_synced(avatar)
    store = cloud.open().store
    started = clock()
    url = store.presigned_url(str(key), expires_s)
    expires_at = started + expires_s
    status = getattr(store, "credential_status", None)
    if status is not None:
        until = status().expires_at
        if until is not None:
            expires_at = min(expires_at, until.timestamp())
    return Link(url, expires_at)


def runtime_url(cloud: CloudAccess, avatar: dict[str, Any]) -> str | None:
    """The URL an agent's runtime loads the avatar from: public/CDN when configured, else
    presigned for an hour; None when there is no cloud or the avatar is not synced yet."""
    if avatar.get("cloud_image_url"):
        return str(avatar["cloud_image_url"])
    if not cloud.configured() or avatar.get("sync_state") != "synced" \
            or not avatar.get("cloud_image_key"):
        return None
    store = cloud.open().store
    public = store.public_url(str(avatar["cloud_image_key"]))
    if public:
        return public
    return store.presigned_url(str(avatar["cloud_image_key"]), RUNTIME_EXPIRES_S)
