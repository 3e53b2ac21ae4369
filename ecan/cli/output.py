"""How commands speak: with `--json`, one JSON document on stdout; otherwise short human lines.
Progress and errors go to stderr, never a traceback for a user's error."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TextIO

from ecan.errors import UserFacingError


class Output:
    def __init__(self, json_mode: bool, stdout: TextIO | None = None,
                 stderr: TextIO | None = None) -> None:
        self.json_mode = json_mode
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr

    def result(self, data: Any, human: str | Callable[[], str] = "") -> None:
        if self.json_mode:
            self.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
        else:
            text = human() if callable(human) else human
            if text:
                self.stdout.write(text.rstrip("\n") + "\n")
        self.stdout.flush()

    def error(self, err: UserFacingError) -> None:
        if self.json_mode:
            self.stdout.write(json.dumps({"ok": False, "error": err.to_dict()},
                                         ensure_ascii=False) + "\n")
            self.stdout.flush()
        self.info(f"error: {err.message}")
        if err.hint:
            self.info(f"  fix: {err.hint}")

    def info(self, line: str) -> None:
        self.stderr.write(line + "\n")
        self.stderr.flush()


def unwrap(response: dict[str, Any]) -> Any:
    """The data of a handler response, or its error raised as a UserFacingError."""
    if response.get("ok"):
        return response.get("data")
    err = response.get("error") or {}
    raise UserFacingError(err.get("code", "error"), err.get("message", "failed"),
                          err.get("hint", ""))


def plural(n: int, word: str) -> str:
    """'1 avatar', '2 avatars' (English; the window uses Qt's %n forms)."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
