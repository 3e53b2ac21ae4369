"""Errors split the qutebrowser way: the user's or the environment's fault (actionable, shown
with a hint) versus our bugs (logged with a traceback, shown as a short message)."""

from __future__ import annotations

from typing import Any


class UserFacingError(Exception):
    """Something the user can act on: names the file or setting and says what to do.

    `code` is a stable machine-readable identifier (``invalid_image``, ``access_denied``...).
    `exit_code` is what the CLI exits with (2: usage/configuration, 1: refused/failed).
    """

    exit_code = 1

    def __init__(self, code: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "hint": self.hint}

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(UserFacingError):
    """A bad or missing setting. Always names the setting and the fix; the CLI exits 2."""

    exit_code = 2

    def __init__(self, setting: str, message: str, hint: str) -> None:
        super().__init__("config_error", f"{setting}: {message}", hint)
        self.setting = setting


class AuthRequired(UserFacingError):
    """The session is missing or expired: sync pauses, nothing fails, the user signs in again.

    `signed_out`: nobody is signed in because the user signed out (or never signed in), a
    choice the window shows quietly; False: the session expired or was refused, and the user
    is asked to sign in again."""

    def __init__(self, message: str = "You are not signed in.", hint: str = "", *,
                 signed_out: bool = False) -> None:
        super().__init__(
            "auth_required", message,
            hint or "Sign in again: `ecan login --username NAME`."
        )
        self.signed_out = signed_out
