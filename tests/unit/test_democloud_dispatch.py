"""The local cloud's request dispatcher (moto's, with its host lookup remembered): every request
still reaches the service moto's own dispatcher picks, and the lookup that listed moto's package
folder on every request (~1 ms of the server's CPU per request, under one lock) runs once per
host. And its connection threads: reused from one connection to the next, yet never a
connection left waiting for a busy one."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
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


# -- connection threads --------------------------------------------------------------------------

def _serve(app: Any) -> Any:
    from werkzeug.serving import make_server

    from ecan.democloud.server import _reuse_threads

    server = make_server("127.0.0.1", 0, app, threaded=True)
    _reuse_threads(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _get(server: Any, path: str) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}{path}",
                                timeout=10) as resp:
        return str(resp.read().decode())


def test_one_connection_after_another_is_served_on_the_same_thread() -> None:
    # werkzeug closes every connection after its one request: a thread per connection was a
    # thread start per request.
    threads: list[threading.Thread] = []  # the objects: a finished thread's id is reused

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        threads.append(threading.current_thread())
        if environ["PATH_INFO"] == "/fail":
            raise RuntimeError("a bug in the app")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["PATH_INFO"].encode()]

    server = _serve(app)
    try:
        for i in range(20):
            if i == 5:  # a failing request answers 500 and leaves the thread serving
                with pytest.raises(urllib.error.HTTPError):
                    _get(server, "/fail")
            assert _get(server, f"/{i}") == f"/{i}"
            time.sleep(0.05)  # werkzeug holds each finished connection ~10 ms
    finally:
        server.shutdown()
        server.server_close()
    assert len(threads) == 21
    # (A loaded machine may not have freed the last thread in time now and then.)
    assert len({id(t) for t in threads}) <= 10


def test_a_request_waiting_for_another_one_gets_a_thread_of_its_own() -> None:
    # The identity exchange calls the server it runs in (its role and STS calls): with every
    # thread busy, the next connection must still be served, never queued behind them.
    inner_done = threading.Event()
    server: Any = None

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["PATH_INFO"].startswith("/outer"):
            body = _get(server, "/inner")  # while this thread waits
            start_response("200 OK", [])
            return [f"outer+{body}".encode()]
        inner_done.set()
        start_response("200 OK", [])
        return [b"inner"]

    server = _serve(app)
    try:
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda i: _get(server, f"/outer{i}"), range(4)))
    finally:
        server.shutdown()
        server.server_close()
    assert answers == ["outer+inner"] * 4 and inner_done.is_set()
