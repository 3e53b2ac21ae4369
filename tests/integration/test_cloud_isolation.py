"""On the demo cloud, set up by the operator's deploy code: the policy the exchange enforces is the
one the deploy attached to the identity pool's role; with it neither user can read or list the
other's prefix; a loosened policy lets them, `ecan doctor`'s isolation check says so with the fix,
and deploying again puts the policy right."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from ecan.cloudops.aws import AwsClients
from ecan.cloudops.deploy import deploy
from ecan.cloudops.policy import identity_role_policy
from ecan.cloudops.spec import ROLE_POLICY_NAME
from ecan.democloud import DemoCloud, DemoCloudInfo, DemoUser
from ecan.democloud.server import deploy_spec
from ecan.doctor import ISOLATION_FAILED
from tests.fixtures_cloud import identity_credentials

ROLE = "ecan-demo-identity"


@pytest.fixture(scope="module")
def cloud() -> Iterator[DemoCloud]:
    # Its own cloud: these tests loosen the deployed policy for a while.
    c = DemoCloud(credential_ttl_s=300)
    c.start()
    yield c
    c.stop()


def _credentials(info: DemoCloudInfo, user: DemoUser) -> tuple[str, Any]:
    """(identity id, an S3 client with that identity's own credentials)."""
    identity, creds = identity_credentials(info, user)
    s3 = boto3.client("s3", aws_access_key_id=creds["AccessKeyId"],
                      aws_secret_access_key=creds["SecretKey"],
                      aws_session_token=creds["SessionToken"],
                      config=Config(signature_version="s3v4", retries={"max_attempts": 1}),
                      endpoint_url=info.endpoint, region_name=info.region)
    return identity, s3


def _denied(call: Any) -> bool:
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"] in ("AccessDenied", "403")
    return False


def _loosen(cloud: DemoCloud) -> None:
    """What a careless operator writes: every identity may read and list all of avatars/."""
    b = cloud.info.bucket
    cloud.admin_client("iam").put_role_policy(
        RoleName=ROLE, PolicyName=ROLE_POLICY_NAME, PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject",
                                               "s3:DeleteObject"],
                 "Resource": f"arn:aws:s3:::{b}/avatars/*"},
                {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{b}",
                 "Condition": {"StringLike": {"s3:prefix": "avatars/*"}}}]}))


def _redeploy(cloud: DemoCloud) -> list[tuple[str, str, tuple[str, ...]]]:
    info = cloud.info
    aws = AwsClients(info.region, info.endpoint, session=boto3.session.Session(
        aws_access_key_id=info.admin.access_key_id,
        aws_secret_access_key=info.admin.secret_access_key))
    result = deploy(deploy_spec(info.region), aws)
    return [(s.kind, s.action, s.changes) for s in result.steps if s.action != "keep"]


def test_the_exchange_enforces_what_the_deploy_attached(demo_cloud: DemoCloud) -> None:
    info = demo_cloud.info
    iam = demo_cloud.admin_client("iam")
    role = iam.get_role(RoleName=ROLE)["Role"]
    assert {t["Key"]: t["Value"] for t in role["Tags"]}["ecan:deployment"] == "demo"
    assert iam.list_role_policies(RoleName=ROLE)["PolicyNames"] == [ROLE_POLICY_NAME]
    deployed = iam.get_role_policy(RoleName=ROLE, PolicyName=ROLE_POLICY_NAME)["PolicyDocument"]
    assert deployed == identity_role_policy(info.bucket, "avatars/")
    roles = demo_cloud.admin_client("cognito-identity").get_identity_pool_roles(
        IdentityPoolId=info.identity_pool_id)["Roles"]
    assert roles == {"authenticated": role["Arn"]}
    trust = role["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Condition"]["StringEquals"] == {
        "cognito-identity.amazonaws.com:aud": info.identity_pool_id}
    # The demo cloud is exactly what the deploy makes: deploying again changes nothing.
    assert _redeploy(demo_cloud) == []


def test_neither_user_can_read_or_list_the_others_prefix(demo_cloud: DemoCloud) -> None:
    info = demo_cloud.info
    (a_id, a), (b_id, b) = (_credentials(info, u) for u in info.users)
    for me, mine in ((a, a_id), (b, b_id)):
        me.put_object(Bucket=info.bucket, Key=f"avatars/{mine}/images/both-ways.png", Body=b"x")
    for me, theirs in ((a, b_id), (b, a_id)):
        _assert_kept_out(me, info.bucket, theirs)


def _assert_kept_out(me: Any, bucket: str, theirs: str) -> None:
    key = f"avatars/{theirs}/images/both-ways.png"
    assert _denied(lambda: me.get_object(Bucket=bucket, Key=key))
    assert _denied(lambda: me.list_objects_v2(Bucket=bucket, Prefix=f"avatars/{theirs}/"))
    assert _denied(lambda: me.list_objects_v2(Bucket=bucket, Prefix="avatars/"))


def test_a_loosened_policy_is_enforced_as_written_and_deploy_puts_it_right(
        cloud: DemoCloud) -> None:
    info = cloud.info
    (a_id, a), (_, b) = (_credentials(info, u) for u in info.users)
    key = f"avatars/{a_id}/images/private.png"
    a.put_object(Bucket=info.bucket, Key=key, Body=b"a's own")
    assert _denied(lambda: b.get_object(Bucket=info.bucket, Key=key))
    _loosen(cloud)
    try:
        # The exchange reads the role's policy as it is now: no restart, no cache.
        assert b.get_object(Bucket=info.bucket, Key=key)["Body"].read() == b"a's own"
        listed = b.list_objects_v2(Bucket=info.bucket, Prefix=f"avatars/{a_id}/")
        assert [o["Key"] for o in listed["Contents"]] == [key]
    finally:
        repaired = _redeploy(cloud)
    assert repaired == [("IAM role", "update", ("storage policy",))]
    assert _denied(lambda: b.get_object(Bucket=info.bucket, Key=key))
    assert _denied(lambda: b.list_objects_v2(Bucket=info.bucket, Prefix=f"avatars/{a_id}/"))


def test_doctor_isolation_passes_and_fails_on_a_loosened_policy(
        cloud: DemoCloud, clean_env: dict[str, str], tmp_path: Path) -> None:
    from ecan.app import build_app
    from ecan.auth.secrets import MemoryKeyring
    from ecan.doctor import run_checks

    info = cloud.info
    other_id, other = _credentials(info, info.users[1])
    foreign = f"avatars/{other_id}/images/someone-elses.png"
    other.put_object(Bucket=info.bucket, Key=foreign, Body=b"theirs")
    env = {**clean_env, "ECAN_CONFIG": str(cloud.write_config(tmp_path / "cfg.yml"))}
    app = build_app(env, keyring_backend=MemoryKeyring())
    try:
        user = info.users[0]
        app.auth.sign_in(user.username, user.password)
        checks = {c.name: c for c in run_checks(app)}
        assert list(checks)[-1] == "isolation"
        assert checks["isolation"].ok, checks["isolation"]
        assert "cannot list or read other users' folders" in checks["isolation"].detail
        assert "nor change the system avatars" in checks["isolation"].detail
        _loosen(cloud)
        try:
            checks = {c.name: c for c in run_checks(app)}
        finally:
            _redeploy(cloud)
        iso = checks["isolation"]
        assert not iso.ok and not iso.skipped
        assert iso.detail.startswith(ISOLATION_FAILED)
        assert "list every user's folder (avatars/)" in iso.detail
        assert f"read another user's object ({foreign})" in iso.detail
        assert "change the system avatars everyone sees (avatars/shared/system/)" in iso.detail
        # The write probe was removed again: nothing of the doctor's stays in the shared area.
        shared = cloud.admin_client("s3").list_objects_v2(
            Bucket=info.bucket, Prefix="avatars/shared/system/doctor-")
        assert shared.get("KeyCount", 0) == 0
        assert "${cognito-identity.amazonaws.com:sub}" in iso.hint
        assert "ecan cloud deploy" in iso.hint
        # The rest of the cloud works, so only isolation fails.
        assert [n for n, c in checks.items() if not c.ok] == ["isolation"]
        assert {c.name: c for c in run_checks(app)}["isolation"].ok  # put right again
    finally:
        app.close()
