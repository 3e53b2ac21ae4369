"""`ecan cloud deploy` / `teardown` as data: a list of resources, each found by its name and the
deployment's tag, compared with its desired state, then created, updated or left alone (a second
deploy changes nothing); teardown removes only what carries the tag. A dry run reads and plans,
and changes nothing."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from ecan.cloudops.aws import AwsClients, as_user_error, error_code, http_status
from ecan.cloudops.policy import identity_role_policy, identity_trust_policy
from ecan.cloudops.spec import (
    BUCKET_TAG,
    CLIENT_NAME,
    PREFIX_TAG,
    ROLE_POLICY_NAME,
    TAG_KEY,
    DeploySpec,
)
from ecan.errors import UserFacingError

log = logging.getLogger(__name__)

# What a step does. "unsupported": the (local) endpoint does not implement the call.
CREATE, UPDATE, KEEP, DELETE, ABSENT, LEFT, UNSUPPORTED = (
    "create", "update", "keep", "delete", "absent", "left alone", "unsupported")


@dataclass(frozen=True)
class Step:
    kind: str  # "user pool", "app client", ...
    name: str
    action: str
    changes: tuple[str, ...] = ()
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "action": self.action,
                "changes": list(self.changes), "note": self.note}

    def line(self) -> str:
        what = f"{self.action:<11} {self.kind} {self.name}"
        if self.changes:
            what += f" ({', '.join(self.changes)})"
        return what + (f": {self.note}" if self.note else "")


@dataclass
class Outputs:
    """What ecan needs to know of a deployment (None: not made yet, in a dry run)."""

    region: str
    bucket: str
    prefix: str
    endpoint: str | None = None
    user_pool_id: str | None = None
    client_id: str | None = None
    identity_pool_id: str | None = None
    role_arn: str | None = None
    domain: str | None = None

    def config_document(self) -> dict[str, dict[str, str]]:
        """The `auth_config.yml` body for ecan (ids and endpoints, no secret)."""
        cognito = {"USER_POOL_ID": self.user_pool_id or "", "CLIENT_ID": self.client_id or "",
                   "IDENTITY_POOL_ID": self.identity_pool_id or "", "REGION": self.region}
        storage = {"BACKEND": "s3", "BUCKET": self.bucket, "REGION": self.region,
                   "PATH_PREFIX": self.prefix}
        if self.domain:
            cognito["DOMAIN"] = self.domain
        if self.endpoint:
            cognito["ENDPOINT_URL"] = self.endpoint
            storage["ENDPOINT_URL"] = self.endpoint
        return {"COGNITO": cognito, "STORAGE": storage}

    def contract(self, config: str | None) -> dict[str, Any]:
        """`ecan cloud deploy --json` (contract)."""
        return {"user_pool_id": self.user_pool_id, "client_id": self.client_id,
                "identity_pool_id": self.identity_pool_id, "bucket": self.bucket,
                "region": self.region, "config": config}


@dataclass
class Result:
    steps: list[Step]
    outputs: Outputs
    dry_run: bool

    @property
    def changed(self) -> bool:
        return any(s.action in (CREATE, UPDATE, DELETE) for s in self.steps)


class _Unsupported(Exception):
    """The endpoint does not implement an operation (moto lacks a few)."""


@dataclass
class _Run:
    """One deploy or teardown: the spec, the clients, and the ids found or made so far."""

    spec: DeploySpec
    aws: AwsClients
    dry_run: bool
    bucket: str
    pool: dict[str, Any] | None = None  # the user pool as described
    user_pool_id: str | None = None
    client_id: str | None = None
    identity_pool_id: str | None = None
    role_arn: str | None = None
    state: dict[str, Any] = field(default_factory=dict)

    def tolerate(self, exc: BaseException, operation: str) -> None:
        """Raise _Unsupported when a local endpoint lacks `operation` (it answers 5xx)."""
        if self.aws.endpoint and http_status(exc) >= 500:
            raise _Unsupported(f"{self.aws.endpoint} does not implement {operation}") from None


def _paginate(call: Callable[..., dict[str, Any]], key: str, token: str = "NextToken",
              **kwargs: Any) -> Iterator[dict[str, Any]]:
    while True:
        page = call(**kwargs)
        yield from page.get(key, [])
        nxt = page.get(token)
        if not nxt:
            return
        kwargs[token] = nxt


def _policy(doc: Any) -> Any:
    """A policy document as IAM returned it (botocore decodes it; some emulators do not)."""
    if isinstance(doc, str):
        return json.loads(unquote(doc))
    return doc


def _not_ours(kind: str, name: str, spec: DeploySpec, option: str) -> UserFacingError:
    return UserFacingError(
        "not_ours", f"A {kind} named {name} exists but was not made by this deployment "
                    f"(it lacks the tag {TAG_KEY}={spec.name}).",
        f"Choose another {option}, or remove or tag that {kind} if it is yours to reuse.")


# -- the resources ----------------------------------------------------------------------------

class _Resource:
    kind = ""

    def wanted(self, run: _Run) -> bool:
        return True

    def name(self, run: _Run) -> str:
        raise NotImplementedError

    def read(self, run: _Run) -> Any:
        """The current state (and the ids it reveals, kept on `run`), or None if absent."""
        raise NotImplementedError

    def diff(self, run: _Run, current: Any) -> list[str]:
        raise NotImplementedError

    def create(self, run: _Run) -> None:
        raise NotImplementedError

    def update(self, run: _Run, current: Any, changes: list[str]) -> None:
        raise NotImplementedError

    def delete(self, run: _Run, current: Any) -> None:
        raise NotImplementedError


class _UserPool(_Resource):
    kind = "user pool"

    def name(self, run: _Run) -> str:
        return run.spec.user_pool_name

    def tags(self, run: _Run) -> dict[str, str]:
        return {**run.spec.tags, BUCKET_TAG: run.bucket, PREFIX_TAG: run.spec.prefix}

    def read(self, run: _Run) -> Any:
        idp = run.aws("cognito-idp")
        ours = []
        for summary in _paginate(idp.list_user_pools, "UserPools", MaxResults=60):
            if summary.get("Name") != run.spec.user_pool_name:
                continue  # pool names are not unique: the tag says which is ours
            pool = idp.describe_user_pool(UserPoolId=summary["Id"])["UserPool"]
            if (pool.get("UserPoolTags") or {}).get(TAG_KEY) == run.spec.name:
                ours.append(pool)
        if len(ours) > 1:
            raise UserFacingError(
                "ambiguous", f"{len(ours)} user pools are tagged {TAG_KEY}={run.spec.name}: "
                             f"{', '.join(p['Id'] for p in ours)}.",
                "Delete or untag the extra ones, then run it again.")
        if not ours:
            return None
        pool = ours[0]
        run.pool, run.user_pool_id = pool, pool["Id"]
        mfa = idp.get_user_pool_mfa_config(UserPoolId=pool["Id"])
        return {"pool": pool, "mfa": mfa}

    def _desired_mfa(self, run: _Run) -> str:
        return "OPTIONAL" if run.spec.mfa else "OFF"

    def diff(self, run: _Run, current: Any) -> list[str]:
        spec, pool, mfa = run.spec, current["pool"], current["mfa"]
        wanted_usernames = ["email"] if spec.email_username else []
        if sorted(pool.get("UsernameAttributes") or []) != wanted_usernames:
            how = "e-mail addresses" if pool.get("UsernameAttributes") else "user names"
            raise UserFacingError(
                "immutable", f"User pool {pool['Id']} signs users in with {how}; Cognito cannot "
                             "change that in place.",
                "Keep the pool's sign-in as it is, or deploy under another --name.")
        changes = []
        current_pp = (pool.get("Policies") or {}).get("PasswordPolicy") or {}
        if any(current_pp.get(k) != v for k, v in spec.password_policy().items()):
            changes.append("password policy")
        if sorted(pool.get("AutoVerifiedAttributes") or []) != ["email"]:
            changes.append("e-mail verification")
        admin_only = bool((pool.get("AdminCreateUserConfig") or {}).get(
            "AllowAdminCreateUserOnly"))
        if admin_only == spec.sign_up:
            changes.append("sign-up")
        recovery = (pool.get("AccountRecoverySetting") or {}).get("RecoveryMechanisms") or []
        if [m.get("Name") for m in recovery] != ["verified_email"]:
            changes.append("account recovery")
        tags = pool.get("UserPoolTags") or {}
        if any(tags.get(k) != v for k, v in self.tags(run).items()):
            changes.append("tags")
        totp = bool((mfa.get("SoftwareTokenMfaConfiguration") or {}).get("Enabled"))
        if mfa.get("MfaConfiguration", "OFF") != self._desired_mfa(run) or (spec.mfa and not totp):
            changes.append("MFA")
        return changes

    def _settings(self, run: _Run, tags: dict[str, str]) -> dict[str, Any]:
        return {
            "Policies": {"PasswordPolicy": run.spec.password_policy()},
            "AutoVerifiedAttributes": ["email"],
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": not run.spec.sign_up},
            "AccountRecoverySetting": {"RecoveryMechanisms": [
                {"Priority": 1, "Name": "verified_email"}]},
            "VerificationMessageTemplate": {"DefaultEmailOption": "CONFIRM_WITH_CODE"},
            "UserPoolTags": tags,
        }

    def _set_mfa(self, run: _Run, pool_id: str) -> None:
        # TOTP only (no SMS: that needs an SNS role); OPTIONAL lets each user turn it on.
        kwargs: dict[str, Any] = {"UserPoolId": pool_id,
                                  "MfaConfiguration": self._desired_mfa(run)}
        if run.spec.mfa:
            kwargs["SoftwareTokenMfaConfiguration"] = {"Enabled": True}
        run.aws("cognito-idp").set_user_pool_mfa_config(**kwargs)

    def create(self, run: _Run) -> None:
        kwargs = self._settings(run, self.tags(run))
        if run.spec.email_username:
            kwargs["UsernameAttributes"] = ["email"]
        pool = run.aws("cognito-idp").create_user_pool(
            PoolName=run.spec.user_pool_name, MfaConfiguration="OFF",
            UsernameConfiguration={"CaseSensitive": False}, **kwargs)["UserPool"]
        run.pool, run.user_pool_id = pool, pool["Id"]
        if run.spec.mfa:
            self._set_mfa(run, pool["Id"])

    def update(self, run: _Run, current: Any, changes: list[str]) -> None:
        pool = current["pool"]
        tags = {**(pool.get("UserPoolTags") or {}), **self.tags(run)}
        # UpdateUserPool resets what it is not given: send every setting we own.
        run.aws("cognito-idp").update_user_pool(UserPoolId=pool["Id"],
                                                **self._settings(run, tags))
        self._set_mfa(run, pool["Id"])

    def delete(self, run: _Run, current: Any) -> None:
        idp = run.aws("cognito-idp")
        domain = current["pool"].get("Domain")
        if domain:  # a pool with a domain cannot be deleted
            idp.delete_user_pool_domain(Domain=domain, UserPoolId=current["pool"]["Id"])
        idp.delete_user_pool(UserPoolId=current["pool"]["Id"])


class _Domain(_Resource):
    kind = "hosted UI domain"

    def wanted(self, run: _Run) -> bool:
        return run.spec.domain is not None

    def name(self, run: _Run) -> str:
        return run.spec.domain_host() or ""

    def read(self, run: _Run) -> Any:
        if run.pool is None:
            return None
        return run.pool.get("Domain") or None

    def diff(self, run: _Run, current: Any) -> list[str]:
        return [] if current == run.spec.domain else ["domain"]

    def _check_free(self, run: _Run) -> None:
        desc = run.aws("cognito-idp").describe_user_pool_domain(
            Domain=run.spec.domain).get("DomainDescription") or {}
        if desc.get("UserPoolId") and desc["UserPoolId"] != run.user_pool_id:
            raise UserFacingError("domain_taken",
                                  f"The hosted UI domain {run.spec.domain} is already taken.",
                                  "Choose another --domain.")

    def create(self, run: _Run) -> None:
        assert run.user_pool_id is not None
        self._check_free(run)
        run.aws("cognito-idp").create_user_pool_domain(Domain=run.spec.domain,
                                                       UserPoolId=run.user_pool_id)

    def update(self, run: _Run, current: Any, changes: list[str]) -> None:
        assert run.user_pool_id is not None
        self._check_free(run)
        run.aws("cognito-idp").delete_user_pool_domain(Domain=current,
                                                       UserPoolId=run.user_pool_id)
        self.create(run)

    def delete(self, run: _Run, current: Any) -> None:
        pass  # goes with the user pool


class _AppClient(_Resource):
    kind = "app client"

    def name(self, run: _Run) -> str:
        return CLIENT_NAME

    def desired(self, run: _Run) -> dict[str, Any]:
        return run.spec.app_client()

    def read(self, run: _Run) -> Any:
        if run.user_pool_id is None:
            return None
        idp = run.aws("cognito-idp")
        found = [c for c in _paginate(idp.list_user_pool_clients, "UserPoolClients",
                                      UserPoolId=run.user_pool_id, MaxResults=60)
                 if c.get("ClientName") == CLIENT_NAME]
        if len(found) > 1:
            raise UserFacingError(
                "ambiguous", f"User pool {run.user_pool_id} has {len(found)} app clients named "
                             f"{CLIENT_NAME}.", "Delete the extra ones, then run it again.")
        if not found:
            return None
        client = idp.describe_user_pool_client(UserPoolId=run.user_pool_id,
                                               ClientId=found[0]["ClientId"])["UserPoolClient"]
        run.client_id = client["ClientId"]
        if client.get("ClientSecret"):
            raise UserFacingError(
                "immutable", f"App client {client['ClientId']} has a secret; a desktop app "
                             "cannot keep one, and Cognito cannot remove it.",
                f"Delete app client {CLIENT_NAME} in the user pool and run deploy again.")
        return client

    def diff(self, run: _Run, current: Any) -> list[str]:
        changes = []
        for key, want in self.desired(run).items():
            have = current.get(key)
            if isinstance(want, list):
                have = sorted(have or [])
            if have != want:
                changes.append(key)
        return changes

    def create(self, run: _Run) -> None:
        client = run.aws("cognito-idp").create_user_pool_client(
            UserPoolId=run.user_pool_id, ClientName=CLIENT_NAME, GenerateSecret=False,
            **self.desired(run))["UserPoolClient"]
        run.client_id = client["ClientId"]

    def update(self, run: _Run, current: Any, changes: list[str]) -> None:
        # Like UpdateUserPool, it resets what it is not given: send it all.
        run.aws("cognito-idp").update_user_pool_client(
            UserPoolId=run.user_pool_id, ClientId=current["ClientId"], ClientName=CLIENT_NAME,
            **self.desired(run))

    def delete(self, run: _Run, current: Any) -> None:
        pass  # goes with the user pool


class _IdentityPool(_Resource):
    kind = "identity pool"

    def name(self, run: _Run) -> str:
        return run.spec.identity_pool_name

    def providers(self, run: _Run) -> list[dict[str, Any]]:
        if run.user_pool_id is None or run.client_id is None:
            return []  # a dry run before the user pool exists
        return [{"ProviderName": run.spec.provider_name(run.user_pool_id),
                 "ClientId": run.client_id, "ServerSideTokenCheck": True}]

    def read(self, run: _Run) -> Any:
        ci = run.aws("cognito-identity")
        ours = []
        for summary in _paginate(ci.list_identity_pools, "IdentityPools", MaxResults=60):
            if summary.get("IdentityPoolName") != run.spec.identity_pool_name:
                continue
            pool = ci.describe_identity_pool(IdentityPoolId=summary["IdentityPoolId"])
            if (pool.get("IdentityPoolTags") or {}).get(TAG_KEY) == run.spec.name:
                ours.append(pool)
        if len(ours) > 1:
            raise UserFacingError(
                "ambiguous", f"{len(ours)} identity pools are tagged {TAG_KEY}={run.spec.name}.",
                "Delete or untag the extra ones, then run it again.")
        if not ours:
            return None
        run.identity_pool_id = ours[0]["IdentityPoolId"]
        return ours[0]

    def diff(self, run: _Run, current: Any) -> list[str]:
        changes = []
        if current.get("AllowUnauthenticatedIdentities"):
            changes.append("unauthenticated access")

        def key(p: dict[str, Any]) -> tuple[str, str, bool]:
            return (str(p.get("ProviderName")), str(p.get("ClientId")),
                    bool(p.get("ServerSideTokenCheck")))

        have = sorted(key(p) for p in current.get("CognitoIdentityProviders") or [])
        if have != sorted(key(p) for p in self.providers(run)):
            changes.append("sign-in providers")
        tags = current.get("IdentityPoolTags") or {}
        if any(tags.get(k) != v for k, v in run.spec.tags.items()):
            changes.append("tags")
        return changes

    def create(self, run: _Run) -> None:
        pool = run.aws("cognito-identity").create_identity_pool(
            IdentityPoolName=run.spec.identity_pool_name, AllowUnauthenticatedIdentities=False,
            CognitoIdentityProviders=self.providers(run), IdentityPoolTags=run.spec.tags)
        run.identity_pool_id = pool["IdentityPoolId"]

    def update(self, run: _Run, current: Any, changes: list[str]) -> None:
        run.aws("cognito-identity").update_identity_pool(
            IdentityPoolId=current["IdentityPoolId"],
            IdentityPoolName=run.spec.identity_pool_name, AllowUnauthenticatedIdentities=False,
            CognitoIdentityProviders=self.providers(run),
            IdentityPoolTags={**(current.get("IdentityPoolTags") or {}), **run.spec.tags})

    def delete(self, run: _Run, current: Any) -> None:
        run.aws("cognito-identity").delete_identity_pool(IdentityPoolId=current["IdentityPoolId"])


class _Role(_Resource):
    kind = "IAM role"

    def name(self, run: _Run) -> str:
        return run.spec.role_name

    def read(self, run: _Run) -> Any:
        iam = run.aws("iam")
        try:
            role = iam.get_role(RoleName=run.spec.role_name)["Role"]
        except Exception as e:
            if error_code(e) == "NoSuchEntity":
                return None
            raise
        tags = {t["Key"]: t["Value"] for t in role.get("Tags") or []}
        if tags.get(TAG_KEY) != run.spec.name:
            raise _not_ours("role", run.spec.role_name, run.spec, "--name")
        run.role_arn = role["Arn"]
        policies = {name: _policy(iam.get_role_policy(RoleName=run.spec.role_name,
                                                      PolicyName=name)["PolicyDocument"])
                    for name in _paginate(iam.list_role_policies, "PolicyNames", "Marker",
                                          RoleName=run.spec.role_name)}
        return {"role": role, "tags": tags, "policies": policies}

    def trust(self, run: _Run) -> dict[str, Any]:
        return identity_trust_policy(run.identity_pool_id or "(the new identity pool)")

    def storage(self, run: _Run) -> dict[str, Any]:
        return identity_role_policy(run.bucket, run.spec.prefix)

    def diff(self, run: _Run, current: Any) -> list[str]:
        changes = []
        if _policy(current["role"].get("AssumeRolePolicyDocument")) != self.trust(run):
            changes.append("trust policy")
        if current["policies"].get(ROLE_POLICY_NAME) != self.storage(run):
            changes.append("storage policy")
        # Any other inline policy could widen what identities may do: the role is ours.
        changes += [f"extra policy {n}" for n in sorted(current["policies"])
                    if n != ROLE_POLICY_NAME]
        if any(current["tags"].get(k) != v for k, v in run.spec.tags.items()):
            changes.append("tags")
        return changes

    def create(self, run: _Run) -> None:
        iam = run.aws("iam")
        role = iam.create_role(
            RoleName=run.spec.role_name, AssumeRolePolicyDocument=json.dumps(self.trust(run)),
            Description=f"ecan deployment {run.spec.name}: signed-in identities' storage access",
            Tags=[{"Key": k, "Value": v} for k, v in run.spec.tags.items()])["Role"]
        run.role_arn = role["Arn"]
        iam.put_role_policy(RoleName=run.spec.role_name, PolicyName=ROLE_POLICY_NAME,
                            PolicyDocument=json.dumps(self.storage(run)))

    def update(self, run: _Run, current: Any, changes: list[str]) -> None:
        iam, name = run.aws("iam"), run.spec.role_name
        if "trust policy" in changes:
            iam.update_assume_role_policy(RoleName=name,
                                          PolicyDocument=json.dumps(self.trust(run)))
        if "storage policy" in changes:
            iam.put_role_policy(RoleName=name, PolicyName=ROLE_POLICY_NAME,
                                PolicyDocument=json.dumps(self.storage(run)))
        for extra in current["policies"]:
            if extra != ROLE_POLICY_NAME:
                iam.delete_role_policy(RoleName=name, PolicyName=extra)
        if "tags" in changes:
            iam.tag_role(RoleName=name,
                         Tags=[{"Key": k, "Value": v} for k, v in run.spec.tags.items()])

    def delete(self, run: _Run, current: Any) -> None:
        iam, name = run.aws("iam"), run.spec.role_name
        for policy in current["policies"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        # Managed policies someone attached are detached, never deleted (not ours).
        for attached in _paginate(iam.list_attached_role_policies, "AttachedPolicies",
                                  "Marker", RoleName=name):
            iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
        iam.delete_role(RoleName=name)


class _PoolRoles(_Resource):
    kind = "identity pool role"

    def name(self, run: _Run) -> str:
        return f"{run.spec.identity_pool_name} authenticated -> {run.spec.role_name}"

    def read(self, run: _Run) -> Any:
        if run.identity_pool_id is None:
            return None
        try:
            roles = run.aws("cognito-identity").get_identity_pool_roles(
                IdentityPoolId=run.identity_pool_id).get("Roles") or {}
        except Exception as e:
            run.tolerate(e, "GetIdentityPoolRoles")
            raise
        return roles or None

    def diff(self, run: _Run, current: Any) -> list[str]:
        # Only signed-in identities get credentials, and only through our role.
        return [] if current == {"authenticated": run.role_arn} else ["roles"]

    def create(self, run: _Run) -> None:
        try:
            run.aws("cognito-identity").set_identity_pool_roles(
                IdentityPoolId=run.identity_pool_id, Roles={"authenticated": run.role_arn})
        except Exception as e:
            run.tolerate(e, "SetIdentityPoolRoles")
            raise

    def update(self, run: _Run, current: Any, changes: list[str]) -> None:
        self.create(run)

    def delete(self, run: _Run, current: Any) -> None:
        pass  # goes with the identity pool


_PUBLIC_ACCESS_BLOCK = {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                        "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
# What S3 answers for a bucket setting that was never made.
_MISSING = ("NoSuchPublicAccessBlockConfiguration",
            "ServerSideEncryptionConfigurationNotFoundError", "NoSuchLifecycleConfiguration",
            "NoSuchCORSConfiguration", "NoSuchTagSet", "NoSuchTagSetError")


class _Bucket(_Resource):
    kind = "bucket"

    def name(self, run: _Run) -> str:
        return run.bucket

    @staticmethod
    def _get(call: Callable[..., dict[str, Any]], key: str, **kwargs: Any) -> Any:
        try:
            return call(**kwargs).get(key)
        except Exception as e:
            if error_code(e) in _MISSING:
                return None
            raise

    def read(self, run: _Run) -> Any:
        s3, b = run.aws("s3"), run.bucket
        try:
            s3.head_bucket(Bucket=b)
        except Exception as e:
            if error_code(e) in ("404", "NoSuchBucket", "NotFound"):
                return None
            if error_code(e) in ("403", "AccessDenied"):
                raise UserFacingError(
                    "bucket_taken", f"The bucket name {b} is taken (by another AWS account, or "
                                    "these credentials may not see it).",
                    "Bucket names are global: choose another with --bucket.") from None
            raise
        tags = {t["Key"]: t["Value"] for t in self._get(s3.get_bucket_tagging, "TagSet",
                                                         Bucket=b) or []}
        if tags.get(TAG_KEY) != run.spec.name:
            raise _not_ours("bucket", b, run.spec, "--bucket")
        return {
            "tags": tags,
            "public": self._get(s3.get_public_access_block, "PublicAccessBlockConfiguration",
                                Bucket=b),
            "encryption": self._get(s3.get_bucket_encryption,
                                    "ServerSideEncryptionConfiguration", Bucket=b),
            "lifecycle": self._get(s3.get_bucket_lifecycle_configuration, "Rules",
                                   Bucket=b) or [],
            "cors": self._get(s3.get_bucket_cors, "CORSRules", Bucket=b) or [],
        }

    @staticmethod
    def _encrypted(encryption: Any) -> bool:
        rules = (encryption or {}).get("Rules") or []
        return any((r.get("ApplyServerSideEncryptionByDefault") or {}).get("SSEAlgorithm")
                   in ("AES256", "aws:kms", "aws:kms:dsse") for r in rules)

    @staticmethod
    def _ours_by_id(rules: list[dict[str, Any]], wanted: list[dict[str, object]]
                    ) -> list[dict[str, Any]]:
        ids = {str(w["ID"]) for w in wanted}
        return [r for r in rules if r.get("ID") in ids or str(r.get("ID", "")).startswith("ecan-")]

    @staticmethod
    def _same_rules(have: list[dict[str, Any]], want: list[dict[str, object]]) -> bool:
        if len(have) != len(want):
            return False
        by_id = {r.get("ID"): r for r in have}
        for w in want:
            h = by_id.get(w["ID"])
            if h is None:
                return False
            for k, v in w.items():
                hv = h.get(k)
                if isinstance(v, list):
                    hv = sorted(hv or [])
                if hv != v:
                    return False
        return True

    def diff(self, run: _Run, current: Any) -> list[str]:
        spec, changes = run.spec, []
        if current["public"] != _PUBLIC_ACCESS_BLOCK:
            changes.append("public access block")
        if not self._encrypted(current["encryption"]):
            changes.append("default encryption")
        want_life = spec.lifecycle_rules()
        if not self._same_rules(self._ours_by_id(current["lifecycle"], want_life), want_life):
            changes.append("lifecycle rules")
        want_cors = spec.cors_rules()
        if not self._same_rules(self._ours_by_id(current["cors"], want_cors), want_cors):
            changes.append("CORS")
        if any(current["tags"].get(k) != v for k, v in spec.tags.items()):
            changes.append("tags")
        return changes

    def create(self, run: _Run) -> None:
        s3 = run.aws("s3")
        if run.aws.region == "us-east-1":
            s3.create_bucket(Bucket=run.bucket)
        else:
            s3.create_bucket(Bucket=run.bucket, CreateBucketConfiguration={
                "LocationConstraint": run.aws.region})
        # Tagged first: a deploy interrupted here is picked up again by the next one.
        s3.put_bucket_tagging(Bucket=run.bucket, Tagging={"TagSet": [
            {"Key": k, "Value": v} for k, v in run.spec.tags.items()]})
        self.update(run, {"tags": run.spec.tags, "lifecycle": [], "cors": []},
                    ["public access block", "default encryption", "lifecycle rules", "CORS"])

    def update(self, run: _Run, current: Any, changes: list[str]) -> None:
        s3, b, spec = run.aws("s3"), run.bucket, run.spec
        if "public access block" in changes:
            s3.put_public_access_block(Bucket=b,
                                       PublicAccessBlockConfiguration=_PUBLIC_ACCESS_BLOCK)
        if "default encryption" in changes:
            s3.put_bucket_encryption(Bucket=b, ServerSideEncryptionConfiguration={"Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
        if "lifecycle rules" in changes:
            want = spec.lifecycle_rules()
            others = [r for r in current["lifecycle"]
                      if r not in self._ours_by_id(current["lifecycle"], want)]
            s3.put_bucket_lifecycle_configuration(
                Bucket=b, LifecycleConfiguration={"Rules": others + want})
        if "CORS" in changes:
            want_cors = spec.cors_rules()
            others = [r for r in current["cors"]
                      if r not in self._ours_by_id(current["cors"], want_cors)]
            rules = others + want_cors
            if rules:
                s3.put_bucket_cors(Bucket=b, CORSConfiguration={"CORSRules": rules})
            else:
                s3.delete_bucket_cors(Bucket=b)
        if "tags" in changes:
            tags = {**current["tags"], **spec.tags}
            s3.put_bucket_tagging(Bucket=b, Tagging={"TagSet": [
                {"Key": k, "Value": v} for k, v in tags.items()]})

    def object_count(self, run: _Run) -> int:
        s3 = run.aws("s3")
        listed = s3.list_object_versions(Bucket=run.bucket, MaxKeys=1000)
        return len(listed.get("Versions") or []) + len(listed.get("DeleteMarkers") or [])

    def delete(self, run: _Run, current: Any) -> None:
        s3, b = run.aws("s3"), run.bucket
        for upload in _paginate(s3.list_multipart_uploads, "Uploads", "NextKeyMarker",
                                Bucket=b):
            s3.abort_multipart_upload(Bucket=b, Key=upload["Key"], UploadId=upload["UploadId"])
        while True:
            listed = s3.list_object_versions(Bucket=b, MaxKeys=1000)
            batch = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                     for v in (listed.get("Versions") or []) + (listed.get("DeleteMarkers") or [])]
            if not batch:
                break
            s3.delete_objects(Bucket=b, Delete={"Objects": batch, "Quiet": True})
        s3.delete_bucket(Bucket=b)


# Deploy order: each may use the ids found or made before it.
_RESOURCES: tuple[_Resource, ...] = (_Bucket(), _UserPool(), _Domain(), _AppClient(),
                                     _IdentityPool(), _Role(), _PoolRoles())


def _start(spec: DeploySpec, aws: AwsClients, dry_run: bool, bucket: str | None = None) -> _Run:
    aws.check_credentials()
    return _Run(spec=spec, aws=aws, dry_run=dry_run,
                bucket=bucket or spec.bucket_name(aws.account_id()))


def _outputs(run: _Run) -> Outputs:
    return Outputs(region=run.spec.region, bucket=run.bucket, prefix=run.spec.prefix,
                   endpoint=run.aws.endpoint, user_pool_id=run.user_pool_id,
                   client_id=run.client_id, identity_pool_id=run.identity_pool_id,
                   role_arn=run.role_arn, domain=run.spec.domain_host())


def deploy(spec: DeploySpec, aws: AwsClients, *, dry_run: bool = False) -> Result:
    """Create or update everything `spec` asks for; with `dry_run`, only say what would change.
    Raises UserFacingError (what failed and the fix); running it again resumes."""
    try:
        run = _start(spec, aws, dry_run)
        if spec.bucket is None and _UserPool().read(run) is not None:
            # Deployed before with --bucket: keep using that bucket.
            run.bucket = (run.pool or {}).get("UserPoolTags", {}).get(BUCKET_TAG) or run.bucket
        steps = []
        for res in _RESOURCES:
            if not res.wanted(run):
                continue
            name = res.name(run)
            try:
                current = res.read(run)
                if current is None:
                    if not dry_run:
                        res.create(run)
                    steps.append(Step(res.kind, name, CREATE))
                    continue
                changes = res.diff(run, current)
                if changes and not dry_run:
                    res.update(run, current, changes)
                steps.append(Step(res.kind, res.name(run), UPDATE if changes else KEEP,
                                  tuple(changes)))
            except _Unsupported as u:
                steps.append(Step(res.kind, name, UNSUPPORTED, note=str(u)))
            log.info("deploy %s: %s", spec.name, steps[-1].line())
        return Result(steps, _outputs(run), dry_run)
    except Exception as e:
        log.info("deploy %s failed", spec.name, exc_info=not isinstance(e, UserFacingError))
        raise as_user_error(e, aws.where, "deploy") from None


def find(spec: DeploySpec, aws: AwsClients) -> Outputs | None:
    """The deployment's ids as they are now (None: no user pool of this deployment)."""
    try:
        run = _start(spec, aws, True)
        pool = _UserPool().read(run)
        if pool is None:
            return None
        run.bucket = (run.pool or {}).get("UserPoolTags", {}).get(BUCKET_TAG) or run.bucket
        _AppClient().read(run)
        _IdentityPool().read(run)
        return _outputs(run)
    except Exception as e:
        raise as_user_error(e, aws.where, "reading the deployment") from None


def teardown(spec: DeploySpec, aws: AwsClients, *, dry_run: bool = False,
             delete_data: bool = False, keep_bucket: bool = False) -> Result:
    """Remove what `deploy` made for `spec` (found by its tag) and nothing else. A bucket that
    holds objects is emptied only with `delete_data`; `keep_bucket` leaves it (and its data)."""
    try:
        run = _start(spec, aws, dry_run)
        found: list[tuple[_Resource, str, Any]] = []
        steps: list[Step] = []
        # Read everything first: a refusal (data in the bucket) must come before any deletion.
        everything: tuple[_Resource, ...] = (_UserPool(), _AppClient(), _IdentityPool(),
                                             _Role(), _Bucket())
        for res in everything:
            if isinstance(res, _Bucket):
                tagged = (run.pool or {}).get("UserPoolTags", {}).get(BUCKET_TAG)
                run.bucket = spec.bucket or tagged or run.bucket
            name = res.name(run)
            try:
                current = res.read(run)
            except UserFacingError as e:
                if e.code != "not_ours":
                    raise
                steps.append(Step(res.kind, name, LEFT, note="not made by this deployment"))
                continue
            if current is None:
                steps.append(Step(res.kind, name, ABSENT))
            elif isinstance(res, (_AppClient,)):
                steps.append(Step(res.kind, name, DELETE, note="with its user pool"))
            else:
                found.append((res, name, current))
        for res, name, current in list(found):
            if isinstance(res, _Bucket) and keep_bucket:
                steps.append(Step(res.kind, name, LEFT, note="--keep-bucket"))
                found.remove((res, name, current))
            elif isinstance(res, _Bucket) and not delete_data:
                count = res.object_count(run)
                if count:
                    raise UserFacingError(
                        "bucket_not_empty",
                        f"Bucket {name} still holds users' avatars ({count}"
                        f"{'+' if count >= 1000 else ''} objects); nothing was removed.",
                        "Add --delete-data to delete them with the bucket, or --keep-bucket "
                        "to remove everything else and keep the bucket.")
        # Dependents first: the role before its identity pool, the pool last but the bucket.
        order = [_Role, _IdentityPool, _UserPool, _Bucket]
        found.sort(key=lambda f: order.index(type(f[0])))
        for res, name, current in found:
            if not dry_run:
                res.delete(run, current)
            steps.append(Step(res.kind, name, DELETE))
            log.info("teardown %s: %s", spec.name, steps[-1].line())
        return Result(steps, _outputs(run), dry_run)
    except Exception as e:
        log.info("teardown %s failed", spec.name, exc_info=not isinstance(e, UserFacingError))
        raise as_user_error(e, aws.where, "teardown") from None
