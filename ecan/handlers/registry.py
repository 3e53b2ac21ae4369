"""The internal API: a method name plus a JSON-compatible payload in, `{ok: true, data}` or
`{ok: false, error: {code, message, hint}}` out. The Qt UI (through ecan.bridge), the CLI and any
future web front end call it; a handler validates its payload and never touches a widget."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from ecan.errors import UserFacingError

log = logging.getLogger(__name__)


class Request(BaseModel):
    """Base of every handler's request: unknown fields and loose types are refused."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Empty(Request):
    pass


R = TypeVar("R", bound=Request)
HandlerFn = Callable[[Any], Any]


@dataclass(frozen=True)
class HandlerSpec:
    method: str
    fn: HandlerFn
    request: type[Request]
    # What a successful call changes ("avatars", "agents", "sync", "auth", "settings",
    # "tasks"): the UI refreshes those views, the Anki way ("changes as data").
    changes: frozenset[str]


class Handlers:
    def __init__(self, log_path: str = "") -> None:
        self._specs: dict[str, HandlerSpec] = {}
        self._log_path = log_path

    def register(self, method: str, request: type[R], changes: Iterable[str] = ()
                 ) -> Callable[[Callable[[R], Any]], Callable[[R], Any]]:
        def decorate(fn: Callable[[R], Any]) -> Callable[[R], Any]:
            if method in self._specs:
                raise ValueError(f"handler {method} registered twice")
            self._specs[method] = HandlerSpec(method, fn, request, frozenset(changes))
            return fn
        return decorate

    @property
    def methods(self) -> list[str]:
        return sorted(self._specs)

    def spec(self, method: str) -> HandlerSpec | None:
        return self._specs.get(method)

    def call(self, method: Any, payload: Any = None) -> dict[str, Any]:
        """Never raises: every outcome is a response document."""
        spec = self._specs.get(method) if isinstance(method, str) else None
        if spec is None:
            return _error("unknown_method", f"There is no method {str(method)[:80]!r}.",
                          "See Handlers.methods for the list.")
        try:
            request = spec.request.model_validate({} if payload is None else payload)
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "payload"
            return _error("invalid_request", f"{method}: {where}: {first.get('msg', 'invalid')}",
                          "Check the request fields and their types.")
        try:
            data = spec.fn(request)
        except UserFacingError as e:
            return {"ok": False, "error": e.to_dict()}
        except Exception:
            log.exception("handler %s failed", method)
            hint = f"Details are in the log: {self._log_path}" if self._log_path else ""
            return _error("internal_error", f"Something went wrong in {method}.", hint)
        return {"ok": True, "data": data, "changed": sorted(spec.changes)}


def _error(code: str, message: str, hint: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message, "hint": hint}}
