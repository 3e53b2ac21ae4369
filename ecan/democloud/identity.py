"""The local cloud's Cognito Identity exchange: a WSGI middleware in front of moto that answers
`GetId` and `GetCredentialsForIdentity` the way the real service does (moto's own versions hand
out a new id per call and fixed keys for any token), makes the credentials it issues expire, and
authorizes every S3 request signed with them itself.

What it does, per the real service:
- verifies the ID token in `Logins` against the user pool's JWKS (signature, issuer, audience =
  the pool's app client, `token_use` = id, expiry) and refuses a bad one with
  `NotAuthorizedException`;
- maps the user's `sub` to a stable identity id `<region>:<uuid>` (a name-based uuid of the pool
  and the sub: the same for every sign-in, on every machine, for the server's lifetime);
- for credentials, assumes a role made once per identity and returns its keys with
  `Expiration` = now + the configured TTL;
- refuses any later request signed with those keys after that moment with `ExpiredToken`
  (moto itself never checks an assumed role's expiry), and an hour later forgets them (a
  running cloud issues ~60 an hour to each signed-in app);
- authorizes each S3 request signed with those keys as S3 does: the request is mapped to the IAM
  actions and resources real S3 checks (`s3access`), and the inline policies of the role the
  identity pool gives signed-in identities — what `ecan cloud deploy` wrote there,
  `${cognito-identity.amazonaws.com:sub}` and all, read afresh for every request — are
  evaluated for the identity (`policy`); a refusal is S3's 403 AccessDenied;
- refuses unsigned S3 requests with AccessDenied (moto answers them with a 500 under IAM
  enforcement);
- closes moto's admin API (`/moto-api/*`: reset all data, turn IAM enforcement off, dump every
  secret) to all but the holder of the server's per-run token, so neither another local
  process nor a web page (a simple cross-site POST needs no CORS consent) can use it.

Why the check is ours and not moto's: moto's IAM enforcement asks for whatever action name its
request router produces, which is not always IAM's and changed in a patch release (5.2.6 asks
for `s3:HeadObject` and `s3:ListObjectsV2`, which no real policy grants, where 5.2.5 asked for
`s3:GetObject` and `s3:ListBucket`); it also ignores `s3:prefix` conditions and does not
substitute policy variables. So the role moto sees allows `s3:*` on the bucket and its objects
(moto only checks the signature and that the keys are the role's), and the confinement an
identity gets is decided here, by request, the same on every moto release.
"""

from __future__ import annotations

import hmac
import io
import json
import logging
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from ecan.cloudops.policy import IDENTITY_KEY
from ecan.democloud.policy import AccessRequest, PolicyError, is_allowed_by_all
from ecan.democloud.s3access import (
    MalformedRequest,
    S3Access,
    is_conditional_write,
    locate,
    required_access,
)

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_TARGET_PREFIX = "AWSCognitoIdentityService."
_JSON = "application/x-amz-json-1.1"
# Fixed namespace: identity ids are uuid5(namespace, "<identity pool>|<sub>").
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://ecan.invalid/demo-cloud/identity")
# moto routes every path starting with this (no slash needed) to its admin API.
_ADMIN_API_PREFIX = "/moto-api"
# The header that carries the per-run admin token; only the server's own code sends it.
ADMIN_TOKEN_HEADER = "X-Ecan-Admin-Token"
_ADMIN_TOKEN_ENVIRON = "HTTP_" + ADMIN_TOKEN_HEADER.upper().replace("-", "_")
_JWKS_PATH_RE = re.compile(r"^/[^/]+/\.well-known/jwks\.json$")
# Real STS refuses shorter sessions; the shorter demo TTL is enforced here instead.
_STS_MIN_DURATION_S = 900
# Expired credentials are still answered ExpiredToken this long (as AWS does; a computer that
# slept through its refresh learns to fetch new ones); then they are forgotten, here and by
# the emulator, which otherwise scans every session it ever issued on each signed request.
EXPIRED_KEPT_S = 3600


class CognitoIdentityError(Exception):
    """An error answered in the service's JSON protocol (botocore raises it as ClientError)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class IdentitySettings:
    """What the exchange needs to know about the cloud it fronts (known once it is set up)."""

    region: str
    account_id: str
    identity_pool_id: str
    user_pool_id: str
    client_id: str
    bucket: str
    prefix: str  # e.g. "avatars/"
    jwks: dict[str, Any]  # the user pool's JWKS document, as served at /{pool}/.well-known/
    admin_arn: str  # the IAM user whose keys the exchange uses to assume identities' roles

    @property
    def provider_name(self) -> str:
        return f"cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    @property
    def issuer(self) -> str:
        return f"https://{self.provider_name}"


class DeployedRole(Protocol):
    """The role an identity pool gives its signed-in identities, as deployed: read on every use,
    so a changed policy takes effect at once, as it does on AWS."""

    def arn(self) -> str | None:
        """The pool's authenticated role, or None if the pool has none."""

    def policies(self) -> Sequence[Mapping[str, Any]]:
        """The role's identity policies (its inline policy documents)."""


def _signature_only_policy(bucket: str) -> dict[str, Any]:
    """What the role moto sees allows: everything in the bucket, so moto's own check (whose
    action names differ between releases) only ever verifies the signature. The identity's
    real permissions are the deployed role's policies, applied by the exchange per request."""
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]}


class IdentityExchange:
    """WSGI middleware: answers the Cognito Identity API itself, enforces credential expiry, and
    passes everything else to `app` (moto) untouched.

    `admin_client(service)` gives a boto3 client with the cloud's admin keys (IAM and STS calls
    go back through the same server, under moto's IAM enforcement). `admin_token` opens moto's
    admin API (sent as the `X-Ecan-Admin-Token` header); without one, a random token nobody
    knows keeps it shut. `clock` is injectable so unit tests can move time.
    """

    def __init__(self, app: WSGIApp, credential_ttl_s: int,
                 clock: Callable[[], float] = time.time, *,
                 admin_token: str | None = None) -> None:
        if credential_ttl_s < 1:
            raise ValueError("credential_ttl_s must be at least 1 second")
        if admin_token is not None and len(admin_token) < 16:
            raise ValueError("admin_token must be a long random secret")
        self._admin_token = (admin_token or secrets.token_urlsafe(32)).encode()
        self._app = app
        self._ttl = credential_ttl_s
        self._clock = clock
        self._settings: IdentitySettings | None = None
        self._role: DeployedRole | None = None
        self._admin_client: Callable[[str], Any] | None = None
        self._forget: Callable[[set[str]], None] | None = None
        self._key_set: Any = None
        self._lock = threading.Lock()  # guards _issued; held only for dict access
        self._conditional = threading.Lock()  # one conditional write at a time, as S3 decides
        # Role creation calls back into this server, whose requests take _lock: a separate lock.
        self._role_lock = threading.Lock()
        self._roles: dict[str, str] = {}  # identity id -> role ARN
        # access key id we issued -> (identity, expiry in epoch s, secret key, session token)
        self._issued: dict[str, tuple[str, float, str, str]] = {}

    def configure(self, settings: IdentitySettings, admin_client: Callable[[str], Any],
                  role: DeployedRole | None = None,
                  forget: Callable[[set[str]], None] | None = None) -> None:
        """Start answering for the cloud `settings` describes. `role` is the identities' role
        as deployed; without one, no identity gets credentials (as on AWS). `forget(key ids)`
        drops the emulator's sessions of credentials this exchange no longer knows."""
        from joserfc.jwk import KeySet

        self._key_set = KeySet.import_key_set(settings.jwks)  # type: ignore[arg-type]
        self._admin_client = admin_client
        self._forget = forget
        self._role = role
        self._settings = settings

    # -- WSGI ------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        if is_conditional_write(environ):
            with self._conditional:  # moto's check and write, made one step (s3access)
                return list(self._dispatch(environ, start_response))
        return self._dispatch(environ, start_response)

    def _dispatch(self, environ: dict[str, Any], start_response: Callable[..., Any]
                  ) -> Iterable[bytes]:
        if str(environ.get("PATH_INFO", "")).startswith(_ADMIN_API_PREFIX):
            given = str(environ.get(_ADMIN_TOKEN_ENVIRON, "")).encode()
            if not hmac.compare_digest(given, self._admin_token):
                return _json_response(start_response, 403, {
                    "__type": "AccessDenied",
                    "message": "The local cloud's admin API is reserved to ecan's own server."})
            return self._app(environ, start_response)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if self._settings is not None and target in (
                _TARGET_PREFIX + "GetId", _TARGET_PREFIX + "GetCredentialsForIdentity"):
            return self._answer(environ, start_response, target[len(_TARGET_PREFIX):])
        if self._settings is None:  # still being provisioned
            return self._app(environ, start_response)
        try:
            key_id, service = _signing_scope(environ)
        except ValueError:  # two credentials in one request: which one would be checked?
            return _s3_error(environ, start_response, 403, "AccessDenied", "Access Denied")
        if key_id is None:
            if target or _is_jwks(environ):  # unsigned user-pool calls; keys to verify tokens
                return self._app(environ, start_response)
            # moto answers an unsigned S3 request with a 500 under enforcement; real S3
            # refuses anonymous access to a private bucket.
            return _s3_error(environ, start_response, 403, "AccessDenied", "Access Denied")
        with self._lock:
            issued = self._issued.get(key_id)
        if issued is None:  # the cloud's admin keys (or unknown ones, which moto refuses)
            return self._app(environ, start_response)
        identity_id, expires = issued[0], issued[1]
        if self._clock() >= expires:
            return _s3_error(environ, start_response, 400, "ExpiredToken",
                             "The provided token has expired.")
        if service != "s3":
            # The identities' role grants S3 only: refuse here rather than trust moto to.
            return _s3_error(environ, start_response, 403, "AccessDenied", "Access Denied")
        return self._authorize_s3(environ, start_response, identity_id)

    def _authorize_s3(self, environ: dict[str, Any], start_response: Callable[..., Any],
                      identity_id: str) -> Iterable[bytes]:
        """Pass the request on if the identity's policy allows all it needs; else answer as S3
        does (a multi-object delete is decided key by key)."""
        s = self._require_settings()
        where = locate(environ, s.bucket)
        if where is None:
            return _s3_error(environ, start_response, 403, "AccessDenied", "Access Denied")
        try:
            access = required_access(environ, *where, {IDENTITY_KEY: identity_id})
        except MalformedRequest as e:
            return _s3_error(environ, start_response, 400, e.code, e.message)
        policies = self._policies()
        allowed = [self._allows(policies, need) for need in access.needs]
        if all(allowed):
            return self._app(environ, start_response)
        if access.delete_entries is not None:
            return self._partial_delete(start_response, where[0], access, allowed)
        log.info("refused %s for an identity: not allowed by its policy", access.operation)
        return _s3_error(environ, start_response, 403, "AccessDenied", "Access Denied")

    def _policies(self) -> Sequence[Mapping[str, Any]]:
        """The deployed role's policies now; none (everything refused) if they cannot be read."""
        if self._role is None:
            return []
        try:
            return self._role.policies()
        except Exception:  # a bug or a deleted role: refuse, and say why in the log
            log.exception("cannot read the identities' role policy: requests refused")
            return []

    @staticmethod
    def _allows(policies: Sequence[Mapping[str, Any]], need: AccessRequest) -> bool:
        try:
            return is_allowed_by_all(policies, need)
        except PolicyError as e:  # a clause the evaluator cannot read: refuse, never guess
            log.warning("identity policy not understood (%s): request refused", e)
            return False

    def _partial_delete(self, start_response: Callable[..., Any], bucket: str,
                        access: S3Access, allowed: list[bool]) -> Iterable[bytes]:
        """S3's DeleteObjects answer when some keys are not the caller's: those are reported
        as AccessDenied and left alone, the others deleted (here with the cloud's own keys,
        once the identity's policy has allowed each one)."""
        assert access.delete_entries is not None and self._admin_client is not None
        entries = list(zip(access.delete_entries, allowed, strict=True))
        ok = [{"Key": e.key, **({"VersionId": e.version_id} if e.version_id else {})}
              for e, yes in entries if yes]
        result: dict[str, Any] = {"Deleted": [], "Errors": []}
        if ok:
            result = self._admin_client("s3").delete_objects(
                Bucket=bucket, Delete={"Objects": ok, "Quiet": False})
        parts = ['<?xml version="1.0" encoding="UTF-8"?>\n'
                 '<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">']
        if not access.quiet:
            for d in result.get("Deleted", []):
                version = f"<VersionId>{escape(d['VersionId'])}</VersionId>" \
                    if d.get("VersionId") else ""
                parts.append(f"<Deleted><Key>{escape(d['Key'])}</Key>{version}</Deleted>")
        errors = [(e.key, "AccessDenied", "Access Denied") for e, yes in entries if not yes]
        errors += [(err["Key"], err["Code"], err["Message"]) for err in result.get("Errors", [])]
        for key, code, message in errors:
            parts.append(f"<Error><Key>{escape(key)}</Key><Code>{escape(code)}</Code>"
                         f"<Message>{escape(message)}</Message></Error>")
        parts.append("</DeleteResult>")
        data = "".join(parts).encode()
        start_response("200 OK", [("Content-Type", "application/xml"),
                                  ("Content-Length", str(len(data)))])
        return [data]

    def _answer(self, environ: dict[str, Any], start_response: Callable[..., Any],
                operation: str) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            try:
                request = json.loads(body or b"{}")
            except ValueError:
                raise CognitoIdentityError("SerializationException",
                                           "The request body is not valid JSON.") from None
            if not isinstance(request, dict):
                raise CognitoIdentityError("SerializationException",
                                           "The request body must be a JSON object.")
            if operation == "GetId":
                result = self.get_id(request)
            else:
                result = self.get_credentials_for_identity(request)
            return _json_response(start_response, 200, result)
        except CognitoIdentityError as e:
            return _json_response(start_response, e.status, {"__type": e.code,
                                                             "message": e.message},
                                  {"x-amzn-ErrorType": e.code})
        except Exception:  # a bug here: answer like the service would, keep the trace in the log
            log.exception("identity exchange %s failed", operation)
            return _json_response(start_response, 500, {
                "__type": "InternalErrorException", "message": "The local identity service failed."
            }, {"x-amzn-ErrorType": "InternalErrorException"})

    # -- the API -----------------------------------------------------------------------------

    def get_id(self, request: dict[str, Any]) -> dict[str, Any]:
        s = self._require_settings()
        pool = request.get("IdentityPoolId")
        if pool != s.identity_pool_id:
            raise CognitoIdentityError("ResourceNotFoundException",
                                       f"IdentityPool '{pool}' not found.")
        return {"IdentityId": self._identity_from_logins(request.get("Logins"))}

    def get_credentials_for_identity(self, request: dict[str, Any]) -> dict[str, Any]:
        s = self._require_settings()
        wanted = request.get("IdentityId")
        if not isinstance(wanted, str) or not wanted.startswith(f"{s.region}:"):
            raise CognitoIdentityError("ResourceNotFoundException",
                                       f"Identity '{wanted}' not found.")
        identity_id = self._identity_from_logins(request.get("Logins"))
        if identity_id != wanted:
            raise CognitoIdentityError(
                "NotAuthorizedException",
                "Logins don't match. Please include at least one valid login for this identity "
                "or identity pool.")
        if self._role is None or not self._role.arn():
            raise CognitoIdentityError(
                "InvalidIdentityPoolConfigurationException",
                "Invalid identity pool configuration. Check assigned IAM roles for this pool.")
        role_arn = self._role_for(identity_id)
        assert self._admin_client is not None
        sts = self._admin_client("sts")
        resp = sts.assume_role(RoleArn=role_arn, RoleSessionName="CognitoIdentityCredentials",
                               DurationSeconds=_STS_MIN_DURATION_S)
        creds = resp["Credentials"]
        now = self._clock()
        expiration = now + self._ttl
        with self._lock:
            self._issued[creds["AccessKeyId"]] = (identity_id, expiration,
                                                  creds["SecretAccessKey"], creds["SessionToken"])
            stale = {key for key, issued in self._issued.items()
                     if issued[1] < now - EXPIRED_KEPT_S}
            for key in stale:
                del self._issued[key]
        if stale and self._forget is not None:
            self._forget(stale)
        return {"IdentityId": identity_id, "Credentials": {
            "AccessKeyId": creds["AccessKeyId"], "SecretKey": creds["SecretAccessKey"],
            "SessionToken": creds["SessionToken"], "Expiration": expiration}}

    def secret_of(self, access_key_id: str) -> tuple[str, str] | None:
        """(secret key, session token) of credentials this exchange issued (for presigned URLs)."""
        with self._lock:
            issued = self._issued.get(access_key_id)
        return (issued[2], issued[3]) if issued else None

    # -- helpers ---------------------------------------------------------------------------

    def _require_settings(self) -> IdentitySettings:
        if self._settings is None:
            raise CognitoIdentityError("InternalErrorException", "The local cloud is starting.",
                                       500)
        return self._settings

    def _identity_from_logins(self, logins: Any) -> str:
        s = self._require_settings()
        if not logins:
            raise CognitoIdentityError(
                "NotAuthorizedException",
                "Unauthenticated access is not supported for this identity pool.")
        if not isinstance(logins, dict) or s.provider_name not in logins:
            raise CognitoIdentityError(
                "NotAuthorizedException",
                "Invalid login token. Token is not from a supported provider of this identity "
                "pool.")
        sub = self.verify_id_token(logins[s.provider_name])
        return f"{s.region}:{uuid.uuid5(_NAMESPACE, f'{s.identity_pool_id}|{sub}')}"

    def verify_id_token(self, token: Any) -> str:
        """The token's `sub` if it is a valid, current ID token of this pool's app client."""
        from joserfc import jwt
        from joserfc.errors import ExpiredTokenError, JoseError

        s = self._require_settings()
        if not isinstance(token, str) or not token:
            raise CognitoIdentityError("NotAuthorizedException", "Invalid login token.")
        try:
            decoded = jwt.decode(token, self._key_set, algorithms=["RS256"])
            jwt.JWTClaimsRegistry(
                now=int(self._clock()),
                iss={"essential": True, "value": s.issuer},
                aud={"essential": True, "value": s.client_id},
                token_use={"essential": True, "value": "id"},
                sub={"essential": True},
                exp={"essential": True},
            ).validate(decoded.claims)
        except ExpiredTokenError:
            raise CognitoIdentityError("NotAuthorizedException",
                                       "Invalid login token. Token expired.") from None
        except (JoseError, ValueError, TypeError, KeyError):
            raise CognitoIdentityError(
                "NotAuthorizedException",
                "Invalid login token. Couldn't verify signed token.") from None
        return str(decoded.claims["sub"])

    def _role_for(self, identity_id: str) -> str:
        s = self._require_settings()
        with self._role_lock:
            if identity_id in self._roles:
                return self._roles[identity_id]
            assert self._admin_client is not None
            iam = self._admin_client("iam")
            name = f"ecan-demo-identity-{identity_id.split(':', 1)[1]}"
            # The first statement is what a real identity pool's role trusts; the second lets
            # this exchange assume it for the identity (moto checks trust policies, and only
            # by the caller's exact ARN).
            trust = {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                 "Action": "sts:AssumeRoleWithWebIdentity",
                 "Condition": {"StringEquals": {
                     "cognito-identity.amazonaws.com:aud": s.identity_pool_id}}},
                {"Effect": "Allow", "Principal": {"AWS": s.admin_arn},
                 "Action": "sts:AssumeRole"}]}
            role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
            # moto checks only the signature against this role; see the module docstring.
            iam.put_role_policy(RoleName=name, PolicyName="signature-only",
                                PolicyDocument=json.dumps(_signature_only_policy(s.bucket)))
            self._roles[identity_id] = role["Role"]["Arn"]
            return self._roles[identity_id]


def _is_jwks(environ: dict[str, Any]) -> bool:
    """A user pool's JWKS, public as on the real service (tokens must verify)."""
    path = str(environ.get("PATH_INFO", ""))
    return environ.get("REQUEST_METHOD") == "GET" and _JWKS_PATH_RE.match(path) is not None


def _signing_scope(environ: dict[str, Any]) -> tuple[str | None, str | None]:
    """(access key id, service) of the request's SigV4 credential, read as moto and the
    presigned-URL check read it (the header's first `Credential=`; else the query's one
    `X-Amz-Credential`); (None, None) when it has none. ValueError if the query names more
    than one: the check here and the signature check must never look at different keys."""
    header = str(environ.get("HTTP_AUTHORIZATION", ""))
    if header:
        if "Credential=" not in header:
            return None, None
        scope = header.partition("Credential=")[2].partition(",")[0].strip().split("/")
    else:
        query = parse_qs(str(environ.get("QUERY_STRING", "")), keep_blank_values=True)
        values = [v for k, vs in query.items() if k.lower() == "x-amz-credential" for v in vs]
        if not values:
            return None, None
        if len(values) > 1:
            raise ValueError("more than one X-Amz-Credential")
        scope = values[0].split("/")
    return scope[0], (scope[3] if len(scope) > 3 else None)


def _json_response(start_response: Callable[..., Any], status: int, body: dict[str, Any],
                   extra: dict[str, str] | None = None) -> Iterable[bytes]:
    data = json.dumps(body).encode()
    headers = [("Content-Type", _JSON), ("Content-Length", str(len(data))),
               ("x-amzn-RequestId", str(uuid.uuid4()))]
    headers += list((extra or {}).items())
    reason = {200: "OK", 400: "Bad Request", 403: "Forbidden",
              500: "Internal Server Error"}.get(status, "Error")
    start_response(f"{status} {reason}", headers)
    return [data]


def _s3_error(environ: dict[str, Any], start_response: Callable[..., Any], status: int,
              code: str, message: str) -> Iterable[bytes]:
    data = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message><RequestId>{uuid.uuid4()}</RequestId></Error>"
            ).encode()
    if environ.get("REQUEST_METHOD") == "HEAD":
        data = b""  # S3 answers a HEAD with the status alone
    reason = {400: "Bad Request", 403: "Forbidden"}[status]
    start_response(f"{status} {reason}", [("Content-Type", "application/xml"),
                                          ("Content-Length", str(len(data)))])
    return [data]
