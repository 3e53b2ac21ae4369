"""`ecan cloud deploy | add-user | teardown` against a plain local moto server, as an operator
runs them: the plan, the deployment, a second deploy that changes nothing, two users who sign in
with ecan and sync under their own identity prefixes, and a teardown that leaves nothing it made
(and everything it did not).

Plain moto hands every identity the same fixed keys and enforces no policy, so here the users'
separation shows in their distinct identity ids and where their objects land; that the deployed
policy keeps them apart is shown on the demo cloud (test_cloud_isolation.py), which enforces it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from ecan.cloudops.policy import identity_role_policy
from tests.contract.motoserver import moto_server

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "ecan" / "assets" / "samples"
NAME = "acme"
BUCKET = "ecan-acme-123456789012"  # ecan-NAME-ACCOUNT_ID; moto's account is 123456789012


@pytest.fixture
def endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def operator_env(clean_env: dict[str, str]) -> dict[str, str]:
    # The operator's own AWS credentials; a plain moto server takes any.
    return {**clean_env, "AWS_ACCESS_KEY_ID": "operator", "AWS_SECRET_ACCESS_KEY": "operator"}


def ecan(*args: str, env: dict[str, str], stdin: str | None = None
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ecan", *args], capture_output=True, text=True,
                          env=env, input=stdin, timeout=180)


def ok_json(*args: str, env: dict[str, str], stdin: str | None = None) -> Any:
    r = ecan(*args, "--json", env=env, stdin=stdin)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    return json.loads(r.stdout)


def admin(endpoint: str, service: str) -> Any:
    return boto3.session.Session().client(service, endpoint_url=endpoint, region_name="us-east-1",
                                          aws_access_key_id="admin",
                                          aws_secret_access_key="admin")


def snapshot(endpoint: str) -> dict[str, Any]:
    """Everything a deployment could have made, as the services describe it."""
    idp, ci, iam, s3 = (admin(endpoint, s) for s in ("cognito-idp", "cognito-identity", "iam",
                                                      "s3"))

    def clean(d: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in d.items() if k != "ResponseMetadata"}

    state: dict[str, Any] = {"pools": {}, "identity_pools": {}, "roles": {}, "buckets": {}}
    for pool in idp.list_user_pools(MaxResults=60)["UserPools"]:
        clients = idp.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=60)
        state["pools"][pool["Id"]] = {
            "pool": clean(idp.describe_user_pool(UserPoolId=pool["Id"])),
            "mfa": clean(idp.get_user_pool_mfa_config(UserPoolId=pool["Id"])),
            "clients": [clean(idp.describe_user_pool_client(UserPoolId=pool["Id"],
                                                            ClientId=c["ClientId"]))
                        for c in clients["UserPoolClients"]]}
    for pool in ci.list_identity_pools(MaxResults=60)["IdentityPools"]:
        pid = pool["IdentityPoolId"]
        state["identity_pools"][pid] = clean(ci.describe_identity_pool(IdentityPoolId=pid))
    for role in iam.list_roles()["Roles"]:
        name = role["RoleName"]
        state["roles"][name] = {
            "role": clean(iam.get_role(RoleName=name)),
            "policies": {p: clean(iam.get_role_policy(RoleName=name, PolicyName=p))
                         for p in iam.list_role_policies(RoleName=name)["PolicyNames"]}}
    for bucket in s3.list_buckets()["Buckets"]:
        b = bucket["Name"]
        entry: dict[str, Any] = {}
        for what, call in (("tags", s3.get_bucket_tagging), ("lifecycle",
                           s3.get_bucket_lifecycle_configuration),
                           ("encryption", s3.get_bucket_encryption),
                           ("public", s3.get_public_access_block), ("cors", s3.get_bucket_cors)):
            try:
                entry[what] = clean(call(Bucket=b))
            except Exception as e:  # noqa: BLE001 - "not set" is part of the state
                entry[what] = type(e).__name__
        state["buckets"][b] = entry
    return state


def test_deploy_add_users_sync_redeploy_and_teardown_on_plain_moto(
        endpoint: str, operator_env: dict[str, str], tmp_path: Path) -> None:
    env = operator_env
    where = ["--name", NAME, "--endpoint", endpoint]
    # Things the deployment did not make, which teardown must leave alone.
    admin(endpoint, "s3").create_bucket(Bucket="someone-elses-bucket")
    admin(endpoint, "iam").create_role(RoleName="someone-elses-role",
                                       AssumeRolePolicyDocument="{}")
    admin(endpoint, "cognito-idp").create_user_pool(PoolName="ecan-acme")  # same name, untagged
    before = snapshot(endpoint)

    plan = ok_json("cloud", "deploy", *where, "--dry-run", env=env)
    assert plan["dry_run"] and {s["action"] for s in plan["steps"]} == {"create"}
    assert [s["kind"] for s in plan["steps"]] == [
        "bucket", "user pool", "app client", "identity pool", "IAM role", "identity pool role"]
    assert snapshot(endpoint) == before  # a dry run changes nothing

    config = tmp_path / "acme.yml"
    first = ok_json("cloud", "deploy", *where, "--write-config", str(config), env=env)
    assert {k: first[k] for k in ("bucket", "region", "config")} == {
        "bucket": BUCKET, "region": "us-east-1", "config": str(config)}
    assert first["user_pool_id"] and first["client_id"] and first["identity_pool_id"]
    made = snapshot(endpoint)
    pool = made["pools"][first["user_pool_id"]]["pool"]["UserPool"]
    assert pool["UserPoolTags"]["ecan:deployment"] == NAME
    assert pool["UsernameAttributes"] == ["email"] and pool["AutoVerifiedAttributes"] == ["email"]
    client = made["pools"][first["user_pool_id"]]["clients"][0]["UserPoolClient"]
    assert "ClientSecret" not in client
    assert sorted(client["ExplicitAuthFlows"]) == ["ALLOW_REFRESH_TOKEN_AUTH",
                                                   "ALLOW_USER_SRP_AUTH"]
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["CallbackURLs"] == ["http://localhost:47615/callback"]
    assert made["roles"]["ecan-acme-identity"]["policies"]["ecan-identity-storage"][
        "PolicyDocument"] == identity_role_policy(BUCKET, "avatars/")
    bucket = made["buckets"][BUCKET]
    assert all(bucket["public"]["PublicAccessBlockConfiguration"].values())
    assert bucket["encryption"]["ServerSideEncryptionConfiguration"]["Rules"][0][
        "ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert {r["ID"] for r in bucket["lifecycle"]["Rules"]} == {
        "ecan-trash", "ecan-abort-incomplete-uploads"}
    assert bucket["cors"] == "ClientError"  # no web client asked for: no CORS

    # Run twice: the second run changes nothing (moto lacks the identity pool's role
    # attachment, which deploy reports as unsupported rather than failing).
    second = ok_json("cloud", "deploy", *where, env=env)
    assert {s["action"] for s in second["steps"]} <= {"keep", "unsupported"}
    assert [s["kind"] for s in second["steps"] if s["action"] == "unsupported"] == [
        "identity pool role"]
    assert {k: second[k] for k in ("user_pool_id", "client_id", "identity_pool_id")} == {
        k: first[k] for k in ("user_pool_id", "client_id", "identity_pool_id")}
    assert snapshot(endpoint) == made

    users = {"alice@example.com": "Alice-pass-1", "bob@example.com": "Bob-pass-22"}
    for email, password in users.items():
        added = ok_json("cloud", "add-user", *where, "--email", email, "--password-stdin",
                        env=env, stdin=password + "\n")
        assert added["email"] == email and added["status"] == "CONFIRMED"
    again = ecan("cloud", "add-user", *where, "--email", "alice@example.com", env=env)
    assert again.returncode == 1 and "already has an account" in again.stderr
    assert "Alice-pass-1" not in again.stdout + again.stderr

    identities = {}
    for email, password in users.items():
        home = {**env, "ECAN_HOME": str(tmp_path / email), "ECAN_CONFIG": str(config)}
        signed_in = ok_json("login", "--username", email, "--password-stdin", env=home,
                            stdin=password + "\n")
        ok_json("import", str(SAMPLES / "portrait.jpg"), str(SAMPLES / "meadow.jpg"),
                env=home)
        synced = ok_json("sync", "--timeout", "60", env=home)
        assert (synced["synced"], synced["failed"], synced["remaining"]) == (2, 0, 0)
        identities[email] = signed_in["identity_id"]
    assert len(set(identities.values())) == 2
    keys = [o["Key"] for o in admin(endpoint, "s3").list_objects_v2(Bucket=BUCKET)["Contents"]]
    for identity in identities.values():
        assert len([k for k in keys if k.startswith(f"avatars/{identity}/images/")]) == 4
    assert all(k.startswith(tuple(f"avatars/{i}/" for i in identities.values())) for k in keys)

    # Users' avatars are not deleted by accident: without --delete-data nothing is removed.
    refused = ecan("cloud", "teardown", *where, env=env)
    assert refused.returncode == 1 and "--delete-data" in refused.stderr
    assert snapshot(endpoint)["roles"].keys() == made["roles"].keys()

    gone = ok_json("cloud", "teardown", *where, "--delete-data", env=env)
    assert {s["kind"] for s in gone["steps"] if s["action"] == "delete"} == {
        "app client", "IAM role", "identity pool", "user pool", "bucket"}
    after = snapshot(endpoint)
    # What teardown leaves is exactly what was there before deploy.
    assert after["buckets"].keys() == before["buckets"].keys()
    assert after["roles"].keys() == before["roles"].keys()
    assert after["pools"].keys() == before["pools"].keys()
    assert after["identity_pools"] == before["identity_pools"] == {}
    nothing = ok_json("cloud", "teardown", *where, env=env)
    assert {s["action"] for s in nothing["steps"]} == {"absent"}


def test_deploy_options_and_a_change_are_applied_in_place(
        endpoint: str, operator_env: dict[str, str]) -> None:
    env = operator_env
    where = ["--name", "opts", "--endpoint", endpoint, "--bucket", "opts-avatars"]
    first = ok_json("cloud", "deploy", *where, "--mfa", "--domain", "opts-login",
                    "--cors-origin", "https://app.example.com", "--no-sign-up", env=env)
    idp = admin(endpoint, "cognito-idp")
    pool = idp.describe_user_pool(UserPoolId=first["user_pool_id"])["UserPool"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["Domain"] == "opts-login"
    mfa = idp.get_user_pool_mfa_config(UserPoolId=first["user_pool_id"])
    assert mfa["MfaConfiguration"] == "OPTIONAL"
    assert mfa["SoftwareTokenMfaConfiguration"]["Enabled"] is True
    cors = admin(endpoint, "s3").get_bucket_cors(Bucket="opts-avatars")["CORSRules"]
    assert cors[0]["AllowedOrigins"] == ["https://app.example.com"]

    # Drop the web client, move the redirect: the same resources change, nothing is re-made.
    second = ok_json("cloud", "deploy", *where, "--mfa", "--domain", "opts-login", "--no-sign-up",
                     "--callback-url", "http://localhost:50000/callback", env=env)
    changed = {s["kind"]: s["changes"] for s in second["steps"] if s["action"] == "update"}
    assert changed == {"bucket": ["CORS"], "app client": ["CallbackURLs"]}
    assert second["user_pool_id"] == first["user_pool_id"]
    assert second["client_id"] == first["client_id"]
    with pytest.raises(Exception, match="NoSuchCORSConfiguration"):
        admin(endpoint, "s3").get_bucket_cors(Bucket="opts-avatars")
    client = idp.describe_user_pool_client(UserPoolId=first["user_pool_id"],
                                           ClientId=first["client_id"])["UserPoolClient"]
    assert client["CallbackURLs"] == ["http://localhost:50000/callback"]
    third = ok_json("cloud", "deploy", *where, "--mfa", "--domain", "opts-login", "--no-sign-up",
                    "--callback-url", "http://localhost:50000/callback", env=env)
    assert {s["action"] for s in third["steps"]} <= {"keep", "unsupported"}


def test_a_user_pool_setting_is_changed_in_place(endpoint: str,
                                                 operator_env: dict[str, str]) -> None:
    # Through the API with user names (as the demo cloud's pool): moto's UpdateUserPool drops
    # a pool's e-mail sign-in, which real Cognito keeps (it cannot change).
    from ecan.cloudops.aws import AwsClients
    from ecan.cloudops.deploy import deploy
    from ecan.cloudops.spec import DeploySpec

    aws = AwsClients("us-east-1", endpoint, session=boto3.session.Session(
        aws_access_key_id="operator", aws_secret_access_key="operator"))
    first = deploy(DeploySpec(name="pool", email_username=False), aws)
    spec = DeploySpec(name="pool", email_username=False, sign_up=False, mfa=True)
    second = deploy(spec, aws)
    assert [(s.kind, s.changes) for s in second.steps if s.action == "update"] == [
        ("user pool", ("sign-up", "MFA"))]
    assert second.outputs.user_pool_id == first.outputs.user_pool_id
    assert not deploy(spec, aws).changed


def test_operator_errors_are_plain_words(endpoint: str, operator_env: dict[str, str],
                                         clean_env: dict[str, str]) -> None:
    r = ecan("cloud", "deploy", "--name", "Bad_Name", "--endpoint", endpoint, env=operator_env)
    assert r.returncode == 2 and "--name" in r.stderr and "Traceback" not in r.stderr
    r = ecan("cloud", "deploy", "--name", "x1", "--endpoint", "http://example.com:5000",
             env=operator_env)
    assert r.returncode == 2 and "plain http" in r.stderr
    r = ecan("cloud", "deploy", "--name", "x1", "--endpoint", endpoint, env=clean_env)
    assert r.returncode == 1 and "No AWS credentials" in r.stderr
    r = ecan("cloud", "add-user", "--name", "nobody", "--endpoint", endpoint, "--email",
             "a@example.com", env=operator_env)
    assert r.returncode == 1 and "ecan cloud deploy --name nobody" in r.stderr
    # A bucket of that name that is not the deployment's is never taken over.
    admin(endpoint, "s3").create_bucket(Bucket="taken-bucket")
    r = ecan("cloud", "deploy", "--name", "x1", "--endpoint", endpoint, "--bucket",
             "taken-bucket", env=operator_env)
    assert r.returncode == 1 and "not made by this deployment" in r.stderr
    assert "Traceback" not in r.stderr
    # A weak password leaves no half-made user behind (moto checks the pool's policy too).
    deployed = ok_json("cloud", "deploy", "--name", "x2", "--endpoint", endpoint, env=operator_env)
    r = ecan("cloud", "add-user", "--name", "x2", "--endpoint", endpoint, "--email",
             "c@example.com", "--password-stdin", env=operator_env, stdin="short\n")
    assert r.returncode == 1 and "refused the password" in r.stderr
    assert "short" not in r.stdout + r.stderr
    users = admin(endpoint, "cognito-idp").list_users(UserPoolId=deployed["user_pool_id"])
    assert users["Users"] == []
