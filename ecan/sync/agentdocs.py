"""Agents in the cloud as one document each, `{prefix}{identity}/agents/{id}.json`, written with
conditional PUTs, so two machines changing different agents never overwrite each other (the
whole-list `meta/agents.json` did: whichever machine saved last dropped the other's agents).

The id is the first 32 hex digits of the SHA-256 of the agent's name: machines know an agent by
its name (the journal's entries and restore match agents by name; each machine's row ids are its
own), so two machines creating "Support bot" write the same document.

A document: {"v", "name", "description", "avatar_sha256", "created_at", "updated_at",
"machine", "deleted", "overrode"}; a deletion is a document too (a tombstone with "deleted":
true), so a delete and a later save on another machine are ordered like two saves.

Writing (a push of one agent's change): read the document and its ETag, then put it with
`If-Match: <etag>` (or `If-None-Match: *` when there is none); S3 answers 412 when another
machine wrote in between, and the writer reads, merges and tries again. The merge: the later
edit (by `updated_at`) wins. When the cloud's document changed since this machine last saw it
(`Outbox.agent_base`), both machines edited the agent: the user is told, here (a notice the next
pull reports) and, through `overrode` in the winning document, on the machine whose edit lost.

Nothing read is trusted: a document over MAX_DOC bytes is not read, one of the wrong shape is
treated as absent and replaced."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ecan.errors import UserFacingError
from ecan.storage.errors import ObjectTooLarge, PreconditionFailed, TransientStorageError

if TYPE_CHECKING:
    from ecan.db import Database
    from ecan.db.sync_state import Outbox
    from ecan.sync.engine import Cloud

log = logging.getLogger("ecan.sync")

VERSION = 1
MAX_DOC = 16 * 1024  # bytes: a name, a 2,000 character description and a few fields
ATTEMPTS = 8  # conditional writes lost in a row before the job is retried later
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")


def conflict_message(name: str) -> str:
    return (f"agent {name!r} was also changed on another computer; the later edit was kept")


def doc_id(name: str) -> str:
    return hashlib.sha256(" ".join(name.split()).encode()).hexdigest()[:32]


def key(cloud: Cloud, name: str) -> str:
    return cloud.layout.agent(doc_id(name))


@dataclass(frozen=True)
class Remote:
    doc: dict[str, Any] | None  # None: there is none (or one not of ours, to be replaced)
    version: str | None  # its ETag; None: there is no object at all

    @property
    def updated_at(self) -> float | None:
        at = self.doc.get("updated_at") if self.doc else None
        return float(at) if isinstance(at, int | float) and not isinstance(at, bool) else None


def parse(raw: bytes) -> dict[str, Any] | None:
    """An agent document from the cloud, checked; None if it is not one."""
    try:
        doc = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("name"), str) \
            or not doc["name"].strip() or isinstance(doc.get("updated_at"), bool) \
            or not isinstance(doc.get("updated_at"), int | float):
        return None
    return doc


def read(cloud: Cloud, name: str) -> Remote:
    k = key(cloud, name)
    try:
        raw, version = cloud.store.get_versioned(k, max_bytes=MAX_DOC)
    except KeyError:
        return Remote(None, None)
    except ObjectTooLarge:
        raise UserFacingError(
            "bad_agent_document", f"The cloud's document for agent {name[:80]!r} is over the "
            f"{MAX_DOC} byte limit, so it was not read.",
            "Delete that agent on one computer and save it again.") from None
    doc = parse(raw)
    if doc is None:
        log.warning("agent document %s is not one of ecan's; it is replaced", k)
    return Remote(doc, version)


def push(cloud: Cloud, db: Database, outbox: Outbox, machine: str, name: str,
         local: dict[str, Any] | None, at: float) -> dict[str, Any] | None:
    """Write this machine's change of agent `name` (`local`: its document fields; None: it was
    deleted here at `at`). Returns the document written (for the journal), or None when the
    cloud holds a later edit, which is then applied here instead."""
    k = key(cloud, name)
    did = doc_id(name)
    for _ in range(ATTEMPTS):
        remote = read(cloud, name)
        base = outbox.agent_base(did)
        theirs = remote.doc is not None and remote.doc.get("machine") != machine \
            and remote.updated_at is not None and remote.updated_at != base
        if theirs and remote.doc is not None and remote.updated_at is not None \
                and remote.updated_at > at:
            # Edited on another computer later than here: that edit wins, here too.
            apply(db, remote.doc)
            outbox.set_agent_base(did, remote.updated_at)
            outbox.add_notice(conflict_message(name))
            return None
        doc: dict[str, Any] = {
            "v": VERSION, "name": name, "updated_at": at, "machine": machine,
            "deleted": local is None, "overrode": None}
        if local is not None:
            doc.update(description=local.get("description") or "",
                       avatar_sha256=local.get("avatar_sha256"),
                       created_at=local.get("created_at"))
        if theirs and remote.doc is not None:
            doc["overrode"] = {"machine": str(remote.doc.get("machine") or "")[:32],
                               "updated_at": remote.updated_at}
        try:
            cloud.store.put_if(k, json.dumps(doc, sort_keys=True).encode(),
                               version=remote.version, content_type="application/json")
        except PreconditionFailed:
            continue  # written meanwhile by another machine: read it, merge again
        outbox.set_agent_base(did, at)
        if theirs:
            outbox.add_notice(conflict_message(name))
        return doc
    raise TransientStorageError(
        "agent_busy", f"Agent {name[:80]!r} kept changing in the cloud while being saved.",
        "It is tried again shortly.")


def apply(db: Database, doc: dict[str, Any]) -> bool:
    """Make the local agent what a (checked) document says, if the document's edit is later
    than the local one. True if something changed here."""
    from sqlmodel import select

    from ecan.db.models import Agent, Avatar

    name = " ".join(str(doc["name"]).split())[:100]
    at = float(doc["updated_at"])
    description = doc.get("description")
    description = description[:2000] if isinstance(description, str) else ""
    sha = doc.get("avatar_sha256")
    with db.session() as s:
        local = s.exec(select(Agent).where(Agent.name == name)).first()
        if doc.get("deleted") is True:
            if local is None or at <= local.updated_at:
                return False  # saved here after that deletion: it stays
            s.delete(local)
            return True
        avatar_id = None
        if isinstance(sha, str) and _SHA_RE.match(sha):
            avatar_id = s.exec(select(Avatar.id).where(Avatar.sha256 == sha)).first()
        if local is None:
            created = doc.get("created_at")
            s.add(Agent(name=name, description=description, avatar_id=avatar_id,
                        created_at=float(created) if isinstance(created, int | float)
                        and not isinstance(created, bool) else at, updated_at=at))
            return True
        if at <= local.updated_at:
            return False  # edited here later: the later edit wins
        local.description, local.avatar_id, local.updated_at = description, avatar_id, at
        s.add(local)
    return True
