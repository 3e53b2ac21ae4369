#!/usr/bin/env python3
"""The demo cloud's own cost per request (issue 23): N PUTs of the sync corpus's pictures
(~100-170 KB, with ChecksumSHA256 and metadata, as ecan sends them), made by boto3 once with a
signed-in identity's temporary credentials into `avatars/{identity}/` and once with the cloud's
admin keys into `avatars/default/`, against the server `bench_sync.py` starts (`ecan demo-cloud`'s
LocalCloudServer with its timing layer). Prints, per kind, the server's CPU ms per request (the
handling thread's time.thread_time) and what of it moto took; the median over the reps, whose
order alternates. `--profile` also writes a deterministic per-kind cProfile of the server
(benchmarks/out/profiles/server-<kind>.pstats; each handling thread profiled on its own, so GIL
waits are not counted as anyone's work, which py-spy on this server does).

Run: .venv/bin/python benchmarks/bench_server.py [--puts 300] [--reps 3] [--threads 8] [--profile]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_sync import PROFILES, Cloud, base_corpus, load  # noqa: E402


def client(cloud: Cloud, key: str, secret: str, token: str | None, pool: int) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3", endpoint_url=cloud.endpoint, region_name=cloud.info["region"],
        aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token,
        config=Config(max_pool_connections=pool, retries={"max_attempts": 1}))


def put_all(s3: Any, bucket: str, prefix: str, bodies: list[bytes], threads: int) -> float:
    def put(i: int) -> None:
        body = bodies[i % len(bodies)]
        digest = hashlib.sha256(body).digest()
        s3.put_object(Bucket=bucket, Key=f"{prefix}images/bench-{i:05d}.jpg", Body=body,
                      ContentType="image/jpeg", Metadata={"sha256": digest.hex()},
                      ChecksumSHA256=base64.b64encode(digest).decode())

    t = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(put, range(len(bodies))))
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--puts", type=int, default=300)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    originals = [o for o, _ in base_corpus()]
    bodies = [originals[i % len(originals)] for i in range(args.puts)]
    if args.profile:
        PROFILES.mkdir(parents=True, exist_ok=True)
    cloud = Cloud(profile_dir=PROFILES if args.profile else None)
    try:
        identity, keys = cloud.identity_credentials()
        who = {"identity": (client(cloud, keys["key"], keys["secret"], keys["token"],
                                   args.threads), f"avatars/{identity}/"),
               "admin": (client(cloud, cloud.admin["access_key_id"],
                                cloud.admin["secret_access_key"], None, args.threads),
                         "avatars/default/")}
        for s3, prefix in who.values():  # warm: connections, moto's first-request imports
            put_all(s3, cloud.bucket, prefix, bodies[:16], args.threads)
        cloud.stats(reset_profiles=True)
        per: dict[str, list[tuple[float, float, float]]] = {k: [] for k in who}
        print(f"{args.puts} PUTs per run, {args.threads} threads; load {load()}")
        for rep in range(args.reps):
            order = list(who) if rep % 2 == 0 else list(reversed(who))
            for kind in order:
                s3, prefix = who[kind]
                wall = put_all(s3, cloud.bucket, prefix, bodies, args.threads)
                s = cloud.stats()["requests"][f"{kind} PUT"]
                per[kind].append((1000 * s["cpu_s"] / s["n"],
                                  1000 * (s["cpu_s"] - s["moto_cpu_s"]) / s["n"], wall))
                print(f"  rep {rep + 1} {kind:<8} server CPU {per[kind][-1][0]:5.2f} ms/PUT "
                      f"(before moto {per[kind][-1][1]:5.3f} ms)  client wall {wall:5.2f} s")
        for kind, rows in per.items():
            print(f"  {kind:<8} median server CPU {statistics.median(r[0] for r in rows):5.2f} "
                  f"ms/PUT, of it before moto (account flows, identity exchange) "
                  f"{statistics.median(r[1] for r in rows):5.3f} ms/PUT, "
                  f"client wall {statistics.median(r[2] for r in rows):5.2f} s")
        print(f"load {load()}")
    finally:
        cloud.close()
    if args.profile:
        print(f"profiles in {PROFILES}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
