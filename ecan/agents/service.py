"""Agents: a name, a description and an avatar. Saving an agent makes sure its avatar reaches
the cloud (enqueues it if not synced) and queues the agent bindings (one coalesced metadata job)."""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from ecan.avatars.library import AvatarLibrary
from ecan.db import Database, sync_state
from ecan.db.database import tx_of
from ecan.db.models import Agent, Avatar, now
from ecan.errors import UserFacingError

log = logging.getLogger(__name__)

MAX_NAME = 100
MAX_DESCRIPTION = 2000


def _not_found(agent_id: str) -> UserFacingError:
    shown = agent_id if len(agent_id) <= 64 else agent_id[:64] + "..."
    return UserFacingError("not_found", f"There is no agent with id {shown!r}.",
                           "List the agents (`ecan agent list`) to see their ids.")


def _name_taken(name: str) -> UserFacingError:
    return UserFacingError("name_taken", f"An agent named {name!r} already exists.",
                           "Choose another name, or edit that agent instead.")


def _check_avatar(s: Session, avatar_id: str | None) -> None:
    if avatar_id is not None and s.get(Avatar, avatar_id) is None:
        raise UserFacingError("not_found", f"There is no avatar with id {avatar_id[:64]!r}.",
                              "Pick an avatar from the library.")


class AgentService:
    def __init__(self, db: Database, library: AvatarLibrary) -> None:
        self.db = db
        self.library = library

    def list(self) -> list[Agent]:
        with self.db.session() as s:
            return list(s.exec(select(Agent).order_by(func.lower(Agent.name), col(Agent.id))))

    def get(self, agent_id: str) -> Agent:
        with self.db.session() as s:
            agent = s.get(Agent, agent_id)
        if agent is None:
            raise _not_found(agent_id)
        return agent

    def get_by_name(self, name: str) -> Agent:
        clean = " ".join(str(name).split())
        with self.db.session() as s:
            agent = s.exec(select(Agent).where(Agent.name == clean)).first()
        if agent is None:
            raise UserFacingError("not_found", f"There is no agent named {clean[:80]!r}.",
                                  "See `ecan agent list` for the agents' names.")
        return agent

    def save(self, *, name: str, description: str | None = None, avatar_id: str | None = None,
             agent_id: str | None = None) -> Agent:
        """Create (no `agent_id`) or update an agent. On update, `description=None` keeps the
        old description, while `avatar_id` is always set as given (None: no avatar)."""
        clean = " ".join(str(name).split())
        if not clean:
            raise UserFacingError("invalid_name", "An agent needs a name.",
                                  "Type a name for the agent.")
        if len(clean) > MAX_NAME or not clean.isprintable():
            raise UserFacingError("invalid_name", f"The agent name must be at most {MAX_NAME} "
                                  "printable characters.",
                                  "Choose a shorter name.")
        if description is not None and len(description) > MAX_DESCRIPTION:
            raise UserFacingError("invalid_description",
                                  f"The description is over {MAX_DESCRIPTION} characters.",
                                  "Shorten the description.")
        if avatar_id is not None:
            self.library.get(avatar_id)  # not_found, and system avatars registered
        try:
            with self.db.session() as s:
                _check_avatar(s, avatar_id)  # again, inside the transaction: it may be gone
                clash = s.exec(select(Agent).where(Agent.name == clean)).first()
                if clash is not None and clash.id != agent_id:
                    raise _name_taken(clean)
                old_name = clean
                if agent_id is None:
                    agent = Agent(name=clean, description=description or "", avatar_id=avatar_id)
                    old_avatar = None
                else:
                    found = s.get(Agent, agent_id)
                    if found is None:
                        raise _not_found(agent_id)
                    agent = found
                    old_avatar = agent.avatar_id
                    old_name = agent.name
                    agent.name = clean
                    if description is not None:
                        agent.description = description
                    agent.avatar_id = avatar_id
                    agent.updated_at = now()
                s.add(agent)
                s.flush()
                self._after_binding(s, avatar_id, old_avatar, agent_id=agent.id)
                if old_name != clean:
                    # Other machines know agents by name: to them a rename is the old name's
                    # deletion (and the new name's save, queued above).
                    sync_state.queue_agents(tx_of(s), deleted_name=old_name)
        except IntegrityError:
            raise _name_taken(clean) from None
        log.info("saved agent %s", agent.id)
        return agent

    def set_avatar(self, agent_id: str, avatar_id: str | None) -> Agent:
        if avatar_id is not None:
            self.library.get(avatar_id)
        with self.db.session() as s:
            _check_avatar(s, avatar_id)
            agent = s.get(Agent, agent_id)
            if agent is None:
                raise _not_found(agent_id)
            old = agent.avatar_id
            agent.avatar_id = avatar_id
            agent.updated_at = now()
            s.add(agent)
            s.flush()
            self._after_binding(s, avatar_id, old, agent_id=agent.id)
        return agent

    def delete(self, agent_id: str) -> None:
        with self.db.session() as s:
            agent = s.get(Agent, agent_id)
            if agent is None:
                raise _not_found(agent_id)
            old = agent.avatar_id
            s.delete(agent)
            s.flush()
            self._after_binding(s, None, old, deleted_name=agent.name)

    # --- in the caller's transaction ----------------------------------------------------

    def _after_binding(self, s: Session, avatar_id: str | None, old_avatar: str | None, *,
                       agent_id: str | None = None, deleted_name: str | None = None) -> None:
        for aid in {avatar_id, old_avatar} - {None}:
            assert aid is not None
            avatar = s.get(Avatar, aid)
            if avatar is None:
                continue
            avatar.usage_count = len(s.exec(select(Agent.id).where(Agent.avatar_id == aid)).all())
            s.add(avatar)
        s.flush()
        tx = tx_of(s)
        if avatar_id is not None:
            sync_state.avatar_bound(tx, avatar_id)
        sync_state.queue_agents(tx, agent_id=agent_id, deleted_name=deleted_name)
