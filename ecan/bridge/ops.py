"""The window's operations, one typed function per action (Anki's aqt/operations): each names its
handler and request once, and hands `on_success` the answer parsed into its model
(ecan.handlers.models), on the GUI thread. Screens call these, never `Bridge.run` with a method
name, so a renamed field or handler is a type error here rather than a silent `{}` in a screen.

Every function takes the bridge first and, keyword-only: `on_success(model)`, `on_failure(error)`
(the {code, message, hint} dict; without one the bridge's `failed` signal shows it) and `origin`,
the object the resulting `Bridge.changed` names, so a screen can skip a change it made itself.
To add an action: a model in ecan.handlers.models if its answer is read, and a function here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, TypeVar

from ecan.bridge.bridge import Bridge, FailureFn
from ecan.handlers.models import (
    Accounts,
    Activity,
    AgentList,
    AgentSaved,
    AuthStatus,
    Avatar,
    AvatarPage,
    AvatarRows,
    BrowserFlow,
    CodeSent,
    Deleted,
    Done,
    Exported,
    Generated,
    History,
    ImportBatch,
    Kept,
    Link,
    LocalMoved,
    Paused,
    Restored,
    Retried,
    SignedIn,
    Stats,
    SyncStatus,
    TotpKey,
    Trash,
    Uploaded,
)

T = TypeVar("T")
On = Callable[[T], None] | None


def _op(bridge: Bridge, method: str, payload: Mapping[str, Any], parse: Callable[[Any], T],
        on_success: On[T], on_failure: FailureFn | None, origin: object | None) -> None:
    bridge.run(method, dict(payload), parse=parse, on_success=on_success, on_failure=on_failure,
               origin=origin)


# -- avatars --------------------------------------------------------------------------------------
def list_avatars(bridge: Bridge, *, limit: int | None = None, offset: int = 0,
                 on_success: On[AvatarPage] = None, on_failure: FailureFn | None = None,
                 origin: object | None = None,
                 pack: Callable[[dict[str, Any]], Any] | None = None) -> None:
    """The library's avatars, newest first: all of them, or `limit` from `offset`. `pack`: each
    row is handed to it on the worker thread and the page's `packed` holds what it made (the
    gallery keeps its rows packed, and packing a page on the GUI thread would stall it)."""
    payload: dict[str, Any] = {} if limit is None else {"limit": limit}
    if offset:
        payload["offset"] = offset
    parse: Callable[[Any], AvatarPage] = AvatarPage.parse
    if pack is not None:
        def parse(data: Any) -> AvatarPage:
            page = AvatarPage.parse(data)
            return replace(page, avatars=(), packed=tuple(map(pack, page.avatars)))
    _op(bridge, "avatar.list", payload, parse, on_success, on_failure, origin)


def get_avatars(bridge: Bridge, ids: list[str], *, on_success: On[AvatarRows] = None,
                on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    """These avatars as they are now; a missing one is gone from the library."""
    _op(bridge, "avatar.get_many", {"ids": list(ids)}, AvatarRows.parse, on_success, on_failure,
        origin)


def get_avatar(bridge: Bridge, avatar_id: str, *, on_success: On[Avatar] = None,
               on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    _op(bridge, "avatar.get", {"id": avatar_id}, Avatar.parse, on_success, on_failure, origin)


def update_avatar(bridge: Bridge, avatar_id: str, changes: Mapping[str, Any], *,
                  on_success: On[Avatar] = None, on_failure: FailureFn | None = None,
                  origin: object | None = None) -> None:
    """Edit name, description or tags (the keys of `changes`)."""
    _op(bridge, "avatar.update", {"id": avatar_id, **changes}, Avatar.parse, on_success,
        on_failure, origin)


def delete_avatar(bridge: Bridge, avatar_id: str, *, on_success: On[Deleted] = None,
                  on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    _op(bridge, "avatar.delete", {"id": avatar_id}, Deleted.parse, on_success, on_failure,
        origin)


def list_trash(bridge: Bridge, *, on_success: On[Trash] = None,
               on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    """The deleted avatars the trash still keeps, newest deletion first."""
    _op(bridge, "avatar.trash", {}, Trash.parse, on_success, on_failure, origin)


def undelete_avatar(bridge: Bridge, avatar_id: str, *, on_success: On[Avatar] = None,
                    on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    """Back from the trash, here and (through the journal) on the user's other computers."""
    _op(bridge, "avatar.undelete", {"id": avatar_id}, Avatar.parse, on_success, on_failure,
        origin)


def avatar_link(bridge: Bridge, avatar_id: str, seconds: int, *, on_success: On[Link] = None,
                on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    """A private link to the avatar's original that works for `seconds`."""
    _op(bridge, "avatar.link", {"id": avatar_id, "expires_s": seconds}, Link.parse, on_success,
        on_failure, origin)


def export_avatars(bridge: Bridge, ids: list[str], to: str, *, conflict: str = "refuse",
                   video: bool = False, on_success: On[Exported] = None,
                   on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    """Copies of these avatars' originals (or videos): one to the file `to`, or each into the
    folder `to`; `conflict` is "refuse", "overwrite" or "rename" for a file that exists."""
    _op(bridge, "avatar.export", {"ids": list(ids), "to": to, "conflict": conflict,
                                  "video": video}, Exported.parse, on_success, on_failure, origin)


def upload_image(bridge: Bridge, file_data: str, filename: str, *,
                 on_success: On[Uploaded] = None, on_failure: FailureFn | None = None,
                 origin: object | None = None) -> None:
    """An image's bytes (base64) as a new avatar."""
    _op(bridge, "avatar.upload_avatar", {"fileData": file_data, "filename": filename},
        Uploaded.parse, on_success, on_failure, origin)


def import_paths(bridge: Bridge, paths: list[str], *, on_success: On[ImportBatch] = None,
                 on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    """One batch of files into the library, a result per path."""
    _op(bridge, "avatar.import_paths", {"paths": list(paths)}, ImportBatch.parse, on_success,
        on_failure, origin)


# -- agents ---------------------------------------------------------------------------------------
def list_agents(bridge: Bridge, *, on_success: On[AgentList] = None,
                on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    _op(bridge, "agent.list", {}, AgentList.parse, on_success, on_failure, origin)


def save_agent(bridge: Bridge, *, name: str, description: str, avatar_id: str | None,
               agent_id: str | None, on_success: On[AgentSaved] = None,
               on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    """Create (no `agent_id`) or update an agent."""
    payload: dict[str, Any] = {"name": name, "description": description}
    if avatar_id:
        payload["avatar_id"] = avatar_id
    if agent_id:
        payload["id"] = agent_id
    _op(bridge, "agent.save", payload, AgentSaved.parse, on_success, on_failure, origin)


def delete_agent(bridge: Bridge, agent_id: str, *, on_success: On[Deleted] = None,
                 on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    _op(bridge, "agent.delete", {"id": agent_id}, Deleted.parse, on_success, on_failure, origin)


# -- sync -----------------------------------------------------------------------------------------
def sync_status(bridge: Bridge, *, on_success: On[SyncStatus] = None,
                on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    _op(bridge, "sync.status", {}, SyncStatus.parse, on_success, on_failure, origin)


def sync_activity(bridge: Bridge, *, on_success: On[Activity] = None,
                  on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    """The Activity list: recent changes here and on other computers, and failures."""
    _op(bridge, "sync.activity", {}, Activity.parse, on_success, on_failure, origin)


def sync_pause(bridge: Bridge, duration: str | None = None, *, on_success: On[Paused] = None,
               on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    """Pause uploads and pulls for `duration` ("1h", "30m", "tomorrow"; None: until
    resumed); the engine resumes by itself at the end, also after a restart."""
    payload = {} if duration is None else {"duration": duration}
    _op(bridge, "sync.pause", payload, Paused.parse, on_success, on_failure, origin)


def sync_resume(bridge: Bridge, *, on_success: On[Paused] = None,
                on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    _op(bridge, "sync.resume", {}, Paused.parse, on_success, on_failure, origin)


def set_bandwidth_limit(bridge: Bridge, kbps: int, *, on_success: On[Done] = None,
                        on_failure: FailureFn | None = None,
                        origin: object | None = None) -> None:
    """The upload limit in KB/s (0: unlimited), in force at once."""
    _op(bridge, "sync.set_bandwidth_limit", {"kbps": kbps}, Done.parse, on_success, on_failure,
        origin)


def sync_retry(bridge: Bridge, avatar_id: str | None = None, *, on_success: On[Retried] = None,
               on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    """Queue failed uploads again: one avatar's, or (None) every failed one."""
    _op(bridge, "sync.retry", {"avatar_id": avatar_id} if avatar_id else {}, Retried.parse,
        on_success, on_failure, origin)


def sync_restore(bridge: Bridge, *, only_if_empty: bool, on_success: On[Restored] = None,
                 on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    """Bring the account's avatars back from the cloud."""
    _op(bridge, "sync.restore", {"only_if_empty": only_if_empty}, Restored.parse, on_success,
        on_failure, origin)


# -- auth -----------------------------------------------------------------------------------------
def auth_status(bridge: Bridge, *, on_success: On[AuthStatus] = None,
                on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    _op(bridge, "auth.status", {}, AuthStatus.parse, on_success, on_failure, origin)


def sign_in(bridge: Bridge, username: str, password: str, *, on_success: On[SignedIn] = None,
            on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    _op(bridge, "auth.sign_in", {"username": username, "password": password}, SignedIn.parse,
        on_success, on_failure, origin)


def respond_new_password(bridge: Bridge, challenge_id: str, new_password: str, *,
                         on_success: On[SignedIn] = None, on_failure: FailureFn | None = None,
                         origin: object | None = None) -> None:
    """The new password an admin-created account must choose (NEW_PASSWORD_REQUIRED)."""
    _op(bridge, "auth.respond_new_password",
        {"challenge_id": challenge_id, "new_password": new_password}, SignedIn.parse,
        on_success, on_failure, origin)


def respond_mfa(bridge: Bridge, challenge_id: str, code: str, *, on_success: On[SignedIn] = None,
                on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    """The code of an MFA step (authenticator app or SMS)."""
    _op(bridge, "auth.respond_mfa", {"challenge_id": challenge_id, "code": code},
        SignedIn.parse, on_success, on_failure, origin)


def mfa_setup_secret(bridge: Bridge, challenge_id: str, *, on_success: On[TotpKey] = None,
                     on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    """The authenticator key a pool that requires MFA asks the user to set up (MFA_SETUP)."""
    _op(bridge, "auth.mfa_setup_secret", {"challenge_id": challenge_id}, TotpKey.parse,
        on_success, on_failure, origin)


def sign_up(bridge: Bridge, username: str, email: str, password: str, *,
            on_success: On[CodeSent] = None, on_failure: FailureFn | None = None,
            origin: object | None = None) -> None:
    _op(bridge, "auth.sign_up", {"username": username, "email": email, "password": password},
        CodeSent.parse, on_success, on_failure, origin)


def confirm_sign_up(bridge: Bridge, username: str, code: str, *, on_success: On[Done] = None,
                    on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    _op(bridge, "auth.confirm_sign_up", {"username": username, "code": code}, Done.parse,
        on_success, on_failure, origin)


def resend_code(bridge: Bridge, username: str, *, on_success: On[CodeSent] = None,
                on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    _op(bridge, "auth.resend_code", {"username": username}, CodeSent.parse, on_success,
        on_failure, origin)


def forgot_password(bridge: Bridge, username: str, *, on_success: On[CodeSent] = None,
                    on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    _op(bridge, "auth.forgot_password", {"username": username}, CodeSent.parse, on_success,
        on_failure, origin)


def confirm_forgot_password(bridge: Bridge, username: str, code: str, new_password: str, *,
                            on_success: On[Done] = None, on_failure: FailureFn | None = None,
                            origin: object | None = None) -> None:
    _op(bridge, "auth.confirm_forgot_password",
        {"username": username, "code": code, "new_password": new_password}, Done.parse,
        on_success, on_failure, origin)


def setup_totp(bridge: Bridge, *, on_success: On[TotpKey] = None,
               on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    """Start setting up an authenticator app for the signed-in account."""
    _op(bridge, "auth.setup_totp", {}, TotpKey.parse, on_success, on_failure, origin)


def verify_totp(bridge: Bridge, code: str, *, on_success: On[Done] = None,
                on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    _op(bridge, "auth.verify_totp", {"code": code}, Done.parse, on_success, on_failure, origin)


def hosted_ui_start(bridge: Bridge, *, on_success: On[BrowserFlow] = None,
                    on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    """Sign in through the pool's hosted UI: the address to open in the system browser."""
    _op(bridge, "auth.hosted_ui_start", {}, BrowserFlow.parse, on_success, on_failure, origin)


def hosted_ui_finish(bridge: Bridge, flow_id: str, timeout_s: float, *,
                     on_success: On[SignedIn] = None, on_failure: FailureFn | None = None,
                     origin: object | None = None) -> None:
    """Wait (off the GUI thread) for the browser to come back to ecan's loopback address."""
    _op(bridge, "auth.hosted_ui_finish", {"flow_id": flow_id, "timeout_s": timeout_s},
        SignedIn.parse, on_success, on_failure, origin)


def hosted_ui_cancel(bridge: Bridge, flow_id: str, *, on_success: On[Done] = None,
                     on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    _op(bridge, "auth.hosted_ui_cancel", {"flow_id": flow_id}, Done.parse, on_success,
        on_failure, origin)


def list_accounts(bridge: Bridge, *, on_success: On[Accounts] = None,
                  on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    """The accounts with a library on this computer (usernames only)."""
    _op(bridge, "auth.accounts", {}, Accounts.parse, on_success, on_failure, origin)


def local_avatars(bridge: Bridge, action: str, *, on_success: On[LocalMoved] = None,
                  on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    """Avatars added without an account: "move" them into the signed-in one, or "keep" them
    apart (and stop asking)."""
    _op(bridge, "auth.local_avatars", {"action": action}, LocalMoved.parse, on_success,
        on_failure, origin)


def sign_out(bridge: Bridge, *, on_success: On[Done] = None,
             on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    _op(bridge, "auth.sign_out", {}, Done.parse, on_success, on_failure, origin)


# -- generation -----------------------------------------------------------------------------------
def generate_ready(bridge: Bridge, *, on_success: On[Done] = None,
                   on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    """Succeeds when a generation could start; else on_failure says why (no key set, ...)."""
    _op(bridge, "generate.ready", {}, Done.parse, on_success, on_failure, origin)


def generate_start(bridge: Bridge, *, prompt: str, task_id: str,
                   image_path: str | None = None, avatar_id: str | None = None,
                   preset: str | None = None, candidates: int = 1,
                   on_success: On[Generated] = None, on_failure: FailureFn | None = None,
                   origin: object | None = None) -> None:
    """Generate an avatar from a photo file or an existing avatar (exactly one of them)."""
    payload: dict[str, Any] = {"prompt": prompt, "task_id": task_id}
    if image_path is not None:
        payload["image_path"] = image_path
    if avatar_id is not None:
        payload["avatar_id"] = avatar_id
    if preset:
        payload["preset"] = preset
    if candidates > 1:
        payload["candidates"] = candidates
    _op(bridge, "generate.start", payload, Generated.parse, on_success, on_failure, origin)


def generate_keep(bridge: Bridge, task_id: str, indices: list[int], *,
                  on_success: On[Kept] = None, on_failure: FailureFn | None = None,
                  origin: object | None = None) -> None:
    """Keep these candidates of a finished task as avatars; the others are discarded."""
    _op(bridge, "generate.keep", {"task_id": task_id, "indices": list(indices)}, Kept.parse,
        on_success, on_failure, origin)


def generate_cancel(bridge: Bridge, task_id: str, *, on_success: On[Done] = None,
                    on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    _op(bridge, "generate.cancel", {"task_id": task_id}, Done.parse, on_success, on_failure,
        origin)


def generate_history(bridge: Bridge, limit: int, *, on_success: On[History] = None,
                     on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    _op(bridge, "generate.history", {"limit": limit}, History.parse, on_success, on_failure,
        origin)


def generate_stats(bridge: Bridge, *, on_success: On[Stats] = None,
                   on_failure: FailureFn | None = None, origin: object | None = None) -> None:
    _op(bridge, "generate.stats", {}, Stats.parse, on_success, on_failure, origin)
