"""The local cloud's account flows, as the real user pool runs them: a WSGI middleware in front of
moto, at the same endpoint, for what moto does not do faithfully.

- Verification codes: sign-up, resend and forgot-password codes are made here, "sent" to the
  local inbox (and printed on the server's stderr, the demo's stand-in for e-mail and SMS), and
  checked like the service checks them: a wrong code is CodeMismatchException, a used or
  replaced one ExpiredCodeException, and five wrong tries LimitExceededException (moto accepts
  any code, and has no ResendConfirmationCode).
- Passwords are checked against the pool's policy with the service's words ("Password did not
  conform with policy: Password must have uppercase characters"); moto says nothing of why.
- TOTP: each user gets a secret of their own (moto hands everyone one fixed secret) and every
  code is checked (RFC 6238, one step of clock drift either way); so is the SMS_MFA code, which
  is sent to the inbox.
- RevokeToken revokes a refresh token (moto lacks it): refreshing with it is then refused.
- The hosted UI (`/oauth2/authorize`, `/login`, `/oauth2/token`, `/oauth2/revoke`): the
  authorization code grant with PKCE (S256 required, as for a public client), redirecting only
  to a loopback `/callback` on any port (RFC 8252 §7.3).
- `GET /ecan-demo/inbox?to=USER` lists the codes sent, for tests and scripts that hold the
  cloud's inbox token (in the ready line); nobody else can read them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import logging
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from ecan.democloud.srp import _call, _read_body, _respond

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_IDP = "AWSCognitoIdentityProviderService."
_JSON = "application/x-amz-json-1.1"
INBOX_PATH = "/ecan-demo/inbox"
INBOX_TOKEN_HEADER = "X-Ecan-Inbox-Token"
_INBOX_ENVIRON = "HTTP_" + INBOX_TOKEN_HEADER.upper().replace("-", "_")
CALLBACK_PATH = "/callback"
SIGN_UP_CODE_TTL_S = 24 * 3600
RESET_CODE_TTL_S = 3600
AUTH_CODE_TTL_S = 300
MAX_CODE_TRIES = 5


class FlowError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class _Code:
    code: str
    expires: float
    tries: int = 0


@dataclass
class _AuthCode:
    tokens: dict[str, Any]
    client_id: str
    redirect_uri: str
    challenge: str
    expires: float


class MotoPools:
    """What the flows read of moto's user pools (in this process): pools, users, sessions."""

    def __init__(self, account_id: str, region: str) -> None:
        self._account, self._region = account_id, region

    def _backend(self) -> Any:
        from moto.cognitoidp.models import cognitoidp_backends

        return cognitoidp_backends[self._account][self._region]

    def pool_of_client(self, client_id: str) -> str | None:
        for pool in list(self._backend().user_pools.values()):
            if client_id in pool.clients:
                return str(pool.id)
        return None

    def policy(self, pool_id: str) -> dict[str, Any]:
        pool = self._backend().user_pools.get(pool_id)
        if pool is None:
            return {}
        return dict(pool.extended_config.get("Policies", {}).get("PasswordPolicy", {}))

    def user(self, pool_id: str, username: str) -> Any:
        pool = self._backend().user_pools.get(pool_id)
        return pool._get_user(username) if pool is not None else None

    def session_user(self, session: str) -> tuple[str, str] | None:
        found = self._backend().sessions.get(session)
        if not found:
            return None
        username, pool = found
        return str(pool.id), str(username)

    def password_sign_in(self, pool_id: str, client_id: str, username: str,
                         password: str) -> dict[str, Any]:
        return dict(self._backend().admin_initiate_auth(
            pool_id, client_id, "ADMIN_USER_PASSWORD_AUTH",
            {"USERNAME": username, "PASSWORD": password}))


def policy_problem(policy: dict[str, Any], password: str) -> str | None:
    """What the pool's policy finds wrong with `password`, in the service's words; None: ok."""
    if len(password) < int(policy.get("MinimumLength", 8)):
        return "Password not long enough"
    if policy.get("RequireUppercase", True) and not any(c.isupper() for c in password):
        return "Password must have uppercase characters"
    if policy.get("RequireLowercase", True) and not any(c.islower() for c in password):
        return "Password must have lowercase characters"
    if policy.get("RequireNumbers", True) and not any(c.isdigit() for c in password):
        return "Password must have numeric characters"
    if policy.get("RequireSymbols", True) and all(c.isalnum() for c in password):
        return "Password must have symbol characters"
    return None


def _attr(user: Any, name: str) -> str:
    for a in getattr(user, "attributes", None) or []:
        if a.get("Name") == name:
            return str(a.get("Value") or "")
    return ""


def _status(user: Any) -> str:
    status = getattr(user, "status", "")
    return str(getattr(status, "value", status))


def _mask_email(email: str) -> str:
    name, _, domain = email.partition("@")
    return f"{name[:1]}***@{domain[:1]}***" if domain else "***"


def _mask_phone(phone: str) -> str:
    return f"+*******{phone[-4:]}" if phone else "+*******"


def _claims(token: str) -> dict[str, Any]:
    try:
        payload = token.split(".")[1]
        return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))
    except (IndexError, ValueError, TypeError):
        return {}


class UserFlows:
    def __init__(self, app: WSGIApp, pools: MotoPools, *, inbox_token: str,
                 clock: Callable[[], float] = time.time, echo: bool = True) -> None:
        self._app = app
        self._pools = pools
        self._inbox_token = inbox_token.encode()
        self._clock = clock
        self._echo = echo
        self._lock = threading.Lock()
        self._codes: dict[tuple[str, str, str], _Code] = {}  # (purpose, pool, user) -> code
        self._inbox: list[dict[str, Any]] = []
        self._totp_pending: dict[tuple[str, str], str] = {}
        self._totp: dict[tuple[str, str], str] = {}
        self._sms: dict[str, _Code] = {}  # sign-in session -> its SMS code
        self._revoked: set[str] = set()
        self._auth_codes: dict[str, _AuthCode] = {}

    # -- WSGI ----------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        if path == INBOX_PATH:
            return self._inbox_page(environ, start_response)
        if path in ("/oauth2/authorize", "/login", "/oauth2/token", "/oauth2/revoke"):
            return self._hosted_ui(environ, start_response, path)
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        if not target.startswith(_IDP):
            return self._app(environ, start_response)
        operation = target[len(_IDP):]
        handler = getattr(self, f"_op_{operation}", None)
        if handler is None:
            return self._app(environ, start_response)
        body = _read_body(environ)
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            request = None
        if not isinstance(request, dict):
            return self._app(environ, start_response)
        try:
            result: Iterable[bytes] = handler(environ, start_response, request)
            return result
        except FlowError as e:
            return _error(start_response, e.code, e.message)

    def _pass(self, environ: dict[str, Any], start_response: Callable[..., Any],
              after: Callable[[dict[str, Any]], dict[str, Any]] | None = None
              ) -> Iterable[bytes]:
        """Hand the request to moto; `after` may rewrite a successful answer."""
        status, headers, body = _call(self._app, environ)
        if after is not None and status.startswith("200"):
            try:
                doc = json.loads(body or b"{}")
            except ValueError:
                doc = None
            if isinstance(doc, dict):
                body = json.dumps(after(doc)).encode()
        return _respond(start_response, status, headers, body)

    # -- codes ---------------------------------------------------------------------------------

    def _send(self, purpose: str, pool: str, username: str, to: str, medium: str,
              ttl: float) -> str:
        code = f"{secrets.randbelow(1_000_000):06d}"
        with self._lock:
            self._codes[(purpose, pool, username)] = _Code(code, self._clock() + ttl)
        self._deliver(username, to, medium, purpose, code)
        return code

    def _deliver(self, username: str, to: str, medium: str, purpose: str, code: str) -> None:
        with self._lock:
            self._inbox.append({"to": username, "address": to, "medium": medium,
                                "purpose": purpose, "code": code, "at": self._clock()})
        if self._echo:  # the demo's stand-in for e-mail and text messages
            print(f"demo-cloud: {medium.lower()} to {username} ({to or 'no address'}): "
                  f"your {purpose} code is {code}", file=sys.stderr, flush=True)

    def _check(self, purpose: str, pool: str, username: str, code: str) -> None:
        with self._lock:
            entry = self._codes.get((purpose, pool, username))
            if entry is None:
                raise FlowError("ExpiredCodeException",
                                "Invalid code provided, please request a code again.")
            if entry.tries >= MAX_CODE_TRIES:
                raise FlowError("LimitExceededException",
                                "Attempt limit exceeded, please try after some time.")
            if self._clock() >= entry.expires:
                del self._codes[(purpose, pool, username)]
                raise FlowError("ExpiredCodeException",
                                "Invalid code provided, please request a code again.")
            if not hmac.compare_digest(entry.code.encode(), str(code).strip().encode()):
                entry.tries += 1
                raise FlowError("CodeMismatchException",
                                "Invalid verification code provided, please try again.")
            del self._codes[(purpose, pool, username)]

    def _pool_user(self, request: dict[str, Any]) -> tuple[str, str, Any]:
        pool = self._pools.pool_of_client(str(request.get("ClientId", "")))
        if pool is None:
            raise FlowError("ResourceNotFoundException", "User pool client does not exist.")
        username = str(request.get("Username", ""))
        user = self._pools.user(pool, username)
        return pool, username, user

    def _known_user(self, request: dict[str, Any]) -> tuple[str, str, Any]:
        """_pool_user for an operation on an existing user (Cognito's error when there is none)."""
        pool, username, user = self._pool_user(request)
        if user is None:
            raise FlowError("UserNotFoundException", "Username/client id combination not found.")
        return pool, username, user

    def _email_code(self, purpose: str, pool: str, username: str, email: str,
                    ttl_s: float) -> dict[str, Any]:
        """Send a code by "e-mail" (the inbox) and say where it went, as Cognito does: the
        answer's CodeDeliveryDetails, the address masked."""
        self._send(purpose, pool, username, email, "EMAIL", ttl_s)
        return {"Destination": _mask_email(email), "DeliveryMedium": "EMAIL",
                "AttributeName": "email"}

    def _policy(self, pool: str, password: Any) -> None:
        problem = policy_problem(self._pools.policy(pool), str(password or ""))
        if problem:
            raise FlowError("InvalidPasswordException",
                            f"Password did not conform with policy: {problem}")

    # -- sign-up -------------------------------------------------------------------------------

    def _op_SignUp(self, environ: dict[str, Any], start_response: Callable[..., Any],  # noqa: N802
                   request: dict[str, Any]) -> Iterable[bytes]:
        pool, username, user = self._pool_user(request)
        if user is not None:
            raise FlowError("UsernameExistsException", "User already exists")
        self._policy(pool, request.get("Password"))
        email = next((str(a.get("Value")) for a in request.get("UserAttributes") or []
                      if isinstance(a, dict) and a.get("Name") == "email"), "")

        def after(doc: dict[str, Any]) -> dict[str, Any]:
            doc["UserConfirmed"] = False
            doc["CodeDeliveryDetails"] = self._email_code("sign-up", pool, username, email,
                                                          SIGN_UP_CODE_TTL_S)
            return doc

        return self._pass(environ, start_response, after)

    def _op_ConfirmSignUp(self, environ: dict[str, Any],  # noqa: N802
                          start_response: Callable[..., Any],
                          request: dict[str, Any]) -> Iterable[bytes]:
        pool, username, user = self._known_user(request)
        if _status(user) == "CONFIRMED":
            raise FlowError("NotAuthorizedException",
                            "User cannot be confirmed. Current status is CONFIRMED")
        self._check("sign-up", pool, username, str(request.get("ConfirmationCode", "")))
        return self._pass(environ, start_response)

    def _op_ResendConfirmationCode(self, environ: dict[str, Any],  # noqa: N802
                                   start_response: Callable[..., Any],
                                   request: dict[str, Any]) -> Iterable[bytes]:
        pool, username, user = self._known_user(request)
        if _status(user) == "CONFIRMED":
            raise FlowError("InvalidParameterException", "User is already confirmed.")
        return _json(start_response, {"CodeDeliveryDetails": self._email_code(
            "sign-up", pool, username, _attr(user, "email"), SIGN_UP_CODE_TTL_S)})

    # -- forgot password -----------------------------------------------------------------------

    def _op_ForgotPassword(self, environ: dict[str, Any],  # noqa: N802
                           start_response: Callable[..., Any],
                           request: dict[str, Any]) -> Iterable[bytes]:
        pool, username, user = self._known_user(request)
        email = _attr(user, "email")

        def after(doc: dict[str, Any]) -> dict[str, Any]:
            doc["CodeDeliveryDetails"] = self._email_code("password reset", pool, username, email,
                                                          RESET_CODE_TTL_S)
            return doc

        return self._pass(environ, start_response, after)

    def _op_ConfirmForgotPassword(self, environ: dict[str, Any],  # noqa: N802
                                  start_response: Callable[..., Any],
                                  request: dict[str, Any]) -> Iterable[bytes]:
        pool, username, user = self._known_user(request)
        self._policy(pool, request.get("Password"))
        self._check("password reset", pool, username, str(request.get("ConfirmationCode", "")))
        return self._pass(environ, start_response)

    # -- sign-in: challenges, MFA, revocation --------------------------------------------------

    def _op_InitiateAuth(self, environ: dict[str, Any],  # noqa: N802
                         start_response: Callable[..., Any],
                         request: dict[str, Any]) -> Iterable[bytes]:
        params = request.get("AuthParameters") or {}
        if request.get("AuthFlow") in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
            with self._lock:
                revoked = str(params.get("REFRESH_TOKEN", "")) in self._revoked
            if revoked:
                raise FlowError("NotAuthorizedException", "Refresh Token has been revoked")
        pool = self._pools.pool_of_client(str(request.get("ClientId", "")))
        return self._pass(environ, start_response,
                          lambda doc: self._after_sign_in_step(doc, pool, params.get("USERNAME")))

    def _after_sign_in_step(self, doc: dict[str, Any], pool: str | None, username: Any
                            ) -> dict[str, Any]:
        """An SMS_MFA challenge: make and send its code (moto sends none)."""
        session = doc.get("Session")
        if doc.get("ChallengeName") != "SMS_MFA" or not session:
            return doc
        found = self._pools.session_user(str(session))
        if found is not None:
            pool, username = found
        user = self._pools.user(pool, str(username)) if pool and username else None
        phone = _attr(user, "phone_number") if user is not None else ""
        code = f"{secrets.randbelow(1_000_000):06d}"
        with self._lock:
            self._sms[str(session)] = _Code(code, self._clock() + 180)
        self._deliver(str(username or "?"), phone, "SMS", "sign-in", code)
        params = dict(doc.get("ChallengeParameters") or {})
        params.update({"CODE_DELIVERY_DELIVERY_MEDIUM": "SMS",
                       "CODE_DELIVERY_DESTINATION": _mask_phone(phone)})
        doc["ChallengeParameters"] = params
        return doc

    def _op_RespondToAuthChallenge(self, environ: dict[str, Any],  # noqa: N802
                                   start_response: Callable[..., Any],
                                   request: dict[str, Any]) -> Iterable[bytes]:
        name = request.get("ChallengeName")
        answers = request.get("ChallengeResponses") or {}
        session = str(request.get("Session") or "")
        found = self._pools.session_user(session) if session else None
        if name == "NEW_PASSWORD_REQUIRED" and found is not None:
            self._policy(found[0], answers.get("NEW_PASSWORD"))
        elif name == "SOFTWARE_TOKEN_MFA" and found is not None:
            with self._lock:
                secret = self._totp.get(found)
            if secret is None or not _totp_ok(secret, str(answers.get(
                    "SOFTWARE_TOKEN_MFA_CODE", ""))):
                raise FlowError("CodeMismatchException", "Invalid code received for user")
        elif name == "SMS_MFA":
            with self._lock:
                entry = self._sms.get(session)
                if entry is None or self._clock() >= entry.expires:
                    raise FlowError("NotAuthorizedException", "Invalid session for the user, "
                                    "session is expired.")
                if not hmac.compare_digest(entry.code.encode(),
                                           str(answers.get("SMS_MFA_CODE", "")).encode()):
                    entry.tries += 1
                    if entry.tries >= MAX_CODE_TRIES:
                        del self._sms[session]
                    raise FlowError("CodeMismatchException",
                                    "Invalid code or auth state for the user.")
                del self._sms[session]
        pool = found[0] if found else self._pools.pool_of_client(str(request.get("ClientId")))
        return self._pass(environ, start_response,
                          lambda doc: self._after_sign_in_step(doc, pool,
                                                               answers.get("USERNAME")))

    def _token_user(self, request: dict[str, Any]) -> tuple[str, str] | None:
        session = request.get("Session")
        if session:
            return self._pools.session_user(str(session))
        claims = _claims(str(request.get("AccessToken") or ""))
        pool = str(claims.get("iss", "")).rstrip("/").rsplit("/", 1)[-1]
        username = claims.get("username") or claims.get("cognito:username")
        return (pool, str(username)) if pool and username else None

    def _op_AssociateSoftwareToken(self, environ: dict[str, Any],  # noqa: N802
                                   start_response: Callable[..., Any],
                                   request: dict[str, Any]) -> Iterable[bytes]:
        import pyotp

        def after(doc: dict[str, Any]) -> dict[str, Any]:
            who = self._token_user(request)
            if who is not None:
                secret = pyotp.random_base32()
                with self._lock:
                    self._totp_pending[who] = secret
                doc["SecretCode"] = secret
            return doc

        return self._pass(environ, start_response, after)

    def _op_VerifySoftwareToken(self, environ: dict[str, Any],  # noqa: N802
                                start_response: Callable[..., Any],
                                request: dict[str, Any]) -> Iterable[bytes]:
        who = self._token_user(request)
        with self._lock:
            secret = self._totp_pending.get(who) if who else None
        if secret is None:
            raise FlowError("EnableSoftwareTokenMFAException",
                            "Secret code has not been set for this user.")
        if not _totp_ok(secret, str(request.get("UserCode", ""))):
            raise FlowError("EnableSoftwareTokenMFAException", "Code mismatch")

        def after(doc: dict[str, Any]) -> dict[str, Any]:
            assert who is not None
            with self._lock:
                self._totp[who] = self._totp_pending.pop(who, secret)
            return doc

        return self._pass(environ, start_response, after)

    def _op_RevokeToken(self, environ: dict[str, Any],  # noqa: N802
                        start_response: Callable[..., Any],
                        request: dict[str, Any]) -> Iterable[bytes]:
        if self._pools.pool_of_client(str(request.get("ClientId", ""))) is None:
            raise FlowError("UnauthorizedException", "Invalid client.")
        token = str(request.get("Token", ""))
        if not token:
            raise FlowError("InvalidParameterException", "Token is required.")
        with self._lock:
            self._revoked.add(token)
        return _json(start_response, {})

    # -- the hosted UI -------------------------------------------------------------------------

    def _hosted_ui(self, environ: dict[str, Any], start_response: Callable[..., Any],
                   path: str) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "GET" and path == "/oauth2/authorize":
            query = {k: v[0] for k, v in parse_qs(str(environ.get("QUERY_STRING", ""))).items()}
            problem = self._authorize_problem(query)
            if problem:
                return _page(start_response, 400, "Sign-in refused", problem)
            return _login_form(start_response, query, "")
        if method != "POST":
            return _page(start_response, 405, "Not allowed", "Use POST.")
        form = {k: v[0] for k, v in parse_qs(_read_body(environ).decode("utf-8", "replace"),
                                             keep_blank_values=True).items()}
        if path == "/login":
            return self._login(start_response, form)
        if path == "/oauth2/token":
            return self._token(start_response, form)
        with self._lock:  # /oauth2/revoke
            self._revoked.add(form.get("token", ""))
        return _json(start_response, {}, "application/json")

    def _authorize_problem(self, query: dict[str, str]) -> str | None:
        if query.get("response_type") != "code":
            return "Only the authorization code grant is supported (response_type=code)."
        if self._pools.pool_of_client(query.get("client_id", "")) is None:
            return "Unknown client_id."
        redirect = urlparse(query.get("redirect_uri", ""))
        # RFC 8252 §7.3: a native app's loopback redirect, any port; nothing else.
        if redirect.scheme != "http" or redirect.hostname not in ("127.0.0.1", "localhost") \
                or redirect.path != CALLBACK_PATH:
            return "redirect_uri must be http://127.0.0.1:<port>/callback."
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return "PKCE is required (code_challenge_method=S256)."
        return None

    def _login(self, start_response: Callable[..., Any], form: dict[str, str]
               ) -> Iterable[bytes]:
        problem = self._authorize_problem(form)
        if problem:
            return _page(start_response, 400, "Sign-in refused", problem)
        pool = self._pools.pool_of_client(form["client_id"])
        assert pool is not None
        try:
            resp = self._pools.password_sign_in(pool, form["client_id"],
                                                form.get("username", ""), form.get("password", ""))
        except Exception:  # noqa: BLE001 - moto's NotAuthorized / UserNotFound and kin
            return _login_form(start_response, form, "Incorrect username or password.")
        if "AuthenticationResult" not in resp:
            return _page(start_response, 400, "One more step",
                         f"This account needs {html.escape(str(resp.get('ChallengeName')))}: "
                         "sign in with your password in ecan.")
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._auth_codes[code] = _AuthCode(resp["AuthenticationResult"], form["client_id"],
                                               form["redirect_uri"], form["code_challenge"],
                                               self._clock() + AUTH_CODE_TTL_S)
        query = {"code": code, **({"state": form["state"]} if form.get("state") else {})}
        start_response("302 Found", [("Location", f"{form['redirect_uri']}?{urlencode(query)}"),
                                     ("Content-Length", "0"), ("Cache-Control", "no-store")])
        return [b""]

    def _token(self, start_response: Callable[..., Any], form: dict[str, str]
               ) -> Iterable[bytes]:
        def refuse(error: str) -> Iterable[bytes]:
            body = json.dumps({"error": error}).encode()
            start_response("400 Bad Request", [("Content-Type", "application/json"),
                                               ("Content-Length", str(len(body)))])
            return [body]

        if form.get("grant_type") != "authorization_code":
            return refuse("unsupported_grant_type")
        with self._lock:
            grant = self._auth_codes.pop(form.get("code", ""), None)  # a code is used once
        if grant is None or self._clock() >= grant.expires:
            return refuse("invalid_grant")
        if form.get("client_id") != grant.client_id or \
                form.get("redirect_uri") != grant.redirect_uri:
            return refuse("invalid_grant")
        verifier = form.get("code_verifier", "")
        expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if not verifier or not hmac.compare_digest(expected.rstrip(b"=").decode(),
                                                   grant.challenge):
            return refuse("invalid_grant")
        t = grant.tokens
        return _json(start_response, {
            "id_token": t["IdToken"], "access_token": t["AccessToken"],
            "refresh_token": t.get("RefreshToken"), "expires_in": t.get("ExpiresIn", 3600),
            "token_type": "Bearer"}, "application/json")

    # -- the inbox -----------------------------------------------------------------------------

    def _inbox_page(self, environ: dict[str, Any], start_response: Callable[..., Any]
                    ) -> Iterable[bytes]:
        given = str(environ.get(_INBOX_ENVIRON, "")).encode()
        if not hmac.compare_digest(given, self._inbox_token):
            return _json(start_response, {"message": "The inbox is the local cloud's own."},
                         "application/json", status="403 Forbidden")
        to = parse_qs(str(environ.get("QUERY_STRING", ""))).get("to", [None])[0]
        with self._lock:
            messages = [m for m in self._inbox if to is None or m["to"] == to]
        return _json(start_response, {"messages": messages}, "application/json")


def _totp_ok(secret: str, code: str) -> bool:
    import pyotp

    code = code.strip()
    return code.isdigit() and len(code) == 6 and pyotp.TOTP(secret).verify(code, valid_window=1)


def _json(start_response: Callable[..., Any], doc: dict[str, Any], content_type: str = _JSON,
          status: str = "200 OK") -> Iterable[bytes]:
    body = json.dumps(doc).encode()
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def _error(start_response: Callable[..., Any], code: str, message: str) -> Iterable[bytes]:
    body = json.dumps({"__type": code, "message": message}).encode()
    start_response("400 Bad Request", [("Content-Type", _JSON), ("x-amzn-ErrorType", code),
                                       ("Content-Length", str(len(body)))])
    return [body]


def _page(start_response: Callable[..., Any], status: int, title: str, text: str
          ) -> Iterable[bytes]:
    body = (f"<!doctype html><meta charset=utf-8><title>{html.escape(title)}</title>"
            f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>").encode()
    reason = {400: "Bad Request", 405: "Method Not Allowed"}.get(status, "OK")
    start_response(f"{status} {reason}", [("Content-Type", "text/html; charset=utf-8"),
                                          ("Content-Length", str(len(body)))])
    return [body]


def _login_form(start_response: Callable[..., Any], params: dict[str, str], error: str
                ) -> Iterable[bytes]:
    keep = ("response_type", "client_id", "redirect_uri", "state", "code_challenge",
            "code_challenge_method", "scope")
    hidden = "".join(f'<input type="hidden" name="{k}" value="{html.escape(params[k])}">'
                     for k in keep if k in params)
    note = f'<p class="error">{html.escape(error)}</p>' if error else ""
    body = ("<!doctype html><meta charset=utf-8><title>Sign in</title><h1>Sign in</h1>"
            f'{note}<form method="post" action="/login">{hidden}'
            '<label>Username <input name="username" autocomplete="username"></label>'
            '<label>Password <input name="password" type="password" '
            'autocomplete="current-password"></label><button>Sign in</button></form>').encode()
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                              ("Content-Length", str(len(body))), ("Cache-Control", "no-store")])
    return [body]
