#!/usr/bin/env python3
"""Sync benchmark: 150 avatars (original JPEG ~200-400 KB + 256 px PNG thumbnail) to a fresh
bucket on a local moto server with `ecan sync`, and the same bytes with `rclone copy
--transfers 8` and `aws s3 sync`; then a no-op re-run of each. Several repetitions, median and
spread, ratios against rclone; JSON to benchmarks/out/sync.json.

Goals: ecan cold <= 0.7x rclone cold; ecan no-op <= 0.5x rclone no-op.
Run: .venv/bin/python benchmarks/bench_sync.py [--reps N] [--avatars N]"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / "out" / "cache" / "sync_corpus"  # out/ is git-ignored
OUT = ROOT / "benchmarks" / "out" / "sync.json"
AWS_VENV = ROOT / "benchmarks" / ".venv-awscli"
# The repository's own venv when it has one; else the interpreter running this script (a git
# worktree shares the main checkout's venv and runs its own code through PYTHONPATH).
PYTHON = ROOT / ".venv" / "bin" / "python"
if not PYTHON.exists():
    PYTHON = Path(sys.executable)
KEY_ID, SECRET = "bench-key", "bench-secret"

_MOTO_CHILD = """
import logging, sys
logging.getLogger("werkzeug").setLevel(logging.ERROR)
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()
server.stop()
"""


def make_corpus(n: int) -> list[tuple[Path, Path]]:
    """n JPEGs of ~200-400 KB and their 256 px PNG thumbnails, made once and cached."""
    from PIL import Image

    originals, thumbs = CACHE / "originals", CACHE / "thumbs"
    originals.mkdir(parents=True, exist_ok=True)
    thumbs.mkdir(parents=True, exist_ok=True)
    pairs = []
    rnd = random.Random(42)
    for i in range(n):
        o, t = originals / f"{i:04d}.jpg", thumbs / f"{i:04d}_thumb.png"
        if not (o.exists() and t.exists()):
            w, h = 640, 480
            noise = Image.frombytes("RGB", (w, h), rnd.randbytes(w * h * 3))
            base = Image.linear_gradient("L").resize((w, h)).convert("RGB")
            im = Image.blend(base, noise, 0.5 + rnd.random() * 0.5)
            buf = io.BytesIO()
            im.save(buf, "JPEG", quality=rnd.randint(85, 95))
            o.write_bytes(buf.getvalue())
            th = im.copy()
            th.thumbnail((256, 256))
            th.save(t, "PNG")
        pairs.append((o, t))
    return pairs


class Moto:
    def __init__(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
        self.proc = subprocess.Popen([str(PYTHON), "-c", _MOTO_CHILD], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)
        assert self.proc.stdout is not None
        self.endpoint = f"http://127.0.0.1:{int(self.proc.stdout.readline())}"
        import boto3

        self.s3 = boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                               aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET)

    def bucket(self) -> str:
        name = f"bench-{uuid.uuid4().hex[:10]}"
        self.s3.create_bucket(Bucket=name)
        return name

    def count(self, bucket: str) -> int:
        n = 0
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            n += len(page.get("Contents", []))
        return n

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(10)


def ecan_home(base: Path, pairs: list[tuple[Path, Path]]) -> Path:
    """A library holding the corpus, as `ecan import` leaves it: files + rows + upload jobs."""
    sys.path.insert(0, str(ROOT))
    from ecan.db import Database
    from ecan.paths import AppPaths

    paths = AppPaths(base / f"home-{uuid.uuid4().hex[:6]}").ensure()
    db = Database(paths.database)
    conn = sqlite3.connect(db.path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    now = time.time()
    for i, (o, t) in enumerate(pairs):
        data = o.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        image, thumb = paths.uploaded / f"{sha}.jpg", paths.thumbnails / f"{sha}_256.png"
        shutil.copyfile(o, image)
        shutil.copyfile(t, thumb)
        avatar_id = uuid.uuid4().hex
        conn.execute(
            "INSERT INTO avatar (id, name, sha256, format, ext, mime_type, width, height, bytes, "
            "image_path, thumb_path, thumb_small_path, created_at, updated_at) "
            "VALUES (?, ?, ?, 'JPEG', 'jpg', 'image/jpeg', 640, 480, ?, ?, ?, ?, ?, ?)",
            (avatar_id, f"photo {i}", sha, len(data), str(image.relative_to(paths.home)),
             str(thumb.relative_to(paths.home)), str(thumb.relative_to(paths.home)), now, now))
        conn.execute("INSERT INTO outbox (kind, avatar_id, created_at, updated_at) "
                     "VALUES ('upload', ?, ?, ?)", (avatar_id, now, now))
    conn.execute("COMMIT")
    conn.close()
    db.dispose()
    return paths.home


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed ({r.returncode}): {r.stderr[-2000:]}")
    return elapsed


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "AVATAR_CLOUD_", "ECAN_", "RCLONE_", "R2_", "S3_"))}
    return env


def aws_cli() -> Path:
    aws = AWS_VENV / "bin" / "aws"
    if not aws.exists():
        print("creating benchmarks/.venv-awscli (awscli from PyPI)...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(AWS_VENV)], check=True)
        # Self-ignoring, as Python 3.13's venv does: never committed by accident.
        (AWS_VENV / ".gitignore").write_text("*\n")
        subprocess.run([str(AWS_VENV / "bin" / "pip"), "install", "-q", "awscli"], check=True)
    return aws


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--avatars", type=int, default=150)
    ap.add_argument("--concurrency", type=int, default=None,
                    help="ecan's SYNC.CONCURRENCY (default: ecan's own default)")
    args = ap.parse_args()
    pairs = make_corpus(args.avatars)
    total = sum(o.stat().st_size + t.stat().st_size for o, t in pairs)
    print(f"corpus: {len(pairs)} avatars, {2 * len(pairs)} files, {total / 1e6:.1f} MB")
    aws = aws_cli()
    # Byte-compile ecan as installing it does (pip compiles a wheel's modules; the aws CLI's
    # venv was installed that way): under PYTHONDONTWRITEBYTECODE a source checkout would
    # otherwise recompile every module on every run and time the compiler.
    subprocess.run([str(PYTHON), "-m", "compileall", "-q", str(ROOT / "ecan")], check=True)
    work = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    staging = work / "staging"  # the same bytes, as a folder for rclone / aws
    (staging / "images").mkdir(parents=True)
    for o, t in pairs:
        sha = hashlib.sha256(o.read_bytes()).hexdigest()
        shutil.copyfile(o, staging / "images" / f"{sha}_original.jpg")
        shutil.copyfile(t, staging / "images" / f"{sha}_thumb.png")
    times: dict[str, list[float]] = {k: [] for k in (
        "ecan_cold", "ecan_noop", "rclone_cold", "rclone_noop", "aws_cold", "aws_noop")}

    # Each tool's command for one bucket: the real programs, as a user runs them (process
    # start-up included).
    def ecan_command(moto: Moto, bucket: str) -> tuple[list[str], dict[str, str]]:
        home = ecan_home(work, pairs)
        env = base_env() | {
            "ECAN_HOME": str(home), "AVATAR_CLOUD_BUCKET": bucket,
            "AVATAR_CLOUD_REGION": "us-east-1", "AVATAR_CLOUD_ENDPOINT_URL": moto.endpoint,
            "AVATAR_CLOUD_ACCESS_KEY": KEY_ID, "AVATAR_CLOUD_SECRET_KEY": SECRET,
            "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
        if args.concurrency:
            (home / "auth_config.yml").write_text(
                f"SYNC:\n  CONCURRENCY: {args.concurrency}\n", encoding="utf-8")
        # ROOT's code, whichever venv runs it (an installed `ecan` script may point at
        # another checkout).
        env["PYTHONPATH"] = str(ROOT)
        return [str(PYTHON), "-m", "ecan", "sync", "--json"], env

    def rclone_command(moto: Moto, bucket: str) -> tuple[list[str], dict[str, str]]:
        renv = base_env() | {
            "RCLONE_CONFIG_BENCH_TYPE": "s3", "RCLONE_CONFIG_BENCH_PROVIDER": "Other",
            "RCLONE_CONFIG_BENCH_ACCESS_KEY_ID": KEY_ID,
            "RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY": SECRET,
            "RCLONE_CONFIG_BENCH_ENDPOINT": moto.endpoint,
            "RCLONE_CONFIG_BENCH_REGION": "us-east-1", "RCLONE_CONFIG": "/dev/null"}
        renv.pop("AWS_CA_BUNDLE", None)
        return ["rclone", "copy", "--transfers", "8", str(staging),
                f"bench:{bucket}/avatars/default"], renv

    def aws_command(moto: Moto, bucket: str) -> tuple[list[str], dict[str, str]]:
        aenv = base_env() | {
            "AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET,
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
        return [str(aws), "--endpoint-url", moto.endpoint, "s3", "sync", "--only-show-errors",
                str(staging), f"s3://{bucket}/avatars/default"], aenv

    def cold_and_noop(name: str, moto: Moto) -> tuple[float, float]:
        bucket = moto.bucket()
        cmd, env = tools[name](moto, bucket)
        cold = timed(cmd, env)
        objects = moto.count(bucket)
        # Original + thumbnail per avatar (ecan's metadata rides on the thumbnail), for all.
        assert objects == 2 * len(pairs), f"{name} left {objects} objects"
        return cold, timed(cmd, env)

    tools = {"ecan": ecan_command, "rclone": rclone_command, "aws": aws_command}
    names = list(tools)
    try:
        for rep in range(args.reps):
            # Each tool on a fresh server (moto slows down as it holds more objects: ten cold
            # runs in a row on one server went from 1.45 s to 2.55 s), and each tool takes
            # each place in the order once every three reps (the machine drifts too).
            for name in names[rep % 3:] + names[:rep % 3]:
                moto = Moto()
                try:
                    cold, noop = cold_and_noop(name, moto)
                finally:
                    moto.close()
                times[f"{name}_cold"].append(cold)
                times[f"{name}_noop"].append(noop)
            print(f"rep {rep + 1}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in times.items()),
                  flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    med = {k: statistics.median(v) for k, v in times.items()}
    spread = {k: (min(v), max(v)) for k, v in times.items()}
    print(f"\n{'run':<12}{'median s':>10}{'min':>8}{'max':>8}")
    for k in times:
        print(f"{k:<12}{med[k]:>10.3f}{spread[k][0]:>8.3f}{spread[k][1]:>8.3f}")
    ratios = {
        "ecan_cold/rclone_cold": med["ecan_cold"] / med["rclone_cold"],
        "ecan_noop/rclone_noop": med["ecan_noop"] / med["rclone_noop"],
        "ecan_cold/aws_cold": med["ecan_cold"] / med["aws_cold"],
        "ecan_noop/aws_noop": med["ecan_noop"] / med["aws_noop"],
    }
    # All three write 2 objects per avatar (ecan's metadata rides on the thumbnail); before that
    # ecan wrote a third (a metadata JSON), and this line compared per object written.
    ratios["ecan_cold/rclone_cold per object"] = (med["ecan_cold"] / 2) / (med["rclone_cold"] / 2)
    goals = {"ecan_cold/rclone_cold": 0.7, "ecan_noop/rclone_noop": 0.5}
    print()
    for k, v in ratios.items():
        goal = ""
        if k in goals:
            goal = f"  (goal <= {goals[k]}: {'met' if v <= goals[k] else 'MISSED'})"
        print(f"{k:<34}{v:6.2f}x{goal}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "avatars": len(pairs), "bytes": total, "reps": args.reps, "times": times,
        "median": med, "min_max": spread, "ratios": ratios, "goals": goals,
        "note": "all upload the 2 image files per avatar (ecan's metadata rides on the "
                "thumbnail as user metadata); ecan also sends each object's SHA-256 checksum.",
    }
    OUT.write_text(json.dumps(result, indent=2))
    print(f"\nwrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
