"""Handlers for the `auth.*` methods: sign in, sign out, and where the session stands."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from ecan.handlers.registry import Empty, Handlers, Request

if TYPE_CHECKING:
    from ecan.app import App


class SignInRequest(Request):
    username: str = Field(min_length=1, max_length=128)
    # repr=False: a logged or printed request never shows it. Validation errors name the
    # field, never echo the value (see tests/unit/test_auth_handlers.py).
    password: str = Field(min_length=1, max_length=256, repr=False)


def _library_is_empty(app: App) -> bool:
    conn = app.db.connect()
    try:
        row = conn.execute(
            "SELECT 1 FROM avatar WHERE resource_type != 'system' LIMIT 1").fetchone()
        return row is None
    finally:
        conn.close()


def register(handlers: Handlers, app: App) -> None:
    @handlers.register("auth.sign_in", SignInRequest, changes=["auth", "sync"])
    def sign_in(req: SignInRequest) -> dict[str, Any]:
        data = app.auth.sign_in(req.username, req.password)
        app.cloud.invalidate()
        # Hook for restore: a new machine (nothing of the user's here yet) should pull the
        # library from the cloud after the first sign-in.
        data["first_sign_in_on_empty_library"] = bool(data.get("identity_id")) and \
            _library_is_empty(app)
        return data

    @handlers.register("auth.sign_out", Empty, changes=["auth", "sync"])
    def sign_out(_req: Empty) -> dict[str, Any]:
        app.auth.sign_out()
        app.cloud.invalidate()
        return app.auth.status()

    @handlers.register("auth.status", Empty)
    def status(_req: Empty) -> dict[str, Any]:
        data = app.auth.status()
        data["cloud_mode"] = app.cloud.mode()
        return data
