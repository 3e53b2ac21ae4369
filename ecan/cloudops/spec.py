"""What an operator asks `ecan cloud deploy` for (a `DeploySpec`) and the names and settings of
every resource that follows from it; the deploy, the CloudFormation template and the demo cloud
all read them from here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ecan.config import DEFAULT_CALLBACK_PORT, DEFAULT_PREFIX, callback_url
from ecan.errors import ConfigError
from ecan.storage.keys import validate_prefix

# Every resource a deployment makes carries this tag (value: the deployment's name); teardown
# and re-deploys act only on resources that carry it.
TAG_KEY = "ecan:deployment"
# Also on the user pool: where the deployment's bucket and prefix are, for add-user/teardown.
BUCKET_TAG = "ecan:bucket"
PREFIX_TAG = "ecan:prefix"
# Objects the sync engine moves to the trash carry this tag; the bucket's lifecycle rule
# expires them after `trash_days`.
TRASH_TAG = ("ecan-trash", "true")
CLIENT_NAME = "ecan-desktop"
ROLE_POLICY_NAME = "ecan-identity-storage"
# The hosted UI's PKCE redirect: the loopback address the desktop app listens on by default
# (ecan.config.callback_url, the same one the desktop sends). Cognito takes plain http only for
# localhost.
DEFAULT_CALLBACK_URLS = (callback_url(DEFAULT_CALLBACK_PORT),)
DEFAULT_LOGOUT_URLS = (f"http://localhost:{DEFAULT_CALLBACK_PORT}/signed-out",)
OAUTH_SCOPES = ("email", "openid", "profile")
ABORT_UPLOADS_AFTER_DAYS = 7

# Lower case, digits and dashes: the name goes into bucket, role and pool names.
_NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,22}[a-z0-9])?$")
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_DOMAIN_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_REGION_RE = re.compile(r"^[a-z]{2}(?:-gov)?-[a-z]+-\d$")


@dataclass(frozen=True)
class DeploySpec:
    """One deployment. `email_username`: users sign in with their e-mail address (the
    operator's default); False keeps plain user names (the demo cloud's `demo`, `demo2`).
    `password_auth` also allows USER_PASSWORD_AUTH (the demo cloud's contract; SRP otherwise)."""

    name: str
    region: str = "us-east-1"
    bucket: str | None = None  # default: ecan-{name}-{account id}
    prefix: str = DEFAULT_PREFIX
    mfa: bool = False  # optional TOTP for users who turn it on
    sign_up: bool = True  # users may sign themselves up (else: `ecan cloud add-user` only)
    domain: str | None = None  # hosted UI domain prefix ({domain}.auth.{region}.amazoncognito.com)
    callback_urls: tuple[str, ...] = DEFAULT_CALLBACK_URLS
    logout_urls: tuple[str, ...] = DEFAULT_LOGOUT_URLS
    cors_origins: tuple[str, ...] = ()  # only for a web client
    email_username: bool = True
    password_auth: bool = False
    trash_days: int = 30
    extra_tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.name):
            raise ConfigError("--name", f"{self.name!r} is not a deployment name",
                              "Use 1-24 lower-case letters, digits and dashes (e.g. `acme`).")
        if not _REGION_RE.match(self.region):
            raise ConfigError("--region", f"{self.region!r} is not an AWS region",
                              "Use a region name such as us-east-1 or eu-west-1.")
        if self.bucket is not None and (not _BUCKET_RE.match(self.bucket) or ".." in self.bucket):
            raise ConfigError("--bucket", f"{self.bucket!r} is not a valid S3 bucket name",
                              "Use 3-63 lower-case letters, digits, dots and dashes.")
        if self.domain is not None and (not _DOMAIN_RE.match(self.domain)
                                        or "cognito" in self.domain or "aws" in self.domain):
            raise ConfigError("--domain", f"{self.domain!r} is not a hosted UI domain prefix",
                              "Use lower-case letters, digits and dashes, without 'aws' or "
                              "'cognito' (Cognito refuses those).")
        try:
            prefix = validate_prefix(self.prefix)
        except ValueError as e:
            raise ConfigError("--prefix", f"{self.prefix!r}: {e}",
                              "Use a path such as avatars/ or tenant/avatars/.") from None
        if not prefix:
            raise ConfigError("--prefix", "the prefix is empty",
                              "Use a path such as avatars/: identities' folders live under it.")
        object.__setattr__(self, "prefix", prefix)
        if not 1 <= self.trash_days <= 3650:
            raise ConfigError("trash_days", f"{self.trash_days} days", "Use 1-3650 days.")

    # -- names -------------------------------------------------------------------------------

    @property
    def user_pool_name(self) -> str:
        return f"ecan-{self.name}"

    @property
    def identity_pool_name(self) -> str:
        return f"ecan-{self.name}"

    @property
    def role_name(self) -> str:
        return f"ecan-{self.name}-identity"

    def bucket_name(self, account_id: str) -> str:
        return self.bucket or f"ecan-{self.name}-{account_id}"

    @property
    def tags(self) -> dict[str, str]:
        return {**self.extra_tags, TAG_KEY: self.name}

    def provider_name(self, user_pool_id: str) -> str:
        return f"cognito-idp.{self.region}.amazonaws.com/{user_pool_id}"

    def domain_host(self) -> str | None:
        return f"{self.domain}.auth.{self.region}.amazoncognito.com" if self.domain else None

    # -- desired settings --------------------------------------------------------------------

    def password_policy(self) -> dict[str, object]:
        return {"MinimumLength": 8, "RequireUppercase": True, "RequireLowercase": True,
                "RequireNumbers": True, "RequireSymbols": False,
                "TemporaryPasswordValidityDays": 7}

    def auth_flows(self) -> list[str]:
        flows = ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]
        if self.password_auth:
            flows.append("ALLOW_USER_PASSWORD_AUTH")
        return sorted(flows)

    def app_client(self) -> dict[str, object]:
        """The app client's settings, as deploy writes them and the template declares them:
        no secret (a desktop app cannot keep one), SRP and refresh, and the hosted UI's
        authorization-code flow with PKCE, redirecting to a loopback address."""
        return {
            "ExplicitAuthFlows": self.auth_flows(),
            "AllowedOAuthFlows": ["code"],
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthScopes": sorted(OAUTH_SCOPES),
            "CallbackURLs": sorted(self.callback_urls),
            "LogoutURLs": sorted(self.logout_urls),
            "SupportedIdentityProviders": ["COGNITO"],
            "PreventUserExistenceErrors": "ENABLED",
            "EnableTokenRevocation": True,
        }

    def lifecycle_rules(self) -> list[dict[str, object]]:
        key, value = TRASH_TAG
        return [
            {"ID": "ecan-trash", "Status": "Enabled",
             "Filter": {"Tag": {"Key": key, "Value": value}},
             "Expiration": {"Days": self.trash_days}},
            {"ID": "ecan-abort-incomplete-uploads", "Status": "Enabled",
             "Filter": {"Prefix": self.prefix},
             "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ABORT_UPLOADS_AFTER_DAYS}},
        ]

    def cors_rules(self) -> list[dict[str, object]]:
        if not self.cors_origins:
            return []
        return [{"ID": "ecan-web-client", "AllowedOrigins": sorted(self.cors_origins),
                 "AllowedMethods": ["DELETE", "GET", "HEAD", "PUT"], "AllowedHeaders": ["*"],
                 "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 3000}]
