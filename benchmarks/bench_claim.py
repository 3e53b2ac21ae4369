"""How long one outbox claim takes with N ready jobs (the sync engine claims once per job, so a
claim that grows with the queue makes a whole run grow as its square). Prints ms per claim.
Run: .venv/bin/python benchmarks/bench_claim.py [--ready 1500,15000] [--claims 50]"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from ecan.db import Database
from ecan.db.database import connect
from ecan.db.sync_state import Outbox
from ecan.paths import AppPaths

IN_FLIGHT = 16  # the engine's default concurrency: claims skip avatars already in flight


def per_claim_ms(ready: int, claims: int) -> float:
    home = Path(tempfile.mkdtemp(prefix="ecan-bench-claim-"))
    try:
        paths = AppPaths(home).ensure()
        Database(paths.database).dispose()  # the schema, migrations included
        conn = connect(paths.database)
        now = time.time()
        conn.execute("BEGIN")
        for i in range(ready + IN_FLIGHT + claims):
            conn.execute(
                "INSERT INTO avatar (id, name, resource_type, sha256, format, ext, mime_type, "
                "width, height, bytes, original_filename, image_path, thumb_path, "
                "thumb_small_path, animated, sync_state, tags, description, created_at, "
                "updated_at) VALUES (?, ?, 'uploaded', ?, 'PNG', 'png', 'image/png', 1, 1, 1, "
                "'x', 'a', 'b', 'c', 0, 'queued', '[]', '', ?, ?)",
                (f"a{i}", f"n{i}", f"{i:064d}", now, now))
            conn.execute("INSERT INTO outbox (kind, avatar_id, payload, status, attempts, "
                         "next_attempt_at, created_at, updated_at) VALUES "
                         "('upload', ?, '{}', 0, 0, 0, ?, ?)", (f"a{i}", now, now))
        conn.execute("COMMIT")
        conn.close()
        outbox = Outbox(paths.database)
        for _ in range(IN_FLIGHT):
            outbox.claim()
        started = time.perf_counter()
        for _ in range(claims):
            assert outbox.claim() is not None
        elapsed = time.perf_counter() - started
        outbox.close()
        return elapsed / claims * 1000
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ready", default="1500,15000")
    parser.add_argument("--claims", type=int, default=50)
    args = parser.parse_args()
    for ready in (int(n) for n in args.ready.split(",")):
        print(f"{ready} ready, {IN_FLIGHT} in flight: {per_claim_ms(ready, args.claims):.2f} ms "
              "per claim")


if __name__ == "__main__":
    main()
