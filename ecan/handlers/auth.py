"""Handlers for the `auth.*` methods: sign in (answering the pool's challenges, or through its
hosted UI in the browser), sign out, sign-up and its code, forgot password, an authenticator app,
and where the session stands. Signing in opens the account's own library; signing out goes back
to the local-only one (ecan.accounts)."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from pydantic import Field

from ecan.handlers.registry import Empty, Handlers, Request

if TYPE_CHECKING:
    from ecan.app import App

# What signing in or out changes: the whole library shown is another one.
_SWITCH = ["auth", "sync", "avatars", "agents", "tasks"]


class SignInRequest(Request):
    username: str = Field(min_length=1, max_length=128)
    # repr=False: a logged or printed request never shows it. Validation errors name the
    # field, never echo the value (see tests/unit/test_auth_handlers.py).
    password: str = Field(min_length=1, max_length=256, repr=False)


class SignUpRequest(SignInRequest):
    email: str = Field(min_length=3, max_length=320)


class UsernameRequest(Request):
    username: str = Field(min_length=1, max_length=128)


class ConfirmRequest(UsernameRequest):
    code: str = Field(min_length=1, max_length=16, repr=False)


class ResetPasswordRequest(ConfirmRequest):
    new_password: str = Field(min_length=1, max_length=256, repr=False)


class NewPasswordRequest(Request):
    challenge_id: str = Field(min_length=1, max_length=64)
    new_password: str = Field(min_length=1, max_length=256, repr=False)


class MfaRequest(Request):
    challenge_id: str = Field(min_length=1, max_length=64)
    code: str = Field(min_length=1, max_length=16, repr=False)


class ChallengeRequest(Request):
    challenge_id: str = Field(min_length=1, max_length=64)


class CodeRequest(Request):
    code: str = Field(min_length=1, max_length=16, repr=False)


class FlowRequest(Request):
    flow_id: str = Field(min_length=1, max_length=64)


class HostedUiFinishRequest(FlowRequest):
    timeout_s: float = Field(default=300.0, gt=0, le=3600)


class LocalAvatarsRequest(Request):
    # "move": into the signed-in account (they then sync under its identity); "keep": leave
    # them in the local-only library and stop asking.
    action: str = Field(pattern=r"^(move|keep)$")


def _entered(app: App, step: Any) -> dict[str, Any]:
    """A step of a sign-in: a challenge goes back to the caller; tokens open the account."""
    from ecan.auth.session import Challenge

    if isinstance(step, Challenge):
        return {**step.to_dict(), "signed_in": False}
    return enter_account(app, step)


def enter_account(app: App, cog: Any) -> dict[str, Any]:
    """Open the account's library (signing out whoever else was signed in) and hold the session
    there. Returns what sign-in returns, plus what the caller should offer next:
    `restore_needed` (the account's first sign-in on this computer: restore its cloud library,
    whatever else is here) and `local_only_avatars` (avatars used without an account that could
    move into it)."""
    from ecan.accounts import (
        LIBRARY_IDENTITY_KEY,
        RESTORED_KEY,
        Account,
        account_paths,
        keep_local_decided,
        local_only_avatars,
        read_signed_in,
        write_signed_in,
    )
    claims = cog.id_claims or {}
    account = Account(app.config.cognito.user_pool_id, str(claims.get("sub") or ""),
                      str(claims.get("cognito:username") or cog.username or ""))
    try:
        target = account_paths(app.paths, account)
    except ValueError:
        from ecan.errors import UserFacingError

        raise UserFacingError("token_invalid", "The sign-in service returned a token without "
                              "a valid user id (sub).", "Check COGNITO.USER_POOL_ID.") from None
    if target != app.paths:
        previous = read_signed_in(app.paths)
        if previous is not None and previous != account and app.auth.signed_in:
            app.auth.sign_out()  # the other account's session: revoked and forgotten here
        app.switch_library(target)
    data = app.auth.adopt_tokens(cog)
    write_signed_in(app.paths, account)
    app.cloud.invalidate()
    if data.get("identity_id"):
        # Jobs queued from now on belong to this identity (the outbox stamps them with it).
        app.db.set_setting(LIBRARY_IDENTITY_KEY, data["identity_id"])
    restore_needed = bool(data.get("identity_id")) and not app.db.get_setting(RESTORED_KEY)
    local = 0 if keep_local_decided(app.paths) else local_only_avatars(app.paths)
    data.update({"signed_in": True, "account": account.username,
                 "restore_needed": restore_needed,
                 # The window's name for it (the first sign-in's library is a new, empty one).
                 "first_sign_in_on_empty_library": restore_needed,
                 "local_only_avatars": local})
    return data


def leave_account(app: App) -> None:
    from ecan.accounts import clear_signed_in

    app.auth.sign_out()
    clear_signed_in(app.paths)
    app.switch_library(app.paths.local_only())


def register(handlers: Handlers, app: App) -> None:
    def flows() -> Any:
        from ecan.auth.flows import AccountFlows

        return AccountFlows(app.auth)

    @handlers.register("auth.sign_in", SignInRequest, changes=_SWITCH)
    def sign_in(req: SignInRequest) -> dict[str, Any]:
        """Signed in (the account's library is open), or {challenge, challenge_id}: answer it
        with auth.respond_new_password / auth.respond_mfa (after auth.mfa_setup_secret for
        MFA_SETUP)."""
        return _entered(app, app.auth.start_sign_in(req.username, req.password))

    @handlers.register("auth.respond_new_password", NewPasswordRequest, changes=_SWITCH)
    def respond_new_password(req: NewPasswordRequest) -> dict[str, Any]:
        return _entered(app, app.auth.respond_to_challenge(req.challenge_id,
                                                           new_password=req.new_password))

    @handlers.register("auth.respond_mfa", MfaRequest, changes=_SWITCH)
    def respond_mfa(req: MfaRequest) -> dict[str, Any]:
        return _entered(app, app.auth.respond_to_challenge(req.challenge_id, code=req.code))

    @handlers.register("auth.mfa_setup_secret", ChallengeRequest)
    def mfa_setup_secret(req: ChallengeRequest) -> dict[str, Any]:
        from ecan.auth.flows import otpauth_uri, qr_png

        secret = app.auth.mfa_setup_secret(req.challenge_id)
        uri = otpauth_uri(secret, "ecan")
        return {"secret": secret, "otpauth_uri": uri,
                "qr_png_base64": base64.b64encode(qr_png(uri)).decode()}

    @handlers.register("auth.sign_out", Empty, changes=_SWITCH)
    def sign_out(_req: Empty) -> dict[str, Any]:
        leave_account(app)
        return {**app.auth.status(), "account": None}

    @handlers.register("auth.local_avatars", LocalAvatarsRequest, changes=["avatars", "sync",
                                                                          "agents"])
    def local_avatars(req: LocalAvatarsRequest) -> dict[str, Any]:
        """The avatars of the local-only library: move them into the signed-in account, or
        keep them there (and stop asking)."""
        from ecan.accounts import keep_local, move_local_avatars
        from ecan.errors import UserFacingError

        if req.action == "keep":
            keep_local(app.paths)
            return {"moved": 0, "failed": 0, "agents_moved": 0}
        if not app.paths.is_account:
            raise UserFacingError("not_signed_in", "No account is signed in to move them into.",
                                  "Sign in first.")
        result = move_local_avatars(app.paths, app.library, app.agents)
        app.sync.wake()
        return result

    @handlers.register("auth.status", Empty)
    def status(_req: Empty) -> dict[str, Any]:
        from ecan.accounts import read_signed_in

        data = app.auth.status()
        data["cloud_mode"] = app.cloud.mode()
        account = read_signed_in(app.paths) if app.paths.is_account else None
        data["account"] = account.username if account else None
        # The window offers "Sign in with browser" only where the pool has a hosted UI.
        data["hosted_ui"] = bool(app.config.cognito.configured and app.config.cognito.domain)
        return data

    @handlers.register("auth.accounts", Empty)
    def accounts(_req: Empty) -> dict[str, Any]:
        """The accounts of the configured pool with a library on this computer (usernames
        only: no token, no id), and which one is open."""
        from ecan.accounts import known_accounts, read_signed_in

        current = read_signed_in(app.paths) if app.paths.is_account else None
        known = known_accounts(app.paths, app.config.cognito.user_pool_id) \
            if app.config.cognito.configured else []
        return {"accounts": [{"username": a.username, "current": a == current} for a in known],
                "current": current.username if current else None}

    # ---- sign-up, codes, password reset ---------------------------------------------------

    @handlers.register("auth.sign_up", SignUpRequest)
    def sign_up(req: SignUpRequest) -> dict[str, Any]:
        return flows().sign_up(req.username, req.password, req.email)  # type: ignore[no-any-return]

    @handlers.register("auth.confirm_sign_up", ConfirmRequest)
    def confirm_sign_up(req: ConfirmRequest) -> dict[str, Any]:
        return flows().confirm_sign_up(req.username, req.code)  # type: ignore[no-any-return]

    @handlers.register("auth.resend_code", UsernameRequest)
    def resend_code(req: UsernameRequest) -> dict[str, Any]:
        return flows().resend_code(req.username)  # type: ignore[no-any-return]

    @handlers.register("auth.forgot_password", UsernameRequest)
    def forgot_password(req: UsernameRequest) -> dict[str, Any]:
        return flows().forgot_password(req.username)  # type: ignore[no-any-return]

    @handlers.register("auth.confirm_forgot_password", ResetPasswordRequest)
    def confirm_forgot_password(req: ResetPasswordRequest) -> dict[str, Any]:
        return flows().confirm_forgot_password(  # type: ignore[no-any-return]
            req.username, req.code, req.new_password)

    # ---- authenticator app ----------------------------------------------------------------

    @handlers.register("auth.setup_totp", Empty)
    def setup_totp(_req: Empty) -> dict[str, Any]:
        return flows().setup_totp()  # type: ignore[no-any-return]

    @handlers.register("auth.verify_totp", CodeRequest, changes=["auth"])
    def verify_totp(req: CodeRequest) -> dict[str, Any]:
        return flows().verify_totp(req.code)  # type: ignore[no-any-return]

    # ---- the pool's hosted UI in the system browser ---------------------------------------

    @handlers.register("auth.hosted_ui_start", Empty)
    def hosted_ui_start(_req: Empty) -> dict[str, Any]:
        """{url, flow_id}: open `url` in the system browser, then call auth.hosted_ui_finish,
        which waits for the browser to come back to ecan's loopback address."""
        return app.auth.hosted_ui.start()

    @handlers.register("auth.hosted_ui_cancel", FlowRequest)
    def hosted_ui_cancel(req: FlowRequest) -> dict[str, Any]:
        """Stop waiting for the browser (the user clicked Cancel): the listener closes and
        auth.hosted_ui_finish returns at once."""
        app.auth.hosted_ui.cancel(req.flow_id)
        return {"cancelled": True}

    @handlers.register("auth.hosted_ui_finish", HostedUiFinishRequest, changes=_SWITCH)
    def hosted_ui_finish(req: HostedUiFinishRequest) -> dict[str, Any]:
        return enter_account(app, app.auth.hosted_ui.finish(req.flow_id,
                                                            timeout=req.timeout_s))
