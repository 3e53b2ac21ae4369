"""What one S3 PUT costs a Python client: a bare botocore S3 client signed in as a demo-cloud
identity puts the sync bench's pictures (100-170 KB, with ChecksumSHA256 and metadata, as ecan
sends them) from 16 and 8 threads; then ecan's own store (S3BlobStore.put_bytes, whose small
PUTs go straight on http.client: ecan.storage.s3direct) the same way. This process's CPU per
PUT is the floor under ecan's cold sync once the server is not the bound (compare with
bench_sync's ecan client CPU over its PUT count).

Run: .venv/bin/python benchmarks/bench_put_cost.py [--puts 300]"""

from __future__ import annotations

import argparse
import base64
import hashlib
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_sync as bench  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--puts", type=int, default=300)
    args = ap.parse_args()
    import botocore.session
    from botocore.config import Config

    cloud = bench.Cloud()
    try:
        identity, keys = cloud.identity_credentials()
        s3 = botocore.session.get_session().create_client(
            "s3", endpoint_url=cloud.endpoint, region_name=cloud.info["region"],
            aws_access_key_id=keys["key"], aws_secret_access_key=keys["secret"],
            aws_session_token=keys["token"],
            config=Config(s3={"addressing_style": "path"}, max_pool_connections=32,
                          retries={"mode": "standard"}))
        bodies = [original for original, _thumb in bench.base_corpus()]

        def put(i: int) -> None:
            data = bodies[i % len(bodies)]
            sha = hashlib.sha256(data).digest()
            s3.put_object(Bucket=cloud.bucket, Key=f"avatars/{identity}/images/{i}_original.jpg",
                          Body=data, ContentType="image/jpeg", Metadata={"sha256": sha.hex()},
                          ChecksumSHA256=base64.b64encode(sha).decode())

        from ecan.config import StorageConfig
        from ecan.storage.factory import static_session
        from ecan.storage.s3 import S3BlobStore

        session = static_session(StorageConfig())
        session.set_credentials(keys["key"], keys["secret"], keys["token"])
        store = S3BlobStore(session, cloud.bucket, endpoint_url=cloud.endpoint,
                            region=cloud.info["region"], max_connections=32)

        def put_ecan(i: int) -> None:
            store.put_bytes(f"avatars/{identity}/images/{i}_ecan.jpg", bodies[i % len(bodies)],
                            content_type="image/jpeg")

        for name, one in (("botocore put_object", put), ("ecan put_bytes (direct)", put_ecan)):
            one(0)  # the connection pool and the first request's lazy set-up
            for threads in (16, 8):
                cpu, wall = time.process_time(), time.perf_counter()
                with ThreadPoolExecutor(threads) as pool:
                    list(pool.map(one, range(1, args.puts + 1)))
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                print(f"{name}, {threads} threads: {args.puts} PUTs in {wall:.2f} s, "
                      f"client CPU {1000 * cpu / args.puts:.2f} ms per PUT")
    finally:
        cloud.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
