"""Handlers for the `agent.*` methods (the agent editor and `ecan agent ...`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from ecan.agents.service import MAX_DESCRIPTION, MAX_NAME
from ecan.db.models import Agent
from ecan.errors import UserFacingError
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


class AgentRef(Request):
    """One agent, by id or by name (the CLI knows names)."""

    id: str | None = Field(default=None, min_length=1, max_length=64)
    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME * 2)


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

    @handlers.register("agent.get", AgentRef)
    def get(req: AgentRef) -> dict[str, Any]:
        """{agent: {id, name, description, avatar: {id, sha256, original_path, thumb_path,
        video_path, url} | null}}: what an agent's runtime needs to show its avatar."""
        if (req.id is None) == (req.name is None):
            raise UserFacingError("invalid_request", "Name the agent by its id or its name.",
                                  "Send either `id` or `name`.")
        agent = app.agents.get(req.id) if req.id is not None else app.agents.get_by_name(
            str(req.name))
        out = agent_to_dict(agent)
        out["avatar"] = runtime_avatar(agent.avatar_id) if agent.avatar_id else None
        return {"agent": out}

    def runtime_avatar(avatar_id: str) -> dict[str, Any] | None:
        from ecan.avatars.links import runtime_url

        try:
            avatar = app.library.to_dict(app.library.get(avatar_id),
                                         cloud_configured=app.cloud.configured(),
                                         prefix=app.config.storage.path_prefix)
        except UserFacingError:  # deleted meanwhile
            return None
        try:
            url = runtime_url(app.cloud, avatar)
        except UserFacingError:  # signed out, or the cloud cannot be reached for signing
            url = None
        return {"id": avatar["id"], "sha256": avatar["sha256"],
                "original_path": avatar["image_path"], "thumb_path": avatar["thumb_path"],
                "video_path": avatar["video_path"], "url": url}

    # The avatars an agent stops or starts using change (their usage counts); which ones the
    # agent used before is not known here, so those are all of them.
    @handlers.register("agent.save", SaveAgent, changes=["agents", "avatars", "sync"],
                       ids=lambda _req, data: {"agents": [data["agent"]["id"]]})
    def save(req: SaveAgent) -> dict[str, Any]:
        agent = app.agents.save(name=req.name, description=req.description,
                                avatar_id=req.avatar_id, agent_id=req.id)
        return {"agent": agent_to_dict(agent), "agents": all_agents()}

    @handlers.register("agent.set_avatar", SetAvatar, changes=["agents", "avatars", "sync"],
                       ids=lambda req, _data: {"agents": [req.id]})
    def set_avatar(req: SetAvatar) -> dict[str, Any]:
        return {"agent": agent_to_dict(app.agents.set_avatar(req.id, req.avatar_id))}

    @handlers.register("agent.delete", AgentId, changes=["agents", "avatars", "sync"],
                       ids=lambda req, _data: {"agents": [req.id]})
    def delete(req: AgentId) -> dict[str, Any]:
        app.agents.delete(req.id)
        return {"deleted": req.id}
