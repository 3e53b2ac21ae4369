#!/usr/bin/env python3
"""Offline idle benchmark: how much CPU the sync engine uses while the cloud is gone and it waits
(probing with back-off), per second of wall time: once against the in-memory store twin set
offline, once against the S3 backend behind the fault proxy resetting every connection.
JSON to benchmarks/out/offline.json.

Goal: <= 0.1 s of CPU per second while offline (no busy loop; probes only).
Run: .venv/bin/python benchmarks/bench_offline.py [--seconds S] [--reps N]"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.faultproxy
OUT = ROOT / "benchmarks" / "out" / "offline.json"
GOAL_CPU_PER_S = 0.1


def _measure(make_store: Callable[[], Any], set_online: Callable[[bool], None], seconds: float,
             avatars: int) -> float:
    """CPU seconds per wall second while the engine waits offline with `avatars` jobs queued."""
    from ecan.config import SyncConfig
    from ecan.db import Database
    from ecan.paths import AppPaths
    from ecan.sync.engine import SyncEngine
    from ecan.sync.events import StateChanged, SyncEvent
    from ecan.sync.testing import CloudTwin, write_avatar

    with tempfile.TemporaryDirectory() as tmp:
        paths = AppPaths(Path(tmp) / "home").ensure()
        db = Database(paths.database)
        for i in range(avatars):
            write_avatar(paths, db.path, seed=i)
        engine = SyncEngine(db, paths, CloudTwin(make_store(), identity="default"),
                            SyncConfig(concurrency=8), retry_base=0.2, retry_cap=2.0,
                            probe_max=2.0)
        offline = threading.Event()

        def on_event(e: SyncEvent) -> None:
            if isinstance(e, StateChanged) and not e.online:
                offline.set()

        set_online(False)
        t = threading.Thread(target=engine.drain, kwargs={"timeout": seconds + 60,
                                                          "on_event": on_event})
        t.start()
        try:
            if not offline.wait(60):
                raise RuntimeError("the engine never noticed it was offline")
            cpu, wall = time.process_time(), time.monotonic()
            time.sleep(seconds)
            per_s = (time.process_time() - cpu) / (time.monotonic() - wall)
        finally:
            set_online(True)
            engine.stop(timeout=1)
            t.join(60)
            engine.close()
        return per_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--avatars", type=int, default=12)
    args = parser.parse_args()

    from ecan.config import StorageConfig
    from ecan.paths import AppPaths
    from ecan.storage.errors import TransientStorageError
    from ecan.storage.factory import make_blob_store
    from ecan.storage.memory import MemoryBlobStore
    from tests.faultproxy import FaultProxy

    memory = MemoryBlobStore()

    def memory_online(on: bool) -> None:
        memory.offline = None if on else (
            lambda: TransientStorageError("endpoint_unreachable", "offline", ""))

    proxy = FaultProxy("http://127.0.0.1:9")  # never reached: `down` resets every connection

    def s3_store() -> Any:
        with tempfile.TemporaryDirectory() as tmp:
            config = StorageConfig(backend="s3", bucket="offline-bench", region="us-east-1",
                                   endpoint_url=proxy.url, access_key="k", secret_key="s")
            return make_blob_store(config, AppPaths(Path(tmp)), max_connections=8,
                                   max_attempts=2, connect_timeout=2, read_timeout=10)

    def s3_online(on: bool) -> None:
        proxy.down = not on

    results: dict[str, Any] = {}
    try:
        for name, make, switch in (("memory", lambda: memory, memory_online),
                                   ("s3_via_proxy", s3_store, s3_online)):
            runs = [_measure(make, switch, args.seconds, args.avatars) for _ in range(args.reps)]
            results[name] = {"cpu_s_per_s": round(statistics.median(runs), 4),
                             "min": round(min(runs), 4), "max": round(max(runs), 4)}
            print(f"{name}: {results[name]['cpu_s_per_s']:.4f} s CPU per s offline "
                  f"({results[name]['min']:.4f}-{results[name]['max']:.4f})", flush=True)
    finally:
        proxy.close()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"seconds": args.seconds, "reps": args.reps,
                               "goal_cpu_s_per_s": GOAL_CPU_PER_S, "results": results},
                              indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
