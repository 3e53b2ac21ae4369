"""The handler layer: method name -> typed handler. `build_handlers` registers every domain's
handlers with the services they use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecan.handlers.registry import Empty, Handlers, Request

if TYPE_CHECKING:
    from ecan.app import App

__all__ = ["Handlers", "Request", "Empty", "build_handlers"]


def build_handlers(app: App) -> Handlers:
    from ecan.handlers import agent, auth, avatar, generate, sync

    handlers = Handlers(log_path=str(app.log_path))
    avatar.register(handlers, app)
    agent.register(handlers, app)
    sync.register(handlers, app)
    auth.register(handlers, app)
    generate.register(handlers, app)
    return handlers
