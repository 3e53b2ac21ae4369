"""A credential fetch that met an unreachable sign-in service answers the threads queued behind
it the same, at once, for FETCH_FAILED_HOLD_S: each used to wait out its own network timeout in
turn (three threads of `ecan sync` against a frozen cloud: 30 s instead of 10)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from ecan.auth import session as session_mod
from ecan.auth.secrets import MemoryKeyring
from ecan.auth.session import AuthNetworkError, AuthService
from ecan.config import CognitoConfig, Config
from ecan.db import Database


def test_threads_behind_a_fetch_that_met_no_answer_hear_so_at_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = Config(cognito=CognitoConfig(user_pool_id="us-east-1_x", client_id="c",
                                          identity_pool_id="us-east-1:p", region="us-east-1",
                                          endpoint_url="http://127.0.0.1:9"))
    auth = AuthService(config, Database(tmp_path / "ecan.sqlite3"),
                       keyring_backend=MemoryKeyring())
    tries: list[float] = []
    one_at_a_time = threading.Lock()  # as botocore's refresh lock queues its callers

    def silent_service(self: AuthService) -> dict[str, Any]:
        tries.append(time.monotonic())
        time.sleep(0.3)  # (a network timeout, shortened)
        raise AuthNetworkError("http://127.0.0.1:9")

    monkeypatch.setattr(AuthService, "_exchange", silent_service)
    heard: list[str] = []

    def fetch() -> None:
        with one_at_a_time:
            try:
                auth._fetch_credentials()
            except AuthNetworkError as e:
                heard.append(e.code)

    threads = [threading.Thread(target=fetch) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert heard == ["network"] * 3 and len(tries) == 1
    # Once the hold is over, the service is asked again (it may be back).
    monkeypatch.setattr(session_mod, "FETCH_FAILED_HOLD_S", 0.0)
    fetch()
    assert len(tries) == 2
