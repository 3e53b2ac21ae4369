"""The local cloud's request dispatcher (moto's, with its host lookup remembered): every request
still reaches the service moto's own dispatcher picks, and the lookup that listed moto's package
folder on every request (~1 ms of the server's CPU per request, under one lock) runs once per
host."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("moto.moto_server.werkzeug_app")


def _signed(service: str, region: str = "us-east-1", **extra: str) -> dict[str, Any]:
    return {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "HTTP_HOST": "127.0.0.1:5000",
            "HTTP_AUTHORIZATION": f"AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/{region}/"
                                  f"{service}/aws4_request, SignedHeaders=host, Signature=00",
            **extra}


REQUESTS: list[dict[str, Any]] = [
    _signed("s3") | {"REQUEST_METHOD": "PUT", "PATH_INFO": "/ecan-demo/avatars/x/a.jpg"},
    _signed("s3", "eu-west-1") | {"REQUEST_METHOD": "GET", "PATH_INFO": "/ecan-demo"},
    _signed("iam"),
    _signed("sts"),
    _signed("cognito-identity"),
    _signed("no-such-service"),
    {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "HTTP_HOST": "127.0.0.1:5000",
     "HTTP_X_AMZ_TARGET": "AWSCognitoIdentityProviderService.InitiateAuth"},
    {"REQUEST_METHOD": "POST", "PATH_INFO": "/moto-api/reset-auth",
     "HTTP_HOST": "127.0.0.1:5000"},
    {"REQUEST_METHOD": "GET", "PATH_INFO": "/us-east-1_abc/.well-known/jwks.json",
     "HTTP_HOST": "127.0.0.1:5000"},
]


def test_requests_reach_the_service_moto_picks_and_each_host_is_looked_up_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from moto import backends
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    from ecan.democloud.server import moto_dispatcher

    def service_of(name: Any) -> Any:  # stands in for the service's Flask app
        return f"app:{name}"

    expected = [DomainDispatcherApplication(service_of).get_application(dict(e))
                for e in REQUESTS]
    assert "app:s3" in expected and "app:iam" in expected

    listings = 0
    listing = backends.list_of_moto_modules

    def counted() -> Any:
        nonlocal listings
        listings += 1
        return listing()

    monkeypatch.setattr(backends, "list_of_moto_modules", counted)
    dispatcher = moto_dispatcher(service_of)
    for _ in range(3):
        assert [dispatcher.get_application(dict(e)) for e in REQUESTS] == expected
    first_round = listings
    for _ in range(20):
        dispatcher.get_application(dict(REQUESTS[0]))
    assert listings == first_round  # the repeated S3 PUT lists nothing
    assert first_round <= len(REQUESTS) + 2  # once per distinct host, not per request
