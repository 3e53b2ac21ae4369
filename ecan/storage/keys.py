"""The object key layout (contract). Every key for a user's own data is built here, under
`{prefix}{identity_id}/`, and an identity id is validated before it is used."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ecan.errors import UserFacingError

# Cognito identity ids: "<region>:<uuid>". Non-Cognito modes use a plain folder name.
_IDENTITY_RE = re.compile(
    r"^(?:[a-z]{2}(?:-gov)?-[a-z]+-\d:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"|[A-Za-z0-9][A-Za-z0-9_-]{0,63})$")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_EXT_RE = re.compile(r"^[a-z0-9]{1,5}$")
_AGENT_RE = re.compile(r"^[0-9a-f]{32}$")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_TASK_RE = re.compile(r"^[0-9a-f]{32}$")
# The folder under the prefix that holds the system avatars (read-only to users): no identity
# may be called that, or its own data would land there. Case-insensitively, because the local
# backend may sit on a case-insensitive file system.
SHARED = "shared"


def validate_identity_id(identity_id: str) -> str:
    if not isinstance(identity_id, str) or not _IDENTITY_RE.match(identity_id) \
            or identity_id.lower() == SHARED:
        raise UserFacingError(
            "invalid_identity", "The identity id from the sign-in service has an unexpected shape.",
            "Sign out and sign in again; if it persists, check COGNITO.IDENTITY_POOL_ID.")
    return identity_id


def validate_prefix(prefix: str) -> str:
    """The prefix as keys use it (ending in "/", or empty), or ValueError saying what is wrong.
    Its segments must pass every backend's key check (ecan.storage.local.validate_key): one
    that does not would make every key under it refused, and every job fail."""
    if not isinstance(prefix, str):
        raise ValueError("the prefix must be text")
    if prefix.startswith("/"):
        raise ValueError("it starts with '/'")
    body = prefix[:-1] if prefix.endswith("/") else prefix
    if not body:
        return ""
    for part in body.split("/"):
        if not part:
            raise ValueError("it has an empty segment ('//')")
        if part.startswith("."):
            raise ValueError(f"its segment {part!r} starts with '.'")
        if "\\" in part or not part.isprintable():
            raise ValueError(f"its segment {part!r} has a backslash or a control character")
    return f"{body}/"


def _check(value: str, pattern: re.Pattern[str], what: str) -> str:
    if not pattern.match(value):
        raise ValueError(f"invalid {what} for an object key: {value!r}")
    return value


@dataclass(frozen=True)
class KeyLayout:
    prefix: str  # e.g. "avatars/" or "tenant/avatars/"; normalised to end in "/"
    identity_id: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "prefix", validate_prefix(self.prefix))
        validate_identity_id(self.identity_id)

    @property
    def root(self) -> str:
        """Everything of this identity lives under here."""
        return f"{self.prefix}{self.identity_id}/"

    def original(self, sha256: str, ext: str) -> str:
        return (f"{self.root}images/{_check(sha256, _SHA_RE, 'sha256')}_original."
                f"{_check(ext, _EXT_RE, 'extension')}")

    def thumbnail(self, sha256: str) -> str:
        return f"{self.root}images/{_check(sha256, _SHA_RE, 'sha256')}_thumb.png"

    def video(self, sha256: str, ext: str) -> str:
        return (f"{self.root}videos/{_check(sha256, _SHA_RE, 'sha256')}_video."
                f"{_check(ext, _EXT_RE, 'extension')}")

    def metadata(self, sha256: str) -> str:
        """Per-avatar metadata (name, tags, created time...) a second machine rebuilds from."""
        return f"{self.root}meta/avatars/{_check(sha256, _SHA_RE, 'sha256')}.json"

    @property
    def agents(self) -> str:
        """The agent bindings (name, description, avatar sha256) as one JSON document."""
        return f"{self.root}meta/agents.json"

    @property
    def generations(self) -> str:
        """The folder of the generation history: one small JSON document per task."""
        return f"{self.root}generations/"

    def generation(self, task_id: str) -> str:
        return f"{self.generations}{_check(task_id, _TASK_RE, 'task id')}.json"

    @property
    def agents_folder(self) -> str:
        return f"{self.root}agents/"

    def agent(self, doc_id: str) -> str:
        """One agent's document (ecan.sync.agentdocs), written with conditional PUTs; `doc_id`
        is 32 hex digits (from the agent's name). Supersedes `agents` for ecan >= issue 20,
        which still writes that whole list for older versions and reads it when restoring."""
        return f"{self.agents_folder}{_check(doc_id, _AGENT_RE, 'agent id')}.json"

    def system(self, name: str, ext: str) -> str:
        name, ext = _check(name, _NAME_RE, "name"), _check(ext, _EXT_RE, "extension")
        return f"{self.prefix}shared/system/{name}.{ext}"
