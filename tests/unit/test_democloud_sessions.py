"""The local cloud forgets the credentials it issued an hour after they expire, and moto's
sessions with them: moto keeps every session ever assumed in a list it scans on each signed
request, so a cloud left running got slower by the day (a signed-in app refreshes about once
a minute at the demo's 90 s lifetime)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from ecan.democloud.identity import EXPIRED_KEPT_S, IdentityExchange, IdentitySettings

pytest.importorskip("moto")

ACCOUNT = "123456789012"


class _Admin:
    """The exchange's admin clients (IAM and STS), as far as issuing credentials goes."""

    def __init__(self) -> None:
        self.issued = 0

    def __call__(self, service: str) -> _Admin:
        return self

    def create_role(self, RoleName: str, **_: Any) -> dict[str, Any]:  # noqa: N803
        return {"Role": {"Arn": f"arn:aws:iam::{ACCOUNT}:role/{RoleName}"}}

    def put_role_policy(self, **_: Any) -> None:
        pass

    def assume_role(self, **_: Any) -> dict[str, Any]:
        self.issued += 1
        return {"Credentials": {"AccessKeyId": f"ASIA{self.issued:016d}",
                                "SecretAccessKey": "secret", "SessionToken": "token"}}


class _Role:
    def arn(self) -> str:
        return f"arn:aws:iam::{ACCOUNT}:role/identities"

    def policies(self) -> list[dict[str, Any]]:
        return []


def _exchange(now: list[float], forgotten: list[set[str]]) -> IdentityExchange:
    from joserfc.jwk import RSAKey

    jwks = {"keys": [RSAKey.generate_key(2048).as_dict(private=False)]}
    exchange = IdentityExchange(lambda environ, start: [b"passed on"], 90,
                                clock=lambda: now[0])
    exchange.configure(IdentitySettings(
        region="us-east-1", account_id=ACCOUNT, identity_pool_id="us-east-1:pool",
        user_pool_id="us-east-1_pool", client_id="client", bucket="ecan-demo",
        prefix="avatars/", jwks=jwks, admin_arn=f"arn:aws:iam::{ACCOUNT}:user/admin"),
        _Admin(), _Role(), forgotten.append)
    exchange.verify_id_token = lambda token: "sub"  # type: ignore[method-assign]
    return exchange


def _key(exchange: IdentityExchange) -> str:
    login = {"cognito-idp.us-east-1.amazonaws.com/us-east-1_pool": "an id token"}
    identity = exchange.get_id({"IdentityPoolId": "us-east-1:pool", "Logins": login})
    creds = exchange.get_credentials_for_identity({**identity, "Logins": login})
    return str(creds["Credentials"]["AccessKeyId"])


def _answer(exchange: IdentityExchange, key: str) -> tuple[str, bytes]:
    status: list[str] = []
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/ecan-demo/avatars/x", "HTTP_HOST": "h",
               "HTTP_AUTHORIZATION": f"AWS4-HMAC-SHA256 Credential={key}/20260101/us-east-1/"
                                     "s3/aws4_request, SignedHeaders=host, Signature=00"}
    body: Iterable[bytes] = exchange(environ, lambda s, headers: status.append(s))
    return (status[0] if status else "moto"), b"".join(body)


def test_expired_credentials_are_refused_for_an_hour_then_forgotten_with_moto_s_sessions(
        ) -> None:
    now, forgotten = [1_000_000.0], []
    exchange = _exchange(now, forgotten)
    first = _key(exchange)
    now[0] += 90 + EXPIRED_KEPT_S - 1  # expired, and still known
    status, body = _answer(exchange, first)
    assert status.startswith("400") and b"ExpiredToken" in body
    assert _key(exchange) and forgotten == []
    assert exchange.secret_of(first) is not None
    now[0] += 2  # past the hour: the next credentials issued sweep it away
    second = _key(exchange)
    assert forgotten == [{first}]
    assert exchange.secret_of(first) is None and exchange.secret_of(second) is not None
    # A key nobody knows goes on to moto, which refuses what it does not know either.
    assert _answer(exchange, first) == ("moto", b"passed on")


def test_forgetting_drops_moto_s_sessions_and_keys_and_keeps_the_others() -> None:
    import boto3
    from moto import mock_aws
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    from ecan.democloud.server import LocalCloudServer

    with mock_aws():
        sts = boto3.client("sts", region_name="us-east-1")
        keys = [sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/r",
                                RoleSessionName=f"s{i}")["Credentials"]["AccessKeyId"]
                for i in range(6)]
        sessions = sts_backends[ACCOUNT]["aws"].assumed_roles
        temporary = iam_backends[ACCOUNT]["aws"].access_keys
        assert [s.access_key_id for s in sessions] == keys and set(keys) <= set(temporary)
        LocalCloudServer()._forget_sessions({keys[0], keys[2], keys[5]})
        assert [s.access_key_id for s in sessions] == [keys[1], keys[3], keys[4]]
        assert not {keys[0], keys[2], keys[5]} & set(temporary)
        assert {keys[1], keys[3], keys[4]} <= set(temporary)
