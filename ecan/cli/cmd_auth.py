"""`ecan login` (password, the pool's challenges, or the browser), `logout`, `signup`, `confirm`,
`resend-code`, `forgot-password`, `reset-password` and `mfa setup`. Secrets are read without echo
from a terminal, or one per line from stdin; never from the command line."""

from __future__ import annotations

import argparse
import base64
import sys
from pathlib import Path
from typing import Any

from ecan.cli.output import Output, plural, unwrap
from ecan.errors import UserFacingError


class _UsageError(UserFacingError):
    exit_code = 2


def _read_secret(prompt: str, from_stdin: bool, *, echo: bool = False) -> str:
    """From a terminal: asked for (without echo for a password or a code). Otherwise (or with
    --password-stdin): the next line of stdin; only the line ending is removed, so passwords
    with leading or trailing spaces keep them."""
    if not from_stdin and sys.stdin.isatty():
        if echo:
            return input(prompt)
        import getpass

        return getpass.getpass(prompt)
    return sys.stdin.readline().rstrip("\r\n")


def _read_password(from_stdin: bool) -> str:
    return _read_secret("Password: ", from_stdin)


def _new_password(from_stdin: bool) -> str:
    first = _read_secret("New password: ", from_stdin)
    if not from_stdin and sys.stdin.isatty():
        if _read_secret("New password again: ", from_stdin) != first:
            raise _UsageError("password_mismatch", "The two new passwords differ.",
                              "Type the same new password twice.")
    if not first:
        raise _UsageError("invalid_password", "No new password was given.",
                          "Type it when asked, or give it on the next line of stdin.")
    return first


def _answer_challenges(app: Any, data: dict[str, Any], from_stdin: bool, out: Output
                       ) -> dict[str, Any]:
    """Ask for what the pool's challenges want until signed in."""
    for _ in range(5):  # new password -> MFA set-up -> code: never more than a few steps
        challenge = data.get("challenge")
        if not challenge:
            return data
        cid = data["challenge_id"]
        if challenge == "NEW_PASSWORD_REQUIRED":
            out.info("Your account needs a new password before you can sign in.")
            data = unwrap(app.handlers.call("auth.respond_new_password", {
                "challenge_id": cid, "new_password": _new_password(from_stdin)}))
        elif challenge in ("SOFTWARE_TOKEN_MFA", "SMS_MFA", "MFA_SETUP"):
            if challenge == "MFA_SETUP":
                setup = unwrap(app.handlers.call("auth.mfa_setup_secret", {"challenge_id": cid}))
                out.info("Your account must use an authenticator app. Add this to it:")
                _show_totp(setup, out, None)
            where = ("the code from your authenticator app" if challenge != "SMS_MFA" else
                     f"the code sent to {data.get('destination') or 'your phone'}")
            for attempt in range(3):
                code = _read_secret(f"Code ({where}): ", from_stdin, echo=True).strip()
                try:
                    data = unwrap(app.handlers.call("auth.respond_mfa", {
                        "challenge_id": cid, "code": code or "-"}))
                    break
                except UserFacingError as e:
                    if e.code != "wrong_code" or attempt == 2 or from_stdin or \
                            not sys.stdin.isatty():
                        raise
                    out.info(f"{e.message} {e.hint}")
        else:
            raise UserFacingError("challenge_not_supported",
                                  f"The sign-in asks for {challenge}, which ecan cannot answer.",
                                  "Sign in with `ecan login --browser`.")
    return data


def _show_totp(setup: dict[str, Any], out: Output, png: str | None) -> None:
    from ecan.auth.flows import qr_terminal

    uri = setup["otpauth_uri"]
    if png:
        Path(png).write_bytes(base64.b64decode(setup["qr_png_base64"]))
        out.info(f"QR code written to {png}")
    elif out.stderr.isatty():
        out.info(qr_terminal(uri))
    out.info(f"Or type this key into the app: {setup['secret']}")
    out.info(f"(otpauth URI: {uri})")


def _browser_sign_in(app: Any, out: Output, timeout: float) -> dict[str, Any]:
    import webbrowser

    started = unwrap(app.handlers.call("auth.hosted_ui_start"))
    out.info("Opening the sign-in page in your browser. If it does not open, visit:")
    out.info(started["url"])
    try:
        webbrowser.open(started["url"])
    except Exception:  # noqa: BLE001 - no browser: the printed link is the way
        pass
    return unwrap(app.handlers.call("auth.hosted_ui_finish",
                                    {"flow_id": started["flow_id"], "timeout_s": timeout}))


def login(args: argparse.Namespace, out: Output) -> int:
    from ecan.cli.context import open_app

    if args.move_local and args.keep_local:
        raise _UsageError("usage_error", "--move-local and --keep-local exclude each other.",
                          "Choose one.")
    password = ""
    if not args.browser:
        if not args.username:
            raise _UsageError("usage_error", "ecan login: --username is required.",
                              "Give --username NAME, or sign in with --browser.")
        password = _read_password(args.password_stdin)
        if not password:
            raise _UsageError("invalid_password", "No password was given.",
                              "Type it when asked, or pipe it in: `printf '%s\\n' \"$PW\" | "
                              "ecan login --username NAME --password-stdin`.")
    app = open_app()
    restored = None
    moved = None
    try:
        if args.browser:
            data = _browser_sign_in(app, out, args.timeout)
        else:
            data = unwrap(app.handlers.call("auth.sign_in",
                                            {"username": args.username, "password": password}))
            del password
            data = _answer_challenges(app, data, args.password_stdin, out)
        if data.get("restore_needed"):
            # The account's first sign-in on this computer: bring its cloud library here.
            out.info("Restoring your library from the cloud...")
            try:
                restored = unwrap(app.handlers.call("sync.restore", {}))
                out.info(f"Restored {plural(restored.get('restored', 0), 'avatar')}.")
            except UserFacingError as e:  # signed in all the same; restore can be run later
                out.info(f"warning: could not restore now: {e.message} Run `ecan restore` later.")
        local = int(data.get("local_only_avatars") or 0)
        if local and args.move_local:
            moved = unwrap(app.handlers.call("auth.local_avatars", {"action": "move"}))
            out.info(f"Moved {plural(moved['moved'], 'avatar')} used without an account into "
                     f"{data.get('username')}'s library; they sync under this account.")
        elif local and args.keep_local:
            unwrap(app.handlers.call("auth.local_avatars", {"action": "keep"}))
            out.info(f"Left {plural(local, 'avatar')} in the library used without an account "
                     "(shown again when you sign out).")
        elif local:
            out.info(f"This computer has {plural(local, 'avatar')} used without an account; "
                     "they are not part of this account's library. To move them into it, run "
                     "`ecan login ... --move-local`; to leave them and stop this note, "
                     "`--keep-local`.")
    finally:
        app.close()
    if data.get("keyring_problem"):
        out.info(f"warning: {data['keyring_problem']}; until then this sign-in lasts for this "
                 "command only")
    elif not data.get("session_persisted"):
        out.info("warning: no keyring: you will need to sign in again next time; other ecan "
                 "commands will not see this sign-in. Set ECAN_ALLOW_FILE_KEYRING=1 (or "
                 "PYTHON_KEYRING_BACKEND=keyrings.alt.file.PlaintextKeyring) to keep the "
                 "session in a file.")
    out.result({"identity_id": data.get("identity_id"), "username": data.get("username"),
                "account": data.get("account"), "keyring": data.get("keyring"),
                "first_sign_in_on_empty_library": data.get("first_sign_in_on_empty_library"),
                "restored": restored.get("restored", 0) if restored else 0,
                "local_only_avatars": int(data.get("local_only_avatars") or 0),
                "moved": moved.get("moved", 0) if moved else 0},
               f"Signed in as {data.get('username')}"
               + (f" (identity {data['identity_id']})" if data.get("identity_id") else ""))
    return 0


def logout(args: argparse.Namespace, out: Output) -> int:
    from ecan.cli.context import open_app

    app = open_app()
    try:
        unwrap(app.handlers.call("auth.sign_out"))
    finally:
        app.close()
    out.result({"signed_in": False}, "Signed out; this computer's library without an account "
                                     "is open.")
    return 0


def _call(method: str, payload: dict[str, Any]) -> dict[str, Any]:
    from ecan.cli.context import open_app

    app = open_app()
    try:
        return unwrap(app.handlers.call(method, payload))
    finally:
        app.close()


def _sent(data: dict[str, Any]) -> str:
    to = data.get("code_sent_to") or {}
    if to.get("destination"):
        return f"a code was sent to {to['destination']}"
    return "a code was sent"


def signup(args: argparse.Namespace, out: Output) -> int:
    password = _new_password(args.password_stdin)
    data = _call("auth.sign_up", {"username": args.username, "password": password,
                                  "email": args.email})
    if data.get("confirmed"):
        out.result(data, f"Account {args.username} created; sign in with `ecan login`.")
    else:
        out.result(data, f"Account {args.username} created; {_sent(data)}. Confirm it with "
                         f"`ecan confirm --username {args.username} --code CODE`.")
    return 0


def confirm(args: argparse.Namespace, out: Output) -> int:
    data = _call("auth.confirm_sign_up", {"username": args.username, "code": args.code})
    out.result(data, f"Account {args.username} confirmed; sign in with "
                     f"`ecan login --username {args.username}`.")
    return 0


def resend_code(args: argparse.Namespace, out: Output) -> int:
    data = _call("auth.resend_code", {"username": args.username})
    out.result(data, f"A new code is on its way: {_sent(data)}.")
    return 0


def forgot_password(args: argparse.Namespace, out: Output) -> int:
    data = _call("auth.forgot_password", {"username": args.username})
    out.result(data, f"{_sent(data).capitalize()}. Set a new password with "
                     f"`ecan reset-password --username {args.username} --code CODE`.")
    return 0


def reset_password(args: argparse.Namespace, out: Output) -> int:
    password = _new_password(args.password_stdin)
    data = _call("auth.confirm_forgot_password", {"username": args.username, "code": args.code,
                                                  "new_password": password})
    out.result(data, "Password changed; sign in with it.")
    return 0


def mfa(args: argparse.Namespace, out: Output) -> int:
    from ecan.cli.context import open_app

    app = open_app()
    try:
        setup = unwrap(app.handlers.call("auth.setup_totp"))
        out.info("Add ecan to your authenticator app:")
        _show_totp(setup, out, args.png)
        code = _read_secret("Code from the app: ", args.code_stdin, echo=True).strip()
        data = unwrap(app.handlers.call("auth.verify_totp", {"code": code or "-"}))
    finally:
        app.close()
    out.result({**data, "otpauth_uri": setup["otpauth_uri"]},
               "Authenticator app on: signing in now asks for its code.")
    return 0
