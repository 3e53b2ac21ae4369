"""What a handler call changed, as data with ids (Anki's OpChanges): the window repaints the rows
named here and re-lists only when it is told "all of them" (ALL). A handler response carries it as
`changed` (the kinds, a list of words: the CLI/JSON contract) plus, when the handler knows them,
`changed_ids` ({"avatars": [ids], "agents": [ids]})."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

# The kinds a handler may declare it changes (HandlerSpec.changes).
KINDS = frozenset({"avatars", "agents", "sync", "auth", "settings", "tasks"})


class Every(enum.Enum):
    """Every row of a kind may have changed: the screen lists it again."""

    ALL = "*"


ALL = Every.ALL
Ids: TypeAlias = "frozenset[str] | Literal[Every.ALL]"


def _merge(a: Ids, b: Ids) -> Ids:
    if a is ALL or b is ALL:
        return ALL
    return a | b


@dataclass(frozen=True)
class Changes:
    """Rows changed, by id (empty: none; ALL: any of them), and whether whole views changed."""

    avatars: Ids = frozenset()
    agents: Ids = frozenset()
    sync: bool = False
    auth: bool = False
    settings: bool = False
    tasks: bool = False

    @classmethod
    def everything(cls) -> Changes:
        """Another library under the window: every view lists again."""
        return cls(ALL, ALL, True, True, True, True)

    @classmethod
    def of(cls, kinds: Iterable[str], ids: Mapping[str, Iterable[str]] | None = None
           ) -> Changes:
        """From a response's `changed` kinds and `changed_ids`: a kind named without ids is ALL
        of its rows; ids of a kind not named are ignored (the kind is what was declared)."""
        words = set(kinds)
        unknown = words - KINDS
        if unknown:
            raise ValueError(f"unknown kinds of change: {sorted(unknown)}")
        ids = ids or {}

        def rows(kind: str) -> Ids:
            if kind not in words:
                return frozenset()
            named = ids.get(kind)
            return ALL if named is None else frozenset(str(i) for i in named)

        return cls(avatars=rows("avatars"), agents=rows("agents"), sync="sync" in words,
                   auth="auth" in words, settings="settings" in words, tasks="tasks" in words)

    @classmethod
    def from_response(cls, response: Mapping[str, Any]) -> Changes:
        kinds = response.get("changed") or ()
        ids = response.get("changed_ids")
        if not isinstance(kinds, list | tuple | set | frozenset) or (
                ids is not None and not isinstance(ids, Mapping)):
            raise ValueError("a handler response's changes are not a list of kinds and a map")
        return cls.of(kinds, ids)

    def __bool__(self) -> bool:
        return bool(self.avatars or self.agents or self.sync or self.auth or self.settings
                    or self.tasks)

    def __or__(self, other: Changes) -> Changes:
        return Changes(_merge(self.avatars, other.avatars), _merge(self.agents, other.agents),
                       self.sync or other.sync, self.auth or other.auth,
                       self.settings or other.settings, self.tasks or other.tasks)

    def kinds(self) -> frozenset[str]:
        """The kinds changed, as the words of a response's `changed`."""
        flags = {"avatars": bool(self.avatars), "agents": bool(self.agents), "sync": self.sync,
                 "auth": self.auth, "settings": self.settings, "tasks": self.tasks}
        return frozenset(k for k, on in flags.items() if on)
