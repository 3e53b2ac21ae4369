"""The answers the window uses, as types: each `parse` checks a handler's `data` once and raises
BadAnswer with what was wrong, so a screen reads fields instead of testing shapes. The handlers'
dicts stay the contract (the CLI prints them as they are); these only read them.

A row (an avatar, an agent, a task, an import result) stays the handler's dict, checked to be one
with an id where it has one: the gallery, the details pane and the summary dialog read its keys,
and one typed row class for all of them is a change of its own."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

Row: TypeAlias = "dict[str, Any]"


class BadAnswer(ValueError):
    """A handler answered in a shape the window does not know: a bug, reported as one."""


def _obj(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise BadAnswer(f"{what}: expected an object, got {type(data).__name__}")
    return data


def _rows(data: Mapping[str, Any], key: str, what: str, *, ids: bool = True) -> tuple[Row, ...]:
    value = data.get(key)
    if not isinstance(value, list):
        raise BadAnswer(f"{what}: `{key}` is not a list")
    for row in value:
        if not isinstance(row, dict) or (ids and not isinstance(row.get("id"), str)):
            raise BadAnswer(f"{what}: an item of `{key}` is not an object with an id")
    return tuple(value)


def _row(data: Any, what: str) -> Row:
    row = _obj(data, what)
    if not isinstance(row.get("id"), str):
        raise BadAnswer(f"{what}: no id")
    return dict(row)


def _str(data: Mapping[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise BadAnswer(f"{what}: `{key}` is not text")
    return value


def _int(data: Mapping[str, Any], key: str, what: str, default: int | None = None) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadAnswer(f"{what}: `{key}` is not a whole number")
    return value


# -- avatars --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AvatarPage:
    """avatar.list: the rows (all of them, or a page with `more` behind it); `counts` (avatars
    per kind, for the label) comes with a first page. `packed`: the rows as the reader's `pack`
    made them (ops.list_avatars), when it gave one; `avatars` is then empty."""

    avatars: tuple[Row, ...]
    more: bool = False
    counts: dict[str, int] | None = None
    packed: tuple[Any, ...] | None = None

    def rows(self) -> tuple[Any, ...]:
        """The rows packed, if they were, else as answered."""
        return self.avatars if self.packed is None else self.packed

    @classmethod
    def parse(cls, data: Any) -> AvatarPage:
        d = _obj(data, "avatar.list")
        counts = d.get("counts")
        if counts is not None and not (isinstance(counts, dict) and all(
                isinstance(k, str) and isinstance(n, int) for k, n in counts.items())):
            raise BadAnswer("avatar.list: `counts` is not a count per kind")
        return cls(_rows(d, "avatars", "avatar.list"), bool(d.get("more")),
                   dict(counts) if counts is not None else None)


@dataclass(frozen=True)
class AvatarRows:
    """avatar.get_many: those of the asked ids that exist (a missing one was deleted)."""

    avatars: tuple[Row, ...]

    @classmethod
    def parse(cls, data: Any) -> AvatarRows:
        return cls(_rows(_obj(data, "avatar.get_many"), "avatars", "avatar.get_many"))


@dataclass(frozen=True)
class Avatar:
    """avatar.get, avatar.update: one avatar as it is now."""

    row: Row

    @property
    def id(self) -> str:
        return str(self.row["id"])

    @classmethod
    def parse(cls, data: Any) -> Avatar:
        return cls(_row(data, "avatar"))


@dataclass(frozen=True)
class Uploaded:
    """avatar.upload_avatar: the avatar, and whether it is new (else the library had it)."""

    avatar: Row
    created: bool

    @classmethod
    def parse(cls, data: Any) -> Uploaded:
        d = _obj(data, "avatar.upload_avatar")
        return cls(_row(d.get("avatar"), "avatar.upload_avatar"), bool(d.get("created", True)))


@dataclass(frozen=True)
class ImportBatch:
    """avatar.import_paths: one result per path ({path, ok, avatar_id, error, code, hint,
    created}), in the order sent."""

    results: tuple[Row, ...]

    @property
    def ids(self) -> list[str]:
        """The avatars the batch brought in or found already in the library."""
        return [str(r["avatar_id"]) for r in self.results if r.get("ok") and r.get("avatar_id")]

    @classmethod
    def parse(cls, data: Any) -> ImportBatch:
        d = _obj(data, "avatar.import_paths")
        results = _rows(d, "results", "avatar.import_paths", ids=False)
        for r in results:
            if not isinstance(r.get("ok"), bool):
                raise BadAnswer("avatar.import_paths: a result without `ok`")
        return cls(results)


@dataclass(frozen=True)
class Deleted:
    """avatar.delete, agent.delete: the id that is gone."""

    id: str

    @classmethod
    def parse(cls, data: Any) -> Deleted:
        return cls(_str(_obj(data, "delete"), "deleted", "delete"))


@dataclass(frozen=True)
class Trash:
    """avatar.trash: the deleted avatars still kept, newest deletion first (each row with
    `deleted_at` and `purge_at`, epoch seconds), and how many days the trash keeps them."""

    avatars: tuple[Row, ...]
    keep_days: int

    @classmethod
    def parse(cls, data: Any) -> Trash:
        d = _obj(data, "avatar.trash")
        rows = _rows(d, "avatars", "avatar.trash")
        for row in rows:
            for key in ("deleted_at", "purge_at"):
                if isinstance(row.get(key), bool) or not isinstance(row.get(key), int | float):
                    raise BadAnswer(f"avatar.trash: an avatar without `{key}`")
        return cls(rows, _int(d, "keep_days", "avatar.trash"))


@dataclass(frozen=True)
class Link:
    """avatar.link: a private link and when it stops working (ISO 8601)."""

    url: str
    expires_at: str

    @classmethod
    def parse(cls, data: Any) -> Link:
        d = _obj(data, "avatar.link")
        return cls(_str(d, "url", "avatar.link"), str(d.get("expires_at") or ""))


@dataclass(frozen=True)
class Exported:
    """avatar.export: the copies written ({id, path}) and the avatars that were not
    ({id, code, message, hint})."""

    exported: tuple[Row, ...]
    failed: tuple[Row, ...]

    @property
    def paths(self) -> list[str]:
        return [str(e["path"]) for e in self.exported]

    @classmethod
    def parse(cls, data: Any) -> Exported:
        d = _obj(data, "avatar.export")
        exported = _rows(d, "exported", "avatar.export")
        for row in exported:
            _str(row, "path", "avatar.export")
        return cls(exported, _rows(d, "failed", "avatar.export"))


# -- agents ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AgentList:
    """agent.list: every agent ({id, name, description, avatar_id, ...})."""

    agents: tuple[Row, ...]

    @classmethod
    def parse(cls, data: Any) -> AgentList:
        return cls(_rows(_obj(data, "agent.list"), "agents", "agent.list"))


@dataclass(frozen=True)
class AgentSaved:
    """agent.save: the agent as stored, and the list as it stands after the save."""

    agent: Row
    agents: tuple[Row, ...]

    @classmethod
    def parse(cls, data: Any) -> AgentSaved:
        d = _obj(data, "agent.save")
        return cls(_row(d.get("agent"), "agent.save"), _rows(d, "agents", "agent.save"))


# -- sync -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SyncStatus:
    """sync.status: the engine's status document (counts per state, paused, online, ...), read
    by key: the status bar shows what is there and tolerates what is not yet."""

    fields: dict[str, Any]

    @classmethod
    def parse(cls, data: Any) -> SyncStatus:
        d = _obj(data, "sync.status")
        if not isinstance(d.get("counts", {}), dict):
            raise BadAnswer("sync.status: `counts` is not an object")
        return cls(dict(d))


@dataclass(frozen=True)
class Paused:
    """sync.pause, sync.resume: paused or not, and until when (epoch seconds; None: until
    resumed)."""

    paused: bool
    until: float | None = None

    @classmethod
    def parse(cls, data: Any) -> Paused:
        d = _obj(data, "sync.pause")
        until = d.get("until")
        if until is not None and not isinstance(until, int | float):
            raise BadAnswer("sync.pause: `until` is not a time")
        return cls(bool(d.get("paused")), None if until is None else float(until))


@dataclass(frozen=True)
class Retried:
    """sync.retry: how many failed uploads were queued again."""

    count: int

    @classmethod
    def parse(cls, data: Any) -> Retried:
        return cls(_int(_obj(data, "sync.retry"), "retried", "sync.retry", 0))


@dataclass(frozen=True)
class Restored:
    """sync.restore: whether it ran and how many avatars came back."""

    ran: bool
    restored: int

    @classmethod
    def parse(cls, data: Any) -> Restored:
        d = _obj(data, "sync.restore")
        return cls(bool(d.get("ran", True)), _int(d, "restored", "sync.restore", 0))


# -- auth -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AuthStatus:
    """auth.status: cloud_mode, signed_in, username, identity_id, ..., read by key."""

    fields: dict[str, Any]

    @property
    def signed_in(self) -> bool:
        return bool(self.fields.get("signed_in"))

    @classmethod
    def parse(cls, data: Any) -> AuthStatus:
        return cls(dict(_obj(data, "auth.status")))


@dataclass(frozen=True)
class SignedIn:
    """auth.sign_in and the steps after it (respond_new_password, respond_mfa,
    hosted_ui_finish): signed in, or the pool asks for another step (`challenge`: its name,
    e.g. NEW_PASSWORD_REQUIRED, SOFTWARE_TOKEN_MFA, SMS_MFA, MFA_SETUP)."""

    fields: dict[str, Any]

    @property
    def challenge(self) -> str | None:
        """The next step the pool asks for; None: signed in."""
        if self.fields.get("signed_in", True) or not self.fields.get("challenge"):
            return None
        return str(self.fields["challenge"])

    @property
    def challenge_id(self) -> str:
        return str(self.fields.get("challenge_id") or "")

    @property
    def destination(self) -> str:
        """Where an SMS code went (masked by the pool), or ""."""
        return str(self.fields.get("destination") or "")

    @property
    def first_on_empty_library(self) -> bool:
        return bool(self.fields.get("first_sign_in_on_empty_library"))

    @property
    def local_only_avatars(self) -> int:
        """Avatars added without an account that could move into this one."""
        value = self.fields.get("local_only_avatars")
        return value if isinstance(value, int) else 0

    @property
    def account(self) -> str:
        return str(self.fields.get("account") or "")

    @classmethod
    def parse(cls, data: Any) -> SignedIn:
        return cls(dict(_obj(data, "auth.sign_in")))


@dataclass(frozen=True)
class CodeSent:
    """auth.sign_up, auth.resend_code, auth.forgot_password: where the code went (the pool's
    masked address, or "")."""

    destination: str

    @classmethod
    def parse(cls, data: Any) -> CodeSent:
        sent = _obj(data, "code sent").get("code_sent_to")
        where = sent.get("destination") if isinstance(sent, Mapping) else None
        return cls(where if isinstance(where, str) else "")


@dataclass(frozen=True)
class TotpKey:
    """auth.setup_totp, auth.mfa_setup_secret: the authenticator's key and its QR code."""

    secret: str
    qr_png_base64: str

    @classmethod
    def parse(cls, data: Any) -> TotpKey:
        d = _obj(data, "authenticator key")
        qr = d.get("qr_png_base64")
        return cls(_str(d, "secret", "authenticator key"), qr if isinstance(qr, str) else "")


@dataclass(frozen=True)
class BrowserFlow:
    """auth.hosted_ui_start: the address to open in the browser, and the flow to finish."""

    flow_id: str
    url: str

    @classmethod
    def parse(cls, data: Any) -> BrowserFlow:
        d = _obj(data, "auth.hosted_ui_start")
        return cls(_str(d, "flow_id", "auth.hosted_ui_start"),
                   _str(d, "url", "auth.hosted_ui_start"))


@dataclass(frozen=True)
class Accounts:
    """auth.accounts: the accounts with a library on this computer ({username, current})."""

    accounts: tuple[Row, ...]

    @classmethod
    def parse(cls, data: Any) -> Accounts:
        return cls(_rows(_obj(data, "auth.accounts"), "accounts", "auth.accounts", ids=False))


@dataclass(frozen=True)
class LocalMoved:
    """auth.local_avatars: how many avatars used without an account moved into this one."""

    moved: int

    @classmethod
    def parse(cls, data: Any) -> LocalMoved:
        moved = _obj(data, "auth.local_avatars").get("moved")
        return cls(moved if isinstance(moved, int) else 0)


# -- generation -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Generated:
    """generate.start: the task's outcome ({task_id, avatar_id, professional_prompt, timings,
    created, candidates, ...}); `avatar_id` is the new avatar, None while candidates wait for
    a choice."""

    fields: dict[str, Any]

    @property
    def avatar_id(self) -> str | None:
        value = self.fields.get("avatar_id")
        return None if value is None else str(value)

    @classmethod
    def parse(cls, data: Any) -> Generated:
        d = _obj(data, "generate.start")
        if d.get("avatar_id") is None:
            if not isinstance(d.get("candidates"), list):
                raise BadAnswer("generate.start: neither `avatar_id` nor `candidates`")
        else:
            _str(d, "avatar_id", "generate.start")
        if not isinstance(d.get("timings"), dict):
            raise BadAnswer("generate.start: `timings` is not an object")
        return cls(dict(d))


@dataclass(frozen=True)
class Activity:
    """sync.activity: the Activity list's entries, newest first ({at, kind, subject, detail,
    hint, avatar_id, machine, machine_name})."""

    entries: tuple[Row, ...]

    @classmethod
    def parse(cls, data: Any) -> Activity:
        entries = _obj(data, "sync.activity").get("entries")
        if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
            raise BadAnswer("sync.activity: `entries` is not a list of objects")
        return cls(tuple(dict(e) for e in entries))


@dataclass(frozen=True)
class Kept:
    """generate.keep: the avatars the chosen candidates became (none: all discarded)."""

    avatar_ids: tuple[str, ...]

    @classmethod
    def parse(cls, data: Any) -> Kept:
        ids = _obj(data, "generate.keep").get("avatar_ids")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise BadAnswer("generate.keep: `avatar_ids` is not a list of ids")
        return cls(tuple(ids))


@dataclass(frozen=True)
class History:
    """generate.history: the latest tasks, newest first."""

    tasks: tuple[Row, ...]

    @classmethod
    def parse(cls, data: Any) -> History:
        return cls(_rows(_obj(data, "generate.history"), "tasks", "generate.history", ids=False))


@dataclass(frozen=True)
class Stats:
    """generate.stats: totals and averages, read by key."""

    fields: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, data: Any) -> Stats:
        return cls(dict(_obj(data, "generate.stats")))


@dataclass(frozen=True)
class Done:
    """An answer the window does not read (generate.ready, generate.cancel, auth.sign_out)."""

    @classmethod
    def parse(cls, _data: Any) -> Done:
        return cls()
