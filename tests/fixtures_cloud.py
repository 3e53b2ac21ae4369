"""Session-wide local cloud for tests: the same DemoCloud that `ecan demo-cloud` serves.

- `demo_cloud` (session): one cloud for the whole run (its server lives in a child process, so
  moto's process-global state never mixes with a test's own moto use). Tests share it: use your
  own object keys, and sign in as `demo_user`/`demo_user2` rather than changing the users.
- `cloud_env` (function): `clean_env` plus ECAN_CONFIG pointing at a fresh config for it.
- `make_demo_cloud` (function): a factory for a separate cloud (e.g. a 3 s credential TTL to
  watch credentials expire), stopped after the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ecan.democloud import DemoCloud, DemoCloudInfo, DemoUser


@pytest.fixture(scope="session")
def demo_cloud() -> Iterator[DemoCloud]:
    cloud = DemoCloud(credential_ttl_s=90)
    cloud.start()
    yield cloud
    cloud.stop()


def forget_changes(cloud: DemoCloud) -> None:
    """Empty every identity's change journal: a library signed in as a shared user then pulls
    nothing another test changed (its sync process pulls on start and every 30 s)."""
    info = cloud.info
    s3 = cloud.admin_client("s3")
    pages = s3.get_paginator("list_objects_v2")
    for page in pages.paginate(Bucket=info.bucket, Prefix=info.path_prefix, Delimiter="/"):
        for identity in page.get("CommonPrefixes") or []:
            for found in pages.paginate(Bucket=info.bucket,
                                        Prefix=f"{identity['Prefix']}journal/"):
                keys = [{"Key": o["Key"]} for o in found.get("Contents") or []]
                if keys:
                    s3.delete_objects(Bucket=info.bucket, Delete={"Objects": keys})


def identity_credentials(info: DemoCloudInfo, user: DemoUser) -> tuple[str, dict[str, Any]]:
    """(identity id, its temporary credentials: AccessKeyId, SecretKey, SessionToken) for `user`,
    as any Cognito client gets them: sign in to the user pool, then the identity exchange."""
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    kw: dict[str, Any] = {"endpoint_url": info.endpoint, "region_name": info.region,
                          "config": Config(signature_version=UNSIGNED)}
    token = boto3.client("cognito-idp", **kw).initiate_auth(
        ClientId=info.client_id, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user.username, "PASSWORD": user.password},
    )["AuthenticationResult"]["IdToken"]
    logins = {f"cognito-idp.{info.region}.amazonaws.com/{info.user_pool_id}": token}
    ci = boto3.client("cognito-identity", **kw)
    identity = str(ci.get_id(IdentityPoolId=info.identity_pool_id, Logins=logins)["IdentityId"])
    creds = ci.get_credentials_for_identity(IdentityId=identity, Logins=logins)["Credentials"]
    return identity, creds


@pytest.fixture
def demo_user(demo_cloud: DemoCloud) -> DemoUser:
    forget_changes(demo_cloud)
    return demo_cloud.info.users[0]


@pytest.fixture
def demo_user2(demo_cloud: DemoCloud) -> DemoUser:
    forget_changes(demo_cloud)
    return demo_cloud.info.users[1]


@pytest.fixture
def cloud_env(clean_env: dict[str, str], demo_cloud: DemoCloud, tmp_path: Path,
              monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment for an ecan pointed at the session cloud (ECAN_HOME from clean_env);
    also set in os.environ for code that reads it there."""
    config = demo_cloud.write_config(tmp_path / "demo_auth_config.yml")
    monkeypatch.setenv("ECAN_CONFIG", str(config))
    # Any free port for the hosted UI's listener (the demo cloud accepts any loopback port):
    # tests running side by side must not fight over the fixed default.
    monkeypatch.setenv("ECAN_CALLBACK_PORT", "0")
    return {**clean_env, "ECAN_CONFIG": str(config), "ECAN_CALLBACK_PORT": "0"}


@pytest.fixture
def make_demo_cloud() -> Iterator[Callable[..., DemoCloud]]:
    started: list[DemoCloud] = []

    def make(**kwargs: Any) -> DemoCloud:
        cloud = DemoCloud(**kwargs)
        started.append(cloud)
        cloud.start()
        return cloud

    yield make
    for cloud in started:
        cloud.stop()
