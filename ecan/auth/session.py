"""Sign-in and credentials: a Cognito user pool session (pycognito; refresh token in the keyring
only), the identity pool id (GetId once, remembered), and ONE botocore session whose
refreshable credentials call GetCredentialsForIdentity by themselves before they expire.

The temporary AWS credentials are kept beside the refresh token in the same keyring entry for
their lifetime: a later process (the next `ecan sync`) uses them without pycognito or any
Cognito request; expired ones, or ones the storage refuses, send it down the refresh path once."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from secrets import token_urlsafe
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from ecan.config import CognitoConfig, Config, NetworkConfig
from ecan.errors import AuthRequired, ConfigError, UserFacingError
from ecan.storage.keys import validate_identity_id

if TYPE_CHECKING:
    from botocore.credentials import DeferredRefreshableCredentials
    from botocore.session import Session as BotocoreSession

    from ecan.auth.hosted_ui import HostedUiLogin
    from ecan.auth.secrets import SecretStore
    from ecan.db import Database
    from ecan.storage.s3direct import Credentials

log = logging.getLogger(__name__)

# Renew the ID token this long before it expires, so a token is never sent that dies in flight.
TOKEN_MARGIN_S = 60
_SESSION_EXPIRED = "Your session expired — sign in again."
_NETWORK_TIMEOUT_S = 10
# A credential fetch that met an unreachable service answers the threads queued behind it the
# same, at once, for this long: each would wait out its own timeout in turn otherwise (three
# threads of `ecan sync` against a frozen cloud: 30 s instead of 10).
FETCH_FAILED_HOLD_S = 2.0
# Error codes with which S3 refuses credentials that are no longer (or never were) valid: when
# the refused ones were kept from an earlier run, fetch new ones and retry the request once.
_REFUSED_CREDENTIAL_CODES = frozenset({
    "ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired", "InvalidToken",
    "InvalidAccessKeyId", "InvalidClientTokenId", "403"})  # "403": a HEAD's answer has no body
_KEPT_FIELDS = ("access_key", "secret_key", "token", "expiry_time", "identity")


class AuthNetworkError(UserFacingError):
    """The sign-in service could not be reached. Retryable (the sync engine keeps the job and
    tries later, like a storage network error); never a reason to sign in again."""

    retryable = True

    def __init__(self, where: str) -> None:
        super().__init__(
            "network", f"Cannot reach the sign-in service at {where}.",
            "Check your network connection (and COGNITO.ENDPOINT_URL / COGNITO.REGION); "
            "ecan keeps your work queued and tries again.")


def open_url(network: NetworkConfig, url: str | urllib.request.Request,
             timeout: float) -> Any:
    """urlopen through the configured proxy (NETWORK.PROXY), or else the system's: urllib's
    default opener honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY."""
    proxy = network.url()
    if not proxy:
        return urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 - https/loopback only
    opener = urllib.request.build_opener(urllib.request.ProxyHandler(
        {"http": proxy, "https": proxy}))
    return opener.open(url, timeout=timeout)


def _clock_skew_error() -> UserFacingError:
    err = UserFacingError(
        "clock_skew", "This computer's clock differs too much from the sign-in service's: "
        "what it issued looks expired.",
        "Set the system clock (turn on automatic time / NTP) and try again.")
    # Retryable: a clock usually gets fixed (NTP) without the user touching ecan; the sync
    # engine keeps the work queued meanwhile rather than failing it.
    err.retryable = True  # type: ignore[attr-defined]
    return err


def _jwt_claims(token: str) -> dict[str, Any]:
    """The unverified claims of a JWT (only for its expiry; pycognito verified it on arrival)."""
    try:
        payload = token.split(".")[1]
        return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))
    except (IndexError, ValueError):
        return {}


def _flow_error(code: str, said: str, during: str) -> UserFacingError | None:
    """The errors of the account flows (codes, passwords, sign-up) in words a user acts on; the
    service's own wording is quoted where it says what the pool requires."""
    if code == "CodeMismatchException":
        return UserFacingError("wrong_code", "That code is not right.",
                               "Check the code (the newest one, if several were sent) and type "
                               "it again.")
    if code == "ExpiredCodeException":
        return UserFacingError("expired_code", "That code has expired or was already used.",
                               "Ask for a new code and use it.")
    if code == "EnableSoftwareTokenMFAException":
        return UserFacingError("wrong_code", "The authenticator code is not right.",
                               "Check the time on your phone and type the current code.")
    if code == "InvalidPasswordException":
        policy = said if said and said != "None" else "it does not meet the pool's rules"
        return UserFacingError("weak_password", f"The password is not accepted: {policy}.",
                               "Choose a longer password with upper- and lower-case letters "
                               "and numbers (and symbols, if the pool asks for them).")
    if code == "UsernameExistsException":
        return UserFacingError("user_exists", "There is already an account with that username.",
                               "Sign in with it, reset its password (`ecan forgot-password`), "
                               "or choose another username.")
    if code == "AliasExistsException":
        return UserFacingError("email_in_use", "That e-mail address belongs to another account.",
                               "Sign in to that account, or use another address.")
    if code == "CodeDeliveryFailureException":
        return UserFacingError("code_not_sent", "The code could not be sent.",
                               "Check the e-mail address (or phone number), then ask for a "
                               "new code.")
    if code == "InvalidParameterException" and during in ("sign-up", "confirm", "challenge"):
        return UserFacingError("invalid_parameter",
                               f"The sign-in service refused it: {said or code}.",
                               "Check what you typed and try again.")
    if code == "NotAuthorizedException" and during == "confirm":
        return UserFacingError("already_confirmed", f"This account cannot be confirmed: {said}.",
                               "If it is confirmed already, sign in.")
    if code == "ResourceNotFoundException" and during == "challenge":
        return UserFacingError("challenge_expired", "This sign-in step has expired.",
                               "Sign in again from the start.")
    if code == "NotAuthorizedException" and during == "challenge":
        return UserFacingError("challenge_expired", "This sign-in step has expired.",
                               "Sign in again from the start.")
    return None


def refresh_windows(lifetime_s: float) -> tuple[float, float]:
    """(advisory, mandatory) refresh windows for credentials that live `lifetime_s`.

    botocore refreshes when less than 15 min (advisory) / 10 min (mandatory) remain: right for
    real Cognito's 1 h credentials, but with the demo cloud's 90 s credentials every request
    would be inside the window and fetch new ones. Scaled: refresh once a third of the lifetime
    is left (blocking only at a sixth), capped at botocore's defaults for long lifetimes."""
    lifetime_s = max(lifetime_s, 1.0)
    return min(15 * 60.0, lifetime_s / 3), min(10 * 60.0, lifetime_s / 6)


class _OneClient:
    """Stands in for the boto3 session pycognito asks for its client: hands it ours (unsigned,
    short timeouts, our endpoint) instead of letting it build one from the default session."""

    def __init__(self, client: Any) -> None:
        self._c = client

    def client(self, *_args: Any, **_kwargs: Any) -> Any:
        return self._c


# The challenges a user pool sends people through that ecan answers.
CHALLENGES = ("NEW_PASSWORD_REQUIRED", "SOFTWARE_TOKEN_MFA", "SMS_MFA", "MFA_SETUP")
# Cognito's sign-in sessions last 3 minutes (configurable up to 15): forget ours after that.
CHALLENGE_TTL_S = 15 * 60


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str) and value:
        try:
            parsed = json.loads(value)
        except ValueError:
            return [value]
        return [str(v) for v in parsed] if isinstance(parsed, list) else [value]
    return []


@dataclass
class Challenge:
    """A sign-in waiting for the user's answer. `session` is the service's handle (a secret
    of sorts: never logged or returned)."""

    id: str
    name: str
    username: str
    session: str = field(repr=False)
    created: float = 0.0
    destination: str = ""  # where an SMS code went (masked by the service)
    mfa_can_setup: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"challenge": self.name, "challenge_id": self.id, "username": self.username,
                "destination": self.destination or None,
                "mfa_can_setup": self.mfa_can_setup}

    def as_error(self) -> UserFacingError:
        if self.name == "NEW_PASSWORD_REQUIRED":
            return UserFacingError("password_change_required",
                                   "Your account needs a new password before you can sign in.",
                                   "Sign in with `ecan login` in a terminal (it asks for the new "
                                   "password), or in the app.")
        return UserFacingError("mfa_required",
                               "Your account asks for a second factor (a code).",
                               "Sign in with `ecan login` in a terminal (it asks for the code), "
                               "or in the app.")


@dataclass
class _Saved:
    """A session read from the keyring and not yet renewed: just the refresh token. The real
    pycognito object is built on first renewal, which needs the network (start-up may not)."""

    username: str
    refresh_token: str = field(repr=False)
    access_token: str | None = None
    id_token: str | None = None


def _kept_credentials(value: Any) -> dict[str, Any] | None:
    """The temporary credentials a keyring blob carries, if they are whole; else None."""
    if not isinstance(value, dict):
        return None
    if not all(isinstance(value.get(k), str) and value.get(k) for k in _KEPT_FIELDS):
        return None
    if not isinstance(value.get("lifetime"), (int, float)):
        return None
    return {k: value[k] for k in (*_KEPT_FIELDS, "lifetime")}


_Window = tuple[dt.datetime, dt.datetime]  # (from, until)


class AuthService:
    """The signed-in user, if any. Thread-safe: the sync workers' credential refreshes and the
    UI's sign-in/out go through one lock. Nothing here touches the network until asked to."""

    def __init__(self, config: Config, db: Database, *, keyring_backend: Any = None,
                 keyring_remembered: Path | None = None, auth_flow: str | None = None,
                 secret_store: Callable[[], SecretStore] | None = None) -> None:
        """`keyring_remembered`: where the keyring found is remembered (secrets.resolve_backend);
        `auth_flow` overrides the flow chosen from the config (tests of the SRP path);
        `secret_store`: the store the session is kept in (the app's one for the whole run),
        else one made here from `keyring_backend`."""
        self._config = config
        self._flow_override = auth_flow
        self._cg: CognitoConfig = config.cognito
        self._db = db
        self._keyring_backend = keyring_backend
        self._keyring_remembered = keyring_remembered
        self._secret_store = secret_store
        self._secrets: SecretStore | None = None  # resolved on first use (keyring start-up cost)
        self._lock = threading.RLock()
        self._loaded = False
        self._cognito: Any = None  # pycognito.Cognito while signed in
        self._username: str | None = None
        self._sub: str | None = None
        self._expired = False
        self._identity_calls = 0
        self._fetch_failed: tuple[float, AuthNetworkError] | None = None  # (when, what)
        self._generation = 0
        self._jwks: dict[str, Any] | None = None
        self._issuer: str | None = None
        self._clients: dict[str, Any] = {}
        self._loader: Any = None  # botocore's data loader, shared by every client made here
        self._session: BotocoreSession | None = None
        self._credentials: DeferredRefreshableCredentials | None = None
        # The temporary credentials kept in the keyring entry (a secret: never logged), and the
        # access key of the kept ones this process used, if it used any.
        self._kept: dict[str, Any] | None = None
        self._kept_used: str | None = None
        # (the kept set, from when until when it may be used): _usable_kept's work for it.
        self._kept_window: tuple[dict[str, Any], _Window | None] | None = None
        self._challenges: dict[str, Challenge] = {}
        self._hosted_ui: HostedUiLogin | None = None

    # ---- configuration -------------------------------------------------------------------

    @property
    def configured(self) -> bool:
        return self._cg.configured

    @property
    def region(self) -> str:
        return self._cg.region or self._cg.user_pool_id.split("_")[0]

    @property
    def auth_flow(self) -> str:
        """USER_SRP_AUTH (default: the password never leaves the machine) or
        USER_PASSWORD_AUTH, from COGNITO.AUTH_FLOW unless overridden."""
        return self._flow_override or self._cg.auth_flow

    @property
    def _where(self) -> str:
        return self._cg.endpoint_url or f"cognito-idp.{self.region}.amazonaws.com"

    @property
    def _account(self) -> str:
        # One keyring entry per (library, endpoint, pool, app client): a demo cloud never reads
        # the session of a real pool, and signing in in one ECAN_HOME signs in no other.
        library = Path(self._db.path).resolve().parent
        return (f"{library}|{self._cg.endpoint_url or 'aws'}|{self._cg.user_pool_id}|"
                f"{self._cg.client_id}")

    @property
    def _provider(self) -> str:
        return f"cognito-idp.{self.region}.amazonaws.com/{self._cg.user_pool_id}"

    def _require_configured(self) -> None:
        if not self._cg.configured:
            raise ConfigError("COGNITO.USER_POOL_ID", "sign-in is not configured",
                              "Set COGNITO.USER_POOL_ID and COGNITO.CLIENT_ID in auth_config.yml.")

    @property
    def hosted_ui(self) -> HostedUiLogin:
        """Sign-in through the pool's hosted UI in the system browser (COGNITO.DOMAIN)."""
        with self._lock:
            if self._hosted_ui is None:
                from ecan.auth.hosted_ui import HostedUiLogin

                self._hosted_ui = HostedUiLogin(self)
            return self._hosted_ui

    @property
    def secrets(self) -> SecretStore:
        if self._secrets is None:
            if self._secret_store is not None:
                self._secrets = self._secret_store()
            else:
                # Imported here: keyring is slow to import, and static-key or local-only
                # set-ups (`ecan sync` with keys from the config) never read it.
                from ecan.auth.secrets import SecretStore, backend_from

                self._secrets = SecretStore(backend_from(self._keyring_backend,
                                                         self._keyring_remembered))
        return self._secrets

    def _client(self, service: str) -> Any:
        """Unsigned clients: InitiateAuth, GetId and GetCredentialsForIdentity take no AWS
        credentials, and a developer's own keys must never be sent to a demo endpoint."""
        with self._lock:
            client = self._clients.get(service)
            if client is None:
                from botocore import UNSIGNED
                from botocore.config import Config as BotoConfig

                proxy = self._config.network.url()
                cfg = BotoConfig(signature_version=UNSIGNED, connect_timeout=5,
                                 read_timeout=_NETWORK_TIMEOUT_S,
                                 retries={"max_attempts": 2, "mode": "standard"},
                                 proxies={"http": proxy, "https": proxy} if proxy else None)
                kwargs: dict[str, Any] = {"region_name": self.region, "config": cfg}
                if self._cg.endpoint_url:
                    kwargs["endpoint_url"] = self._cg.endpoint_url
                client = self._botocore().create_client(service, **kwargs)
                self._clients[service] = client
            return client

    def _botocore(self) -> Any:
        """A new botocore session that shares this service's data loader: each session would
        otherwise read and parse the endpoint rules, partitions and defaults again, and a
        signed-in sync makes three clients before its first upload (cognito-idp,
        cognito-identity, s3)."""
        from ecan.storage.botodata import botocore_session

        with self._lock:
            core = botocore_session(self._loader)
            if self._loader is None:
                self._loader = core.get_component("data_loader")
        return core

    # ---- token verification for a non-AWS issuer -----------------------------------------

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            with open_url(self._config.network, url, _NETWORK_TIMEOUT_S) as resp:
                data = json.loads(resp.read(1_000_000))
        except urllib.error.HTTPError as e:
            raise UserFacingError(
                "cognito_config", f"The sign-in service at {self._cg.endpoint_url} has no signing "
                f"keys for user pool {self._cg.user_pool_id} (HTTP {e.code}).",
                "Check COGNITO.USER_POOL_ID and COGNITO.ENDPOINT_URL.") from None
        except (urllib.error.URLError, OSError, ValueError):
            raise AuthNetworkError(self._where) from None
        if not isinstance(data, dict):
            raise UserFacingError("cognito_config", f"{url} did not answer with JSON.",
                                  "Check COGNITO.ENDPOINT_URL.")
        return data

    def _verification(self) -> tuple[str | None, dict[str, Any] | None]:
        """(issuer, JWKS) for a custom endpoint (the demo cloud), read from its OpenID discovery
        document; (None, None) on AWS, where pycognito's own issuer and JWKS URL are right."""
        if not self._cg.endpoint_url:
            return None, None
        with self._lock:
            if self._jwks is None:
                base = f"{self._cg.endpoint_url.rstrip('/')}/{self._cg.user_pool_id}"
                jwks_url = f"{base}/.well-known/jwks.json"
                issuer = f"https://{self._provider}"
                try:
                    doc = self._get_json(f"{base}/.well-known/openid-configuration")
                    issuer = str(doc.get("issuer") or issuer)
                    # Only trust keys served by the configured endpoint itself.
                    uri = str(doc.get("jwks_uri") or "")
                    if uri and urlparse(uri).netloc == urlparse(base).netloc:
                        jwks_url = uri
                except UserFacingError as e:
                    if e.code == "network":
                        raise
                self._jwks = self._get_json(jwks_url)
                self._issuer = issuer
            return self._issuer, self._jwks

    def _new_cognito(self, username: str | None, refresh_token: str | None = None) -> Any:
        from pycognito import Cognito

        issuer, jwks = self._verification()

        class _Cognito(Cognito):  # type: ignore[misc]
            # pycognito checks `iss` against user_pool_url; a local cloud issues its own.
            @property
            def user_pool_url(self) -> str:
                return issuer or str(super().user_pool_url)

        cog = _Cognito(self._cg.user_pool_id, self._cg.client_id,
                       user_pool_region=self.region, username=username,
                       refresh_token=refresh_token,
                       session=_OneClient(self._client("cognito-idp")))
        if jwks is not None:
            cog.pool_jwk = jwks
        return cog

    # ---- errors ---------------------------------------------------------------------------

    def _map_error(self, exc: BaseException, *, during: str) -> UserFacingError:
        """A pycognito/botocore failure during sign-in as the message a user can act on."""
        from botocore import exceptions as bx
        from pycognito import exceptions as px

        if isinstance(exc, UserFacingError):
            return exc
        if isinstance(exc, (bx.ConnectionError, bx.ReadTimeoutError, bx.ConnectionClosedError,
                            bx.HTTPClientError, ConnectionError, TimeoutError)):
            return AuthNetworkError(self._where)
        if isinstance(exc, px.ForceChangePasswordException):
            return UserFacingError("password_change_required",
                                   "Your account needs a new password before you can sign in.",
                                   "Set a new password in your organisation's sign-in page, "
                                   "then sign in here with it.")
        if isinstance(exc, px.MFAChallengeException):
            return UserFacingError("mfa_not_supported",
                                   "Your account asks for a second factor (MFA), which ecan "
                                   "does not support yet.",
                                   "Ask the pool's administrator to turn MFA off for this user.")
        if isinstance(exc, px.TokenVerificationException):
            text = str(exc).lower()
            if "expired" in text or "not yet valid" in text or "iat" in text:
                return _clock_skew_error()
            return UserFacingError("token_invalid",
                                   "The sign-in service returned a token that does not verify "
                                   "(wrong signature, issuer or audience).",
                                   "Check COGNITO.USER_POOL_ID, COGNITO.CLIENT_ID and "
                                   "COGNITO.ENDPOINT_URL; then sign in again.")
        if isinstance(exc, bx.ClientError):
            code = str(exc.response.get("Error", {}).get("Code", ""))
            said = str(exc.response.get("Error", {}).get("Message", "") or "").strip()
            flow = _flow_error(code, said, during)
            if flow is not None:
                return flow
            if code == "NotAuthorizedException":
                if during == "identity":
                    return UserFacingError(
                        "identity_refused",
                        f"The identity pool {self._cg.identity_pool_id} refused your sign-in.",
                        "Check COGNITO.IDENTITY_POOL_ID and that the identity pool trusts user "
                        f"pool {self._cg.user_pool_id} (app client {self._cg.client_id}).")
                return UserFacingError("wrong_password", "The username or password is wrong.",
                                       "Check both and try again (passwords are case-sensitive).")
            if code == "UserNotFoundException":
                return UserFacingError("unknown_user", "There is no user with that name.",
                                       "Check the username, or ask for an account.")
            if code == "UserNotConfirmedException":
                return UserFacingError("user_not_confirmed", "This account is not confirmed yet.",
                                       "Confirm it with the code you were sent by e-mail, "
                                       "then sign in.")
            if code == "PasswordResetRequiredException":
                return UserFacingError("password_reset_required",
                                       "Your password must be reset before you can sign in.",
                                       "Reset it on your organisation's sign-in page.")
            if code in ("TooManyRequestsException", "LimitExceededException",
                        "TooManyFailedAttemptsException"):
                return UserFacingError("throttled", "Too many attempts.",
                                       "Wait a few minutes and try again.")
            if code == "ResourceNotFoundException":
                setting = ("COGNITO.IDENTITY_POOL_ID" if during == "identity"
                           else "COGNITO.USER_POOL_ID / COGNITO.CLIENT_ID")
                return ConfigError(setting, "the sign-in service does not know it",
                                   "Copy the ids from the Cognito console (and check "
                                   "COGNITO.REGION / ENDPOINT_URL).")
            if code in ("InvalidParameterException", "InvalidIdentityPoolConfigurationException",
                        "InvalidUserPoolConfigurationException"):
                return UserFacingError("cognito_config",
                                       f"The sign-in service refused the request ({code}).",
                                       "Check that the app client allows "
                                       f"{self.auth_flow} and REFRESH_TOKEN_AUTH, and the "
                                       "COGNITO settings.")
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
            if status >= 500:
                return AuthNetworkError(self._where)
            return UserFacingError("sign_in_failed", f"Sign-in failed ({code or status}).",
                                   "Check the COGNITO settings; details are in the log.")
        log.error("sign-in step %s failed unexpectedly: %s", during, type(exc).__name__)
        return UserFacingError("sign_in_failed", f"Sign-in failed ({type(exc).__name__}).",
                               "Details are in the log.")

    # ---- session state ---------------------------------------------------------------------

    def _load(self) -> None:
        """Read the session from the keyring once (no network)."""
        with self._lock:
            if self._loaded or not self._cg.configured:
                self._loaded = True
                return
            self._loaded = True
            raw = self.secrets.get(self._account)
            if not raw:
                return
            if not self._take(raw):
                log.warning("the saved session is unreadable; sign in again")
                self.secrets.delete(self._account)

    def _take(self, raw: str) -> bool:
        """Hold the session a keyring blob describes (not yet renewed); False if unreadable."""
        try:
            blob = json.loads(raw)
            username, refresh, sub = blob["username"], blob["refresh_token"], blob.get("sub")
            if not (isinstance(username, str) and isinstance(refresh, str) and refresh):
                return False
        except (ValueError, KeyError, TypeError):
            return False
        self._cognito = _Saved(username, refresh)
        self._username, self._sub = username, sub if isinstance(sub, str) else None
        self._kept = _kept_credentials(blob.get("aws"))
        return True

    def _blob(self) -> dict[str, Any]:
        blob: dict[str, Any] = {"username": self._username, "refresh_token":
                                self._cognito.refresh_token, "sub": self._sub}
        if self._kept is not None:
            blob["aws"] = self._kept
        return blob

    def _persist(self) -> None:
        self.secrets.set(self._account, json.dumps(self._blob()))

    def _reset_credentials(self) -> None:
        """Drop the cached AWS credentials. Clients already made from the old session hold
        the old credentials object: force it past expiry so its next use asks us again (and
        gets AuthRequired when signed out) instead of carrying on with stale keys."""
        creds = self._credentials
        if creds is not None and getattr(creds, "_frozen_credentials", None) is not None:
            creds._expiry_time = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        self._credentials = None
        self._session = None
        self._generation += 1

    def _expire(self) -> None:
        with self._lock:
            self._expired = True
            self._cognito = None
            self._kept = None
            self.secrets.delete(self._account)
            self._reset_credentials()

    # ---- public API --------------------------------------------------------------------------

    def sign_in(self, username: str, password: str) -> dict[str, Any]:
        """Sign in; returns {"username", "identity_id", "keyring", "session_persisted"}. Nothing
        is kept unless every step (tokens, identity) succeeded. A challenge (new password, MFA)
        is refused here; start_sign_in() is the step-by-step form that answers them."""
        step = self.start_sign_in(username, password)
        if isinstance(step, Challenge):
            self._challenges.pop(step.id, None)
            raise step.as_error()
        return self.adopt_tokens(step)

    def start_sign_in(self, username: str, password: str) -> Any:
        """The first step of a sign-in: the tokens (a verified pycognito object, to be adopted
        with adopt_tokens, possibly by the account library's own AuthService) or a Challenge
        the user must answer (respond_to_challenge)."""
        self._require_configured()
        username = username.strip() if isinstance(username, str) else ""
        if not username or len(username) > 128 or any(ord(c) < 32 for c in username):
            raise UserFacingError("invalid_username", "The username is empty or not valid text.",
                                  "Type the username you signed up with.")
        if not isinstance(password, str) or not password:
            raise UserFacingError("invalid_password", "The password is empty.",
                                  "Type your password.")
        try:
            client = self._client("cognito-idp")
            if self.auth_flow == "USER_PASSWORD_AUTH":
                resp = client.initiate_auth(
                    ClientId=self._cg.client_id, AuthFlow="USER_PASSWORD_AUTH",
                    AuthParameters={"USERNAME": username, "PASSWORD": password})
            else:
                from pycognito.aws_srp import AWSSRP

                srp = AWSSRP(username=username, password=password,
                             pool_id=self._cg.user_pool_id, client_id=self._cg.client_id,
                             client=client)
                params = srp.get_auth_params()
                resp = client.initiate_auth(ClientId=self._cg.client_id,
                                            AuthFlow="USER_SRP_AUTH", AuthParameters=params)
                if resp.get("ChallengeName") == "PASSWORD_VERIFIER":
                    resp = client.respond_to_auth_challenge(
                        ClientId=self._cg.client_id, ChallengeName="PASSWORD_VERIFIER",
                        ChallengeResponses=srp.process_challenge(resp["ChallengeParameters"],
                                                                 params))
            return self._tokens_or_challenge(resp, username)
        except Exception as e:  # noqa: BLE001 - every failure becomes a plain message
            raise self._map_error(e, during="sign-in") from None

    def _tokens_or_challenge(self, resp: dict[str, Any], username: str) -> Any:
        if "AuthenticationResult" in resp:
            cog = self._new_cognito(username)
            cog._set_tokens(resp)  # verifies both tokens, as authenticate() does
            return cog
        name = str(resp.get("ChallengeName") or "")
        if name not in CHALLENGES or not resp.get("Session"):
            raise UserFacingError(
                "challenge_not_supported",
                f"The sign-in service asks for a step ecan does not know ({name or 'none'}).",
                "Sign in through the browser (`ecan login --browser`), or ask the pool's "
                "administrator which sign-in steps your account needs.")
        params = resp.get("ChallengeParameters") or {}
        user = str(params.get("USER_ID_FOR_SRP") or params.get("USERNAME") or username)
        challenge = Challenge(token_urlsafe(16), name, user, str(resp["Session"]),
                              time.monotonic(),
                              destination=str(params.get("CODE_DELIVERY_DESTINATION") or ""),
                              mfa_can_setup=_as_list(params.get("MFAS_CAN_SETUP")))
        with self._lock:
            now = time.monotonic()
            self._challenges = {k: c for k, c in self._challenges.items()
                                if now - c.created < CHALLENGE_TTL_S}
            self._challenges[challenge.id] = challenge
        return challenge

    def respond_to_challenge(self, challenge_id: str, *, code: str | None = None,
                             new_password: str | None = None) -> Any:
        """Answer a pending challenge: a new password (NEW_PASSWORD_REQUIRED), a code from the
        authenticator app (SOFTWARE_TOKEN_MFA, and MFA_SETUP once its secret was shown) or
        from a text message (SMS_MFA). Returns the tokens or the next Challenge. A wrong code
        keeps the challenge, so the user can type it again."""
        with self._lock:
            challenge = self._challenges.get(challenge_id)
        if challenge is None or time.monotonic() - challenge.created >= CHALLENGE_TTL_S:
            raise UserFacingError("challenge_expired", "This sign-in step has expired.",
                                  "Sign in again from the start.")
        answers: dict[str, str] = {"USERNAME": challenge.username}
        name = challenge.name
        if name == "NEW_PASSWORD_REQUIRED":
            if not new_password:
                raise UserFacingError("invalid_password", "The new password is empty.",
                                      "Choose a new password.")
            answers["NEW_PASSWORD"] = new_password
        else:
            code = (code or "").strip().replace(" ", "")
            if not code.isdigit() or not 4 <= len(code) <= 10:
                raise UserFacingError("invalid_code", "The code is not a number.",
                                      "Type the digits of the code.")
            if name == "SMS_MFA":
                answers["SMS_MFA_CODE"] = code
            else:
                answers["SOFTWARE_TOKEN_MFA_CODE"] = code
        client = self._client("cognito-idp")
        try:
            session = challenge.session
            if name == "MFA_SETUP":
                verified = client.verify_software_token(Session=session, UserCode=code,
                                                        FriendlyDeviceName="ecan")
                session = verified.get("Session") or session
                answers.pop("SOFTWARE_TOKEN_MFA_CODE", None)
            resp = client.respond_to_auth_challenge(
                ClientId=self._cg.client_id, ChallengeName=name, Session=session,
                ChallengeResponses=answers)
        except Exception as e:  # noqa: BLE001
            mapped = self._map_error(e, during="challenge")
            if mapped.code not in ("wrong_code", "weak_password", "invalid_parameter"):
                with self._lock:  # the service has forgotten this session: start again
                    self._challenges.pop(challenge_id, None)
            raise mapped from None
        with self._lock:
            self._challenges.pop(challenge_id, None)
        try:
            return self._tokens_or_challenge(resp, challenge.username)
        except Exception as e:  # noqa: BLE001
            raise self._map_error(e, during="sign-in") from None

    def mfa_setup_secret(self, challenge_id: str) -> str:
        """For an MFA_SETUP challenge (the pool requires MFA, the user has none yet): the TOTP
        secret to show as a QR code; the user then answers the challenge with a code."""
        with self._lock:
            challenge = self._challenges.get(challenge_id)
        if challenge is None or challenge.name != "MFA_SETUP":
            raise UserFacingError("challenge_expired", "This sign-in step has expired.",
                                  "Sign in again from the start.")
        try:
            resp = self._client("cognito-idp").associate_software_token(
                Session=challenge.session)
        except Exception as e:  # noqa: BLE001
            raise self._map_error(e, during="challenge") from None
        with self._lock:
            if resp.get("Session"):
                challenge.session = str(resp["Session"])
        return str(resp["SecretCode"])

    def adopt_tokens(self, cog: Any) -> dict[str, Any]:
        """Hold the signed-in session (from start_sign_in, a challenge, or the hosted UI) in this
        library: resolve the identity, keep the refresh token in the keyring."""
        claims = cog.id_claims or {}
        sub = str(claims.get("sub") or "")
        username = str(claims.get("cognito:username") or cog.username or "")
        identity_id: str | None = None
        if self._cg.identity_pool_id:
            identity_id = self._resolve_identity(cog.id_token, sub)
        with self._lock:
            self._loaded = True
            self._cognito = cog
            self._username = username
            self._sub = sub
            self._expired = False
            self._kept = None  # an earlier sign-in's credentials are not this one's
            self._reset_credentials()
            self._persist()
        log.info("signed in (keyring: %s)", self.secrets.kind)
        return {"username": self._username, "identity_id": identity_id,
                "keyring": self.secrets.kind, "session_persisted": self.secrets.persistent,
                "keyring_problem": self.secrets.problem}

    def _identity_key(self, sub: str) -> str:
        return f"auth.identity:{self._cg.identity_pool_id}:{sub}"

    def _resolve_identity(self, id_token: str, sub: str) -> str:
        """GetId once per (user, identity pool); the id is not a secret and is remembered."""
        key = self._identity_key(sub)
        known = self._db.get_setting(key)
        if known:
            try:
                return validate_identity_id(known)
            except UserFacingError:
                self._db.set_setting(key, None)
        try:
            resp = self._client("cognito-identity").get_id(
                IdentityPoolId=self._cg.identity_pool_id, Logins={self._provider: id_token})
        except Exception as e:  # noqa: BLE001
            raise self._map_error(e, during="identity") from None
        identity_id = validate_identity_id(resp.get("IdentityId", ""))
        self._db.set_setting(key, identity_id)
        return identity_id

    def sign_out(self) -> None:
        with self._lock:
            self._load()
            cog = self._cognito
            # Revoke this machine's refresh token (and the tokens issued with it): best
            # effort, offline is fine; the local cloud implements RevokeToken as the service.
            if cog is not None and getattr(cog, "refresh_token", None):
                try:
                    self._client("cognito-idp").revoke_token(Token=cog.refresh_token,
                                                             ClientId=self._cg.client_id)
                except Exception as e:  # noqa: BLE001
                    log.info("could not revoke the refresh token (%s)", type(e).__name__)
            self.adopt_session(None)  # forget it here: keyring entry, tokens, credentials
        log.info("signed out")

    def export_session(self) -> str | None:
        """The session as the keyring holds it (a secret: only ever sent over the private pipe
        to this app's own sync process), or None when signed out."""
        with self._lock:
            self._load()
            cog = self._cognito
            token = getattr(cog, "refresh_token", None) if cog is not None else None
            if not token:
                return None
            return json.dumps(self._blob())

    def adopt_session(self, raw: str | None) -> bool:
        """Take over the session another process of this app exported (None: signed out
        there). Kept in this process's secret store only; renewed on first use. False when
        `raw` is unreadable (then this process is signed out)."""
        with self._lock:
            self._loaded = True
            self._cognito = None
            self._username = self._sub = None
            self._expired = False
            self._kept = None
            ok = raw is None or self._take(raw)
            if self._cg.configured:
                if self._cognito is not None:
                    self._persist()
                else:
                    self.secrets.delete(self._account)
            self._reset_credentials()
            return ok

    def restore(self) -> bool:
        """Pick up the session saved in the keyring and renew its tokens. True when signed in
        (also when offline: the tokens are renewed once the network is back)."""
        self._load()
        if self._cognito is None:
            return False
        try:
            self.id_token()
        except AuthRequired:
            return False
        except UserFacingError as e:
            log.warning("could not renew the session now (%s); will retry", e.code)
        return self._cognito is not None

    def status(self) -> dict[str, Any]:
        self._load()
        kind = self.secrets.kind if self._cg.configured else "none"
        notice: str | None = None
        if kind == "none" and self._cg.configured:
            from ecan.auth.secrets import NO_KEYRING_NOTICE

            notice = self.secrets.problem or NO_KEYRING_NOTICE
        return {
            "signed_in": self._cognito is not None,
            "username": self._username,
            "identity_id": self.identity_id(),
            "keyring": kind,
            "keyring_notice": notice,
            "session_expired": self._expired,
        }

    @property
    def signed_in(self) -> bool:
        self._load()
        return self._cognito is not None

    def generation(self) -> int:
        """Changes at every sign-in/out: CloudAccess rebuilds its store when it does."""
        return self._generation

    def id_token(self) -> str:
        """A valid ID token, renewed with the refresh token when (nearly) expired. Raises
        AuthRequired when there is no session or it expired / was revoked."""
        with self._lock:
            self._load()
            cog = self._cognito
            if cog is None:
                raise AuthRequired(_SESSION_EXPIRED) if self._expired \
                    else AuthRequired(signed_out=True)
            exp = _jwt_claims(cog.access_token).get("exp", 0) if cog.access_token else 0
            if isinstance(cog, _Saved):
                try:
                    cog = self._new_cognito(cog.username, cog.refresh_token)
                except Exception as e:  # noqa: BLE001
                    raise self._map_error(e, during="renew") from None
                self._cognito = cog
            before = cog.refresh_token
            if time.time() + TOKEN_MARGIN_S >= float(exp):
                self._renew(cog)
            else:
                cog.check_token(renew=True)
            if cog.refresh_token and cog.refresh_token != before:
                # Refresh-token rotation: the service handed out a new refresh token and
                # retires the old one, so the keyring must hold the new one or the next
                # start finds its session refused.
                self._persist()
            return str(cog.id_token)

    def _renew(self, cog: Any) -> None:
        from botocore.exceptions import ClientError
        from pycognito.exceptions import TokenVerificationException

        try:
            cog.renew_access_token()
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") == "NotAuthorizedException":
                log.warning("the refresh token was refused: session expired")
                self._expire()
                raise AuthRequired(_SESSION_EXPIRED) from None
            raise self._map_error(e, during="renew") from None
        except TokenVerificationException as e:
            mapped = self._map_error(e, during="renew")
            if mapped.code == "clock_skew":
                raise mapped from None
            self._expire()
            raise AuthRequired(_SESSION_EXPIRED) from None
        except Exception as e:  # noqa: BLE001
            raise self._map_error(e, during="renew") from None
        claims = cog.id_claims or {}
        if claims.get("sub") and not self._sub:
            self._sub = str(claims["sub"])
            self._persist()

    def identity_id(self) -> str | None:
        """The remembered identity id of the signed-in user (no network), or None."""
        self._load()
        if not (self._cognito is not None and self._sub and self._cg.identity_pool_id):
            return None
        known = self._db.get_setting(self._identity_key(self._sub))
        try:
            return validate_identity_id(known) if known else None
        except UserFacingError:
            return None

    def require_identity_id(self) -> str:
        """The identity id, asking the identity pool (GetId) if this machine never did."""
        known = self.identity_id()
        if known:
            return known
        token = self.id_token()
        if not self._sub:
            self._sub = str(_jwt_claims(token).get("sub") or "")
        return self._resolve_identity(token, self._sub)

    def boto_session(self) -> BotocoreSession:
        """The one botocore session whose credentials refresh themselves
        (GetCredentialsForIdentity) before they expire; every client made from it shares them.
        (Bare botocore: boto3, and the s3transfer it imports, cost every `ecan sync` some
        20 ms of start-up for nothing.)"""
        with self._lock:
            if self._session is None:
                from botocore.credentials import DeferredRefreshableCredentials

                creds = DeferredRefreshableCredentials(
                    refresh_using=self._make_refresher(), method="cognito-identity")
                core = self._botocore()
                # botocore has no public setter for refreshable credentials; this is the
                # attribute its own credential resolver fills.
                core._credentials = creds
                core.set_config_variable("region", self._config.storage.region or self.region)
                # Before botocore's own retry handler: its answer (None for a 403) would win.
                core.get_component("event_emitter").register_first("needs-retry.s3",
                                                                   self._on_refused)
                self._credentials = creds
                self._session = core
            return self._session

    def _make_refresher(self) -> Callable[[], dict[str, Any]]:
        generation = self._generation

        def refresh() -> dict[str, Any]:
            # Credentials of a session that has since been signed out never come back.
            if generation != self._generation:
                raise AuthRequired(signed_out=True)
            return self._fetch_credentials()
        return refresh

    def _usable_kept(self) -> dict[str, Any] | None:
        """The kept credentials when they belong to this identity and still have more than
        the advisory refresh window to live (else botocore would refresh them at once).
        Every request of the direct path asks: the checks are made once per set kept."""
        with self._lock:
            self._load()
            kept = self._kept
            if kept is None or self._cognito is None:
                return None
            if self._kept_window is None or self._kept_window[0] is not kept:
                self._kept_window = (kept, self._usable_window(kept))
            window = self._kept_window[1]
        if window is None:
            return None
        return kept if window[0] <= dt.datetime.now(dt.UTC) < window[1] else None

    def _usable_window(self, kept: dict[str, Any]) -> _Window | None:
        """When `kept` may be used: from its lifetime (and a minute) before it expires, as
        issued (earlier, the clock moved back), until the advisory refresh window. None if it
        is not this identity's or its expiry is unreadable."""
        if kept["identity"] != self.identity_id():
            return None
        try:
            expiry = dt.datetime.fromisoformat(kept["expiry_time"])
        except ValueError:
            return None
        if expiry.tzinfo is None:
            return None
        lifetime = float(kept["lifetime"])
        advisory, _ = refresh_windows(lifetime)
        return (expiry - dt.timedelta(seconds=lifetime + 60),
                expiry - dt.timedelta(seconds=advisory))

    def kept_credentials(self) -> Credentials | None:
        """The temporary credentials kept from an earlier run (or fetched since by this one)
        while they have more than the refresh window to live: what a request may be signed
        with before botocore is loaded. None: ask boto_session()'s, which fetch new ones."""
        from ecan.storage.s3direct import Credentials

        kept = self._usable_kept()
        if kept is None:
            return None
        return Credentials(kept["access_key"], kept["secret_key"], kept["token"])

    def _on_refused(self, response: Any = None, request_dict: Any = None,
                    **_: Any) -> float | None:
        """botocore's needs-retry hook on S3: a request refused for its credentials, while
        credentials kept from an earlier run were in use, is retried once with fresh ones."""
        if self._kept_used is None or not response or not isinstance(request_dict, dict):
            return None
        context = request_dict.get("context")
        parsed = response[1] if isinstance(response, tuple) and len(response) > 1 else {}
        code = str((parsed or {}).get("Error", {}).get("Code") or "")
        if not isinstance(context, dict) or context.get("ecan_kept_refused") \
                or code not in _REFUSED_CREDENTIAL_CODES:
            return None
        context["ecan_kept_refused"] = True
        with self._lock:
            creds = self._credentials
            if self._kept is not None and self._kept["access_key"] == self._kept_used:
                log.info("the credentials kept from an earlier run were refused (%s); "
                         "fetching new ones", code)
                self._kept = None
                if self._cognito is not None:
                    self._persist()
                if creds is not None:  # past expiry: the retry's signing refreshes them
                    creds._expiry_time = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        return 0.0

    def _fetch_credentials(self) -> dict[str, Any]:
        kept = self._usable_kept()
        if kept is not None:
            advisory, mandatory = refresh_windows(float(kept["lifetime"]))
            with self._lock:
                self._kept_used = kept["access_key"]
                creds = self._credentials
                if creds is not None:
                    creds._advisory_refresh_timeout = advisory
                    creds._mandatory_refresh_timeout = mandatory
            log.info("temporary credentials kept in the keyring reused")
            return {"access_key": kept["access_key"], "secret_key": kept["secret_key"],
                    "token": kept["token"], "expiry_time": kept["expiry_time"]}
        with self._lock:
            failed = self._fetch_failed
        if failed is not None and time.monotonic() - failed[0] < FETCH_FAILED_HOLD_S:
            raise copy.copy(failed[1])
        try:
            return self._exchange()
        except AuthNetworkError as e:
            with self._lock:
                self._fetch_failed = (time.monotonic(), e)
            raise

    def _exchange(self) -> dict[str, Any]:
        """New temporary credentials from the identity pool (refreshing the ID token first,
        if it is due), kept for the next process."""
        token = self.id_token()
        identity_id = self.require_identity_id()
        with self._lock:
            self._identity_calls += 1
        try:
            resp = self._client("cognito-identity").get_credentials_for_identity(
                IdentityId=identity_id, Logins={self._provider: token})
        except Exception as e:  # noqa: BLE001
            mapped = self._map_error(e, during="identity")
            if mapped.code == "identity_refused":
                raise AuthRequired(mapped.message, mapped.hint) from None
            raise mapped from None
        c = resp["Credentials"]
        expiry = c["Expiration"]
        if not isinstance(expiry, dt.datetime):
            expiry = dt.datetime.fromtimestamp(float(expiry), dt.UTC)
        if expiry.tzinfo is None:
            expiry = expiry.replace(tzinfo=dt.UTC)
        lifetime = (expiry - dt.datetime.now(dt.UTC)).total_seconds()
        if lifetime <= 0:  # fresh credentials already expired by our clock: the clock is off
            raise _clock_skew_error()
        advisory, mandatory = refresh_windows(lifetime)
        creds = self._credentials
        if creds is not None:
            creds._advisory_refresh_timeout = advisory
            creds._mandatory_refresh_timeout = mandatory
        log.info("temporary credentials fetched (valid %.0f s)", lifetime)
        fresh = {"access_key": c["AccessKeyId"], "secret_key": c["SecretKey"],
                 "token": c["SessionToken"], "expiry_time": expiry.isoformat()}
        with self._lock:
            # Kept beside the refresh token (the keyring: the one place a secret may live) so
            # the next process skips the whole exchange while they last.
            if self._cognito is not None:
                self._kept = {**fresh, "identity": identity_id, "lifetime": lifetime}
                self._persist()
        return fresh

    def identity_calls(self) -> int:
        return self._identity_calls
