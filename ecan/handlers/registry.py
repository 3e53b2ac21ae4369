"""The internal API: a method name plus a JSON-compatible payload in, `{ok: true, data}` or
`{ok: false, error: {code, message, hint}}` out. The Qt UI (through ecan.bridge), the CLI and any
future web front end call it; a handler validates its payload and never touches a widget."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from ecan.errors import UserFacingError
from ecan.handlers.changes import KINDS

log = logging.getLogger(__name__)


class Request(BaseModel):
    """Base of every handler's request: unknown fields and loose types are refused."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Empty(Request):
    pass


R = TypeVar("R", bound=Request)
HandlerFn = Callable[[Any], Any]
# The ids of the rows a successful call changed, from its request and its answer, by kind
# ({"avatars": [...]}); a kind it declares but does not name here changed as a whole.
IdsFn = Callable[[Any, Any], Mapping[str, Iterable[str]]]


@dataclass(frozen=True)
class HandlerSpec:
    method: str
    fn: HandlerFn
    request: type[Request]
    # What a successful call changes (ecan.handlers.changes.KINDS): the UI refreshes those
    # views, the Anki way ("changes as data"); `ids` narrows a kind to the rows it touched.
    changes: frozenset[str]
    ids: IdsFn | None = None


class Handlers:
    def __init__(self, log_path: str = "") -> None:
        self._specs: dict[str, HandlerSpec] = {}
        self._log_path = log_path

    def register(self, method: str, request: type[R], changes: Iterable[str] = (),
                 ids: Callable[[R, Any], Mapping[str, Iterable[str]]] | None = None
                 ) -> Callable[[Callable[[R], Any]], Callable[[R], Any]]:
        kinds = frozenset(changes)
        if not kinds <= KINDS:
            raise ValueError(f"handler {method}: unknown kinds of change {sorted(kinds - KINDS)}")

        def decorate(fn: Callable[[R], Any]) -> Callable[[R], Any]:
            if method in self._specs:
                raise ValueError(f"handler {method} registered twice")
            self._specs[method] = HandlerSpec(method, fn, request, kinds, ids)
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
            message, hint = _in_words(e.errors()[0])
            log.info("%s: refused request (%s)", method, e.errors()[0].get("type"))
            return _error("invalid_request", message, hint)
        try:
            data = spec.fn(request)
        except UserFacingError as e:
            return {"ok": False, "error": e.to_dict()}
        except Exception:
            log.exception("handler %s failed", method)
            hint = f"Details are in the log: {self._log_path}" if self._log_path else ""
            return _error("internal_error", f"Something went wrong in {method}.", hint)
        response = {"ok": True, "data": data, "changed": sorted(spec.changes)}
        if spec.ids is not None:
            named = {kind: sorted({str(i) for i in rows})
                     for kind, rows in spec.ids(request, data).items() if kind in spec.changes}
            if named:
                response["changed_ids"] = named
        return response


def _error(code: str, message: str, hint: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message, "hint": hint}}


def _in_words(error: Any) -> tuple[str, str]:
    """A validation error as a person reads it: the field by its name, what is wrong with it,
    what to do; never the method, pydantic's types or its wording."""
    loc = [str(p) for p in error.get("loc", ()) if not isinstance(p, int)]
    field = (loc[-1] if loc else "request").replace("_", " ")
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return f"The {field} is empty.", f"Fill in the {field}."
    if kind in ("string_too_short", "too_short"):
        return (f"The {field} is too short.",
                f"Use at least {ctx.get('min_length', 1)} characters.")
    if kind in ("string_too_long", "too_long"):
        limit = ctx.get("max_length")
        return (f"The {field} is too long.",
                f"Shorten it to {limit} characters or fewer." if limit else "Shorten it.")
    if kind == "missing":
        return f"The {field} is missing.", f"Give a {field}."
    if kind == "extra_forbidden":
        return f"{field!r} is not something this action takes.", "Leave it out."
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return f"The {field} is out of range.", "Use a value in the allowed range."
    return f"The {field} is not valid.", "Check what you entered and try again."
