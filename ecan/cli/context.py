"""Shared helpers for command modules."""

from __future__ import annotations

from ecan.app import App, build_app


def open_app() -> App:
    """Build the app from the environment; a bad setting raises ConfigError (exit 2)."""
    return build_app()
