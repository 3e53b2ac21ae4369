"""The sync engine with real Cognito credentials from the local demo cloud: temporary keys that
expire (and are refreshed) in the middle of a batch, and a session lost mid-batch, which pauses
the queue and fails nothing."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path
from typing import Any

from ecan.auth.cloud import CloudAccess
from ecan.auth.secrets import MemoryKeyring
from ecan.auth.session import AuthService
from ecan.config import CognitoConfig, Config, StorageConfig, SyncConfig
from ecan.db import Database
from ecan.paths import AppPaths
from ecan.sync.engine import SyncEngine
from ecan.sync.events import JobFailed, StateChanged, SyncEvent
from ecan.sync.testing import write_avatar


def _setup(cloud_: Any, tmp_path: Path, n: int, size: int
           ) -> tuple[AppPaths, Database, AuthService, CloudAccess, SyncEngine]:
    info = cloud_.info
    config = Config(
        cognito=CognitoConfig(user_pool_id=info.user_pool_id, client_id=info.client_id,
                              identity_pool_id=info.identity_pool_id, region=info.region,
                              endpoint_url=info.endpoint, auth_flow="USER_PASSWORD_AUTH"),
        storage=StorageConfig(backend="s3", bucket=info.bucket, region=info.region,
                              endpoint_url=info.endpoint),
        sync=SyncConfig(concurrency=4))
    paths = AppPaths(tmp_path / "home").ensure()
    db = Database(paths.database)
    rnd = random.Random(n)
    for i in range(n):
        write_avatar(paths, db.path, seed=i, original=rnd.randbytes(size))
    auth = AuthService(config, db, keyring_backend=MemoryKeyring())
    user = info.users[0]
    auth.sign_in(user.username, user.password)
    access = CloudAccess(config, paths, auth)
    engine = SyncEngine(db, paths, access, config.sync, auth=auth, retry_base=0.2,
                        retry_cap=2.0, probe_max=2.0)
    return paths, db, auth, access, engine


def test_credentials_expiring_mid_batch_fail_nothing(make_demo_cloud: Any,
                                                     tmp_path: Path) -> None:
    cloud_ = make_demo_cloud(credential_ttl_s=3)
    paths, db, auth, access, engine = _setup(cloud_, tmp_path, 30, 40_000)
    # ~1.2 MB at 200 KB/s: the batch spans several 3 s credential lifetimes.
    engine.set_bandwidth_limit(200)
    events: list[SyncEvent] = []
    try:
        result = engine.drain(timeout=60, on_event=events.append)
    finally:
        engine.close()
    assert (result.synced, result.failed, result.remaining) == (30, 0, 0)
    assert not [e for e in events if isinstance(e, JobFailed)]
    calls = auth.identity_calls()
    assert calls >= 2, calls  # the credentials really were renewed mid-batch
    identity = auth.identity_id()
    store = access.open().store
    keys = [o.key for o in store.list(f"avatars/{identity}/images/")]
    assert len(keys) == 60


def test_session_lost_mid_batch_pauses_then_resumes_after_sign_in(make_demo_cloud: Any,
                                                                  tmp_path: Path) -> None:
    cloud_ = make_demo_cloud(credential_ttl_s=90)
    paths, db, auth, access, engine = _setup(cloud_, tmp_path, 20, 40_000)
    engine.set_bandwidth_limit(150)
    events: list[SyncEvent] = []
    box: dict[str, Any] = {}
    t = threading.Thread(target=lambda: box.update(r=engine.drain(timeout=60,
                                                                  on_event=events.append)))
    t.start()
    deadline = time.monotonic() + 20
    while sum(1 for e in events if type(e).__name__ == "JobFinished") < 3:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    auth.sign_out()  # the session is gone: the user signed out (a choice, not an expiry)
    t.join(60)
    first = box["r"]
    assert first.failed == 0 and first.remaining > 0
    assert any(isinstance(e, StateChanged) and e.signed_out for e in events)
    assert not any(isinstance(e, StateChanged) and e.auth_required for e in events)
    assert not [e for e in events if isinstance(e, JobFailed) and e.retry_at is None]
    status = engine.status()
    assert status["signed_out"] and status["counts"]["failed"] == 0
    user = cloud_.info.users[0]
    auth.sign_in(user.username, user.password)
    engine.set_bandwidth_limit(0)
    engine.wake()
    second = engine.drain(timeout=60)
    engine.close()
    assert second.failed == 0 and second.remaining == 0
    assert first.synced + second.synced == 20
