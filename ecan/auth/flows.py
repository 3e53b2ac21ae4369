"""The account flows a user pool sends people through besides signing in: sign-up with the e-mail
code (and sending it again), forgot password (a code, then a new password), and turning on an
authenticator app (TOTP: a secret shown as a QR code, confirmed with its first code). Each goes
through the pool's public API with the app client's id (pycognito / boto3, unsigned)."""

from __future__ import annotations

import base64
import io
import logging
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from ecan.errors import UserFacingError

if TYPE_CHECKING:
    from ecan.auth.session import AuthService

log = logging.getLogger(__name__)

_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")


def _username(value: str) -> str:
    value = value.strip() if isinstance(value, str) else ""
    if not value or len(value) > 128 or any(ord(c) < 32 for c in value):
        raise UserFacingError("invalid_username", "The username is empty or not valid text.",
                              "Type the username you signed up with.")
    return value


def _code(value: str) -> str:
    value = (value or "").strip().replace(" ", "")
    if not value.isdigit() or not 4 <= len(value) <= 10:
        raise UserFacingError("invalid_code", "The code is not a number.",
                              "Type the digits of the code you were sent.")
    return value


def _password(value: str, what: str = "password") -> str:
    if not isinstance(value, str) or not value:
        raise UserFacingError("invalid_password", f"The {what} is empty.",
                              f"Type the {what}.")
    return value


def _delivery(resp: dict[str, Any]) -> dict[str, Any]:
    details = resp.get("CodeDeliveryDetails") or {}
    return {"medium": details.get("DeliveryMedium"), "destination": details.get("Destination")}


def otpauth_uri(secret: str, username: str, issuer: str = "ecan") -> str:
    """The `otpauth://` URI authenticator apps read from a QR code (Key Uri Format)."""
    label = quote(f"{issuer}:{username}", safe="")
    return f"otpauth://totp/{label}?{urlencode({'secret': secret, 'issuer': issuer})}"


def qr_png(text: str, scale: int = 6) -> bytes:
    import segno

    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def qr_terminal(text: str) -> str:
    """The QR code as text for a terminal (two modules per character cell, upper/lower half
    blocks), dark on light."""
    import segno

    qr = segno.make(text, error="m")
    rows = [[bool(v) for v in row] for row in qr.matrix_iter(border=2)]
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))
    lines = []
    for top, bottom in zip(rows[::2], rows[1::2], strict=True):
        line = []
        for a, b in zip(top, bottom, strict=True):
            # Dark modules print as spaces on a light block background, so the code reads
            # as dark-on-light whatever the terminal's colours.
            line.append({(False, False): "\u2588", (True, False): "\u2584",
                         (False, True): "\u2580", (True, True): " "}[(a, b)])
        lines.append("".join(line))
    return "\n".join(lines)


class AccountFlows:
    """Sign-up, confirmation codes, password reset and TOTP set-up for `auth`'s user pool."""

    def __init__(self, auth: AuthService) -> None:
        self._auth = auth

    def _cognito(self, username: str | None = None) -> Any:
        self._auth._require_configured()
        return self._auth._new_cognito(username)

    def _call(self, during: str, fn: Any) -> Any:
        try:
            return fn()
        except UserFacingError:
            raise
        except Exception as e:  # noqa: BLE001 - every failure becomes a plain message
            raise self._auth._map_error(e, during=during) from None

    # ---- sign-up --------------------------------------------------------------------------

    def sign_up(self, username: str, password: str, email: str) -> dict[str, Any]:
        """Create the account; the pool e-mails a code to confirm it (confirm_sign_up)."""
        username, password = _username(username), _password(password)
        email = email.strip() if isinstance(email, str) else ""
        if not _EMAIL_RE.match(email):
            raise UserFacingError("invalid_email", "That is not an e-mail address.",
                                  "Type the address the confirmation code should go to.")

        def run() -> dict[str, Any]:
            cog = self._cognito()
            cog.set_base_attributes(email=email)
            return dict(cog.register(username, password))

        resp = self._call("sign-up", run)
        log.info("signed up a new account (confirmed: %s)", bool(resp.get("UserConfirmed")))
        return {"username": username, "confirmed": bool(resp.get("UserConfirmed")),
                "code_sent_to": _delivery(resp)}

    def confirm_sign_up(self, username: str, code: str) -> dict[str, Any]:
        username, code = _username(username), _code(code)
        self._call("confirm", lambda: self._cognito().confirm_sign_up(code, username=username))
        return {"username": username, "confirmed": True}

    def resend_code(self, username: str) -> dict[str, Any]:
        username = _username(username)
        self._auth._require_configured()
        client = self._auth._client("cognito-idp")
        resp = self._call("confirm", lambda: client.resend_confirmation_code(
            ClientId=self._auth._cg.client_id, Username=username))
        return {"username": username, "code_sent_to": _delivery(resp)}

    # ---- forgot password ------------------------------------------------------------------

    def forgot_password(self, username: str) -> dict[str, Any]:
        username = _username(username)
        self._auth._require_configured()
        client = self._auth._client("cognito-idp")
        resp = self._call("reset", lambda: client.forgot_password(
            ClientId=self._auth._cg.client_id, Username=username))
        return {"username": username, "code_sent_to": _delivery(resp)}

    def confirm_forgot_password(self, username: str, code: str, new_password: str
                                ) -> dict[str, Any]:
        username, code = _username(username), _code(code)
        new_password = _password(new_password, "new password")
        self._call("reset", lambda: self._cognito(username).confirm_forgot_password(
            code, new_password))
        return {"username": username, "password_changed": True}

    # ---- authenticator app (TOTP) ---------------------------------------------------------

    def _signed_in_cognito(self) -> Any:
        self._auth.id_token()  # renews the tokens (and turns a saved session into a live one)
        cog = self._auth._cognito
        if cog is None or not getattr(cog, "access_token", None):
            from ecan.errors import AuthRequired

            raise AuthRequired()
        return cog

    def setup_totp(self) -> dict[str, Any]:
        """A new TOTP secret for the signed-in user: the otpauth URI and its QR code (PNG,
        base64). Nothing changes until verify_totp() confirms a code from the app."""
        cog = self._signed_in_cognito()
        secret = str(self._call("mfa", cog.associate_software_token))
        uri = otpauth_uri(secret, str(self._auth.status().get("username") or "ecan"))
        return {"secret": secret, "otpauth_uri": uri,
                "qr_png_base64": base64.b64encode(qr_png(uri)).decode()}

    def verify_totp(self, code: str) -> dict[str, Any]:
        """Confirm the authenticator app with its current code; from then on, signing in asks
        for a code from it."""
        code = _code(code)
        cog = self._signed_in_cognito()
        ok = self._call("mfa", lambda: cog.verify_software_token(code, "ecan"))
        if not ok:
            raise UserFacingError("wrong_code", "The authenticator code is not right.",
                                  "Check the time on your phone and type the current code.")
        self._call("mfa", lambda: cog.set_user_mfa_preference(False, True, "SOFTWARE_TOKEN"))
        return {"mfa": "SOFTWARE_TOKEN_MFA", "enabled": True}
