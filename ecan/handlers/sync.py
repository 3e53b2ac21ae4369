"""Handlers for the `sync.*` methods."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecan.handlers.registry import Handlers

if TYPE_CHECKING:
    from ecan.app import App


def register(handlers: Handlers, app: App) -> None:
    pass
