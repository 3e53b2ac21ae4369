"""Handlers for the `agent.*` methods (the agent editor and `ecan agent ...`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from ecan.agents.service import MAX_DESCRIPTION, MAX_NAME
from ecan.db.models import Agent
from ecan.handlers.registry import Empty, Handlers, Request

if TYPE_CHECKING:
    from ecan.app import App


class SaveAgent(Request):
    name: str = Field(min_length=1, max_length=MAX_NAME * 2)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    avatar_id: str | None = Field(default=None, min_length=1, max_length=64)
    id: str | None = Field(default=None, min_length=1, max_length=64)


class SetAvatar(Request):
    id: str = Field(min_length=1, max_length=64)
    avatar_id: str | None = Field(min_length=1, max_length=64)


class AgentId(Request):
    id: str = Field(min_length=1, max_length=64)


def agent_to_dict(agent: Agent) -> dict[str, Any]:
    return {"id": agent.id, "name": agent.name, "description": agent.description,
            "avatar_id": agent.avatar_id, "created_at": agent.created_at,
            "updated_at": agent.updated_at}


def register(handlers: Handlers, app: App) -> None:
    def all_agents() -> list[dict[str, Any]]:
        return [agent_to_dict(a) for a in app.agents.list()]

    @handlers.register("agent.list", Empty)
    def list_agents(_req: Empty) -> dict[str, Any]:
        return {"agents": all_agents()}

    @handlers.register("agent.get", AgentId)
    def get(req: AgentId) -> dict[str, Any]:
        return agent_to_dict(app.agents.get(req.id))

    @handlers.register("agent.save", SaveAgent, changes=["agents", "avatars", "sync"])
    def save(req: SaveAgent) -> dict[str, Any]:
        agent = app.agents.save(name=req.name, description=req.description,
                                avatar_id=req.avatar_id, agent_id=req.id)
        return {"agent": agent_to_dict(agent), "agents": all_agents()}

    @handlers.register("agent.set_avatar", SetAvatar, changes=["agents", "avatars", "sync"])
    def set_avatar(req: SetAvatar) -> dict[str, Any]:
        return {"agent": agent_to_dict(app.agents.set_avatar(req.id, req.avatar_id))}

    @handlers.register("agent.delete", AgentId, changes=["agents", "avatars", "sync"])
    def delete(req: AgentId) -> dict[str, Any]:
        app.agents.delete(req.id)
        return {"deleted": req.id}
