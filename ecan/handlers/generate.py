"""Handlers for the `generate.*` methods: start a generation task (blocking; the bridge runs it
off the GUI thread), cancel it, keep the chosen candidates, list the style presets, and read the
task history and statistics."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field

from ecan.errors import UserFacingError
from ecan.handlers.registry import Empty, Handlers, Request
from ecan.imagegen.presets import PRESETS
from ecan.imagegen.service import MAX_CANDIDATES, MAX_PROMPT

if TYPE_CHECKING:
    from ecan.app import App


class StartGeneration(Request):
    image_path: str | None = Field(default=None, min_length=1, max_length=4096)
    avatar_id: str | None = Field(default=None, min_length=1, max_length=64)
    prompt: str = Field(min_length=1, max_length=MAX_PROMPT)
    # Chosen by the caller so that it can cancel the task while `start` is still running.
    task_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")
    candidates: int = Field(default=1, ge=1, le=MAX_CANDIDATES)
    preset: str | None = Field(default=None, max_length=40)


class KeepCandidates(Request):
    task_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    # 0-based; empty: discard them all
    indices: list[int] = Field(default_factory=list, max_length=MAX_CANDIDATES)


class TaskId(Request):
    task_id: str = Field(min_length=1, max_length=64)


class History(Request):
    limit: int = Field(default=50, ge=1, le=1000)


def _avatars_made(_req: Any, data: dict[str, Any]) -> dict[str, list[str]]:
    """generate.start and generate.keep change the avatars they made (none: all discarded)."""
    return {"avatars": list(data.get("avatar_ids") or [])}


def register(handlers: Handlers, app: App) -> None:
    @handlers.register("generate.start", StartGeneration, changes=["avatars", "tasks", "sync"],
                       ids=_avatars_made)
    def start(req: StartGeneration) -> dict[str, Any]:
        if (req.image_path is None) == (req.avatar_id is None):
            raise UserFacingError("invalid_request",
                                  "generate.start: give exactly one of image_path or avatar_id.",
                                  "Pick a photo file or an existing avatar.")
        if req.image_path is not None and "\x00" in req.image_path:
            raise UserFacingError("invalid_request", "image_path: a path cannot contain NUL.",
                                  "Send a file path.")
        path = Path(req.image_path).expanduser() if req.image_path is not None else None
        return app.generator.generate(path, req.prompt, source_avatar_id=req.avatar_id,
                                      task_id=req.task_id, candidates=req.candidates,
                                      preset=req.preset)

    @handlers.register("generate.keep", KeepCandidates, changes=["avatars", "tasks", "sync"],
                       ids=_avatars_made)
    def keep(req: KeepCandidates) -> dict[str, Any]:
        return app.generator.keep(req.task_id, req.indices)

    @handlers.register("generate.presets", Empty)
    def presets(_req: Empty) -> dict[str, Any]:
        return {"presets": [{"name": p.name, "label": p.label, "suffix": p.suffix}
                            for p in PRESETS]}

    @handlers.register("generate.ready", Empty)
    def ready(_req: Empty) -> dict[str, Any]:
        """{ready: true} when a generation could start (a key is set), else the error that
        `generate.start` would give, so a form can say so before it is filled in."""
        app.generator.generator()
        return {"ready": True}

    @handlers.register("generate.cancel", TaskId, changes=["tasks"])
    def cancel(req: TaskId) -> dict[str, Any]:
        app.generator.cancel(req.task_id)
        return {"task_id": req.task_id, "cancelling": True}

    @handlers.register("generate.history", History)
    def history(req: History) -> dict[str, Any]:
        return {"tasks": app.generator.history(req.limit)}

    @handlers.register("generate.stats", Empty)
    def stats(req: Empty) -> dict[str, Any]:
        return app.generator.stats()
