"""The sync engine against a real S3 (moto server on 127.0.0.1) through the fault proxy: flaky
requests, the server gone for a while, two processes on one library, kill -9 mid-sync."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ecan.config import StorageConfig, SyncConfig
from ecan.db import Database
from ecan.paths import AppPaths
from ecan.storage.factory import make_blob_store
from ecan.sync import avatar_meta
from ecan.sync.engine import SyncEngine
from ecan.sync.events import StateChanged, SyncEvent
from ecan.sync.testing import CloudTwin, write_avatar
from tests.contract.motoserver import moto_server
from tests.faultproxy import FaultProxy

KEYS: dict[str, str] = {"access_key": "testing-key", "secret_key": "testing-secret"}


@pytest.fixture(scope="module")
def moto() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


def s3_client(endpoint: str) -> Any:
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=KEYS["access_key"],
                        aws_secret_access_key=KEYS["secret_key"])


@pytest.fixture
def bucket(moto: str) -> str:
    name = f"sync-{uuid.uuid4().hex[:12]}"
    s3_client(moto).create_bucket(Bucket=name)
    return name


@pytest.fixture
def proxy(moto: str) -> Iterator[FaultProxy]:
    with FaultProxy(moto, seed=7) as p:
        yield p


def storage(bucket: str, endpoint: str) -> StorageConfig:
    return StorageConfig(backend="s3", bucket=bucket, region="us-east-1", endpoint_url=endpoint,
                         access_key=KEYS["access_key"], secret_key=KEYS["secret_key"])


def bucket_objects(endpoint: str, bucket: str) -> dict[str, bytes]:
    c = s3_client(endpoint)
    out = {}
    for page in c.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for o in page.get("Contents", []):
            if "/journal/" in o["Key"]:
                continue  # the change journal other machines pull from: not the library's
            out[o["Key"]] = c.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
    return out


def assert_bucket_holds_library_once(endpoint: str, bucket: str, db_path: Path,
                                     home: Path) -> None:
    """Every avatar exactly once: original + thumbnail (carrying the metadata), byte-identical,
    no extras."""
    import sqlite3

    conn = sqlite3.connect(db_path)
    rows = conn.execute("SELECT sha256, ext, image_path, thumb_path, sync_state FROM avatar"
                        ).fetchall()
    conn.close()
    objects = bucket_objects(endpoint, bucket)
    assert len(objects) == 2 * len(rows)
    for sha, ext, image, thumb, state in rows:
        assert state == "synced"
        root = f"avatars/{'default'}/"
        original = objects[f"{root}images/{sha}_original.{ext}"]
        assert hashlib.sha256(original).hexdigest() == sha
        assert original == (home / image).read_bytes()
        assert objects[f"{root}images/{sha}_thumb.png"] == (home / thumb).read_bytes()
        head = s3_client(endpoint).head_object(Bucket=bucket, Key=f"{root}images/{sha}_thumb.png")
        meta = avatar_meta.decode(head["Metadata"].get(avatar_meta.FIELD))
        assert meta is not None and meta["sha256"] == sha


def library(tmp_path: Path, n: int, size: int = 50_000) -> tuple[AppPaths, Database]:
    paths = AppPaths(tmp_path / "home").ensure()
    db = Database(paths.database)
    rnd = random.Random(n)
    for i in range(n):
        write_avatar(paths, db.path, seed=i, original=rnd.randbytes(size))
    return paths, db


def engine_for(paths: AppPaths, db: Database, config: StorageConfig, **kw: Any) -> SyncEngine:
    store = make_blob_store(config, paths, max_connections=8, max_attempts=2,
                            connect_timeout=2, read_timeout=10)
    return SyncEngine(db, paths, CloudTwin(store, identity="default"), SyncConfig(concurrency=8),
                      retry_base=0.2, retry_cap=2.0, probe_max=2.0, **kw)


def test_flaky_server_everything_syncs_once(tmp_path: Path, moto: str, bucket: str,
                                            proxy: FaultProxy) -> None:
    paths, db = library(tmp_path, 30)
    proxy.fail_rate = 0.2
    proxy.faults = ("500", "500", "reset", "reset", "stall")
    proxy.stall_s = 0.5  # then a reset: a request that hangs and dies
    engine = engine_for(paths, db, storage(bucket, proxy.url))
    try:
        result = engine.drain(timeout=60)
    finally:
        engine.close()
    assert (result.synced, result.failed, result.remaining) == (30, 0, 0)
    assert sum(proxy.injected.values()) > 10  # the faults really happened
    assert_bucket_holds_library_once(moto, bucket, db.path, paths.home)
    # No object was uploaded twice (a retry finds it there by checksum and skips it).
    image_puts = {p: n for (m, p), n in proxy.forwarded.items() if m == "PUT" and "/images/" in p}
    assert len(image_puts) == 60 and set(image_puts.values()) == {1}
    import sqlite3

    conn = sqlite3.connect(db.path)
    attempts = [r[0] for r in conn.execute("SELECT attempts FROM outbox")]
    conn.close()
    assert max(attempts) <= 6, attempts


def test_server_gone_for_a_while_waits_then_syncs(tmp_path: Path, moto: str, bucket: str,
                                                  proxy: FaultProxy) -> None:
    """While the server is gone the engine only probes (no job is tried), and it syncs everything
    once the server is back. (Its CPU use meanwhile: benchmarks/bench_offline.py.)"""
    import sqlite3

    def attempts() -> int:
        conn = sqlite3.connect(db.path)
        try:
            return int(conn.execute("SELECT SUM(attempts) FROM outbox").fetchone()[0])
        finally:
            conn.close()

    paths, db = library(tmp_path, 12)
    engine = engine_for(paths, db, storage(bucket, proxy.url))
    proxy.down = True
    events: list[SyncEvent] = []
    box: dict[str, Any] = {}
    t = threading.Thread(target=lambda: box.update(r=engine.drain(timeout=60,
                                                                  on_event=events.append)))
    t.start()
    try:
        deadline = time.monotonic() + 30
        while not any(isinstance(e, StateChanged) and not e.online for e in events):
            assert time.monotonic() < deadline, "never noticed the server was gone"
            time.sleep(0.1)
        tried, knocks = attempts(), proxy.connections
        while proxy.connections < knocks + 2:  # it keeps probing...
            assert time.monotonic() < deadline + 30, "stopped probing"
            time.sleep(0.1)
        assert attempts() == tried  # ...and runs no job meanwhile
        assert proxy.requests == 0  # every connection was reset before a request got through
        proxy.down = False
        t.join(60)
        assert not t.is_alive()
    finally:
        proxy.down = False
        t.join(60)
        engine.close()
    result = box["r"]
    assert (result.synced, result.failed, result.remaining) == (12, 0, 0)
    assert_bucket_holds_library_once(moto, bucket, db.path, paths.home)


def _cli_env(home: Path, bucket: str, endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "AVATAR_CLOUD_", "ECAN_", "R2_", "S3_"))}
    env.update(ECAN_HOME=str(home), AVATAR_CLOUD_BUCKET=bucket, AVATAR_CLOUD_REGION="us-east-1",
               AVATAR_CLOUD_ENDPOINT_URL=endpoint, AVATAR_CLOUD_ACCESS_KEY=KEYS["access_key"],
               AVATAR_CLOUD_SECRET_KEY=KEYS["secret_key"],
               AWS_CONFIG_FILE=str(home / "no-aws-config"),
               AWS_SHARED_CREDENTIALS_FILE=str(home / "no-aws-credentials"))
    return env


def _ecan(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ecan", *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_kill_9_mid_sync_then_a_clean_run_leaves_each_avatar_once(
        tmp_path: Path, moto: str, bucket: str, proxy: FaultProxy) -> None:
    paths, db = library(tmp_path, 40, size=80_000)
    proxy.latency_s = 0.03  # long enough for kills to land mid-upload
    env = _cli_env(paths.home, bucket, proxy.url)
    rnd = random.Random(5)
    for _ in range(4):
        proc = subprocess.Popen([sys.executable, "-m", "ecan", "sync", "--json"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rnd.uniform(0.5, 1.5))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    proxy.latency_s = 0
    r = _ecan("sync", "--json", env=env)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["failed"] == 0 and out["remaining"] == 0
    assert "Traceback" not in r.stderr
    assert_bucket_holds_library_once(moto, bucket, db.path, paths.home)
    status = json.loads(_ecan("status", "--json", env=env).stdout)
    assert status["counts"] == {"local": 0, "queued": 0, "syncing": 0, "synced": 40, "failed": 0,
                                "system": 0}
    # The no-op run: nothing to push, and the cloud is checked in three requests whatever the
    # library's size (O(changes), not O(library)): the change journal's LIST, the published
    # system avatars' manifest (a GET, 404 here) and the generation history's LIST.
    before = proxy.requests
    r = _ecan("sync", "--json", env=env)
    assert r.returncode == 0 and json.loads(r.stdout) == {
        "synced": 0, "pulled": 0, "removed": 0, "failed": 0, "remaining": 0}
    assert proxy.requests - before <= 3


def test_two_processes_on_one_library_upload_each_object_once(
        tmp_path: Path, moto: str, bucket: str, proxy: FaultProxy) -> None:
    paths, db = library(tmp_path, 40)
    proxy.latency_s = 0.01
    env = _cli_env(paths.home, bucket, proxy.url)
    procs = [subprocess.Popen([sys.executable, "-m", "ecan", "sync", "--json"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=90) for p in procs]
    results = [json.loads(o[0]) for o in outs]
    assert sum(r["synced"] for r in results) == 40, outs
    assert all(r["failed"] == 0 for r in results)
    image_puts = {p: n for (m, p), n in proxy.forwarded.items() if m == "PUT" and "/images/" in p}
    assert len(image_puts) == 80 and set(image_puts.values()) == {1}
    assert_bucket_holds_library_once(moto, bucket, db.path, paths.home)


def test_access_denied_style_errors_fail_with_a_hint(tmp_path: Path, moto: str) -> None:
    paths, db = library(tmp_path, 2)
    engine = engine_for(paths, db, storage("no-such-bucket-here", moto))
    try:
        result = engine.drain(timeout=20)
    finally:
        engine.close()
    assert (result.synced, result.failed) == (0, 2)
    import sqlite3

    conn = sqlite3.connect(db.path)
    errors = conn.execute("SELECT sync_error, sync_hint FROM avatar").fetchall()
    conn.close()
    assert all("no-such-bucket-here" in e + h for e, h in errors), errors
