#!/usr/bin/env python3
"""Sync benchmark on the path users take: a user signed in to the local demo cloud (Cognito user
pool + identity exchange + IAM-checked S3, `ecan.democloud`), `ecan sync` uploading N avatars
(1024x768 JPEG + 256 px PNG thumbnail each) after refreshing its session from the keyring; and,
against the same server with the same bytes, `rclone copy --transfers 8` and `aws s3 sync` with
the cloud's admin keys. Second rows: ecan with static keys (the admin keys, as an operator of an
S3-compatible store configures them), and `aws s3 sync` and `rclone copy` with a signed-in
identity's own temporary credentials (`aws-identity`, `rclone-identity`): what the server's
per-identity checks cost any client, ecan aside. rclone 1.60 sends `x-amz-acl: private` on every
PUT (it reads an empty `acl` setting as "private"), which S3 authorizes as
s3:PutObjectAcl too, a permission the deployed identities' policy does not grant; for
`rclone-identity` alone the bench adds it on the identity's own folder to the identities' role
(as an operator letting rclone in would), so each of its PUTs is checked for two actions where
ecan's need one. Then a no-op re-run of each. `ecan-engine`: the app's path, where the sync
engine is already running and signed in when avatars are imported: the same avatars queued in a
process that has opened the cloud, and the time its engine takes to upload them (no start-up, no
no-op row).

Every tool's cold run starts on a fresh server, in an order that rotates every rep. Each run also
records the server's own view: its CPU seconds and, per request kind, the time spent in the
identity exchange's checks and in moto. A run that does not finish (or leaves a different number
of objects) is an error, never a figure.

Goals (issue 23): ecan cold <= 0.7x rclone cold; ecan no-op <= 0.5x rclone no-op.
Two-way (issue 20, ecan signed in only): a second machine signs in as the same user (its first
sign-in restores the library), its no-op `ecan sync` (nothing to do on either side, the remote
check included), and the time from an import on the first machine to the picture in the second
machine's library (the first's `ecan sync`, then the second's). Goal: that no-op <= 0.5x rclone's.
Run: .venv/bin/python benchmarks/bench_sync.py [--avatars 150,1500] [--scale 15000] [--reps 3]
     [--tools ecan,ecan-static,ecan-engine,rclone,rclone-identity,aws,aws-identity]
     [--no-two-way]
     [--profile]"""

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
import struct
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / "out" / "cache" / "sync_corpus_1024"  # out/ is git-ignored
OUT = ROOT / "benchmarks" / "out" / "sync.json"
PROFILES = ROOT / "benchmarks" / "out" / "profiles"
AWS_VENV = ROOT / "benchmarks" / ".venv-awscli"
# Pinned: a new awscli release must not move the peer's figures (awscli pins its botocore).
AWSCLI = "awscli==1.46.3"
PYTHON = ROOT / ".venv" / "bin" / "python"
if not PYTHON.exists():
    PYTHON = Path(sys.executable)
BASE_IMAGES = 150  # distinct pictures; larger corpora are byte-distinct variants of them
# Real Cognito's credentials live 1 h; the demo cloud's default (90 s) would expire the
# identity credentials handed to rclone and aws (they cannot refresh them) during a long run
# (a cold 1,500 takes ~20 s, 15,000 a few minutes, with set-up: well inside the hour).
CREDENTIAL_TTL_S = 3600
SYNC_TIMEOUT_S = 1800
TOOLS = ("ecan", "ecan-static", "ecan-engine", "rclone", "rclone-identity", "aws",
         "aws-identity")
TWO_WAY = ("join", "noop_2way", "change")  # the second machine's figures (ecan only)

# The demo cloud, served in this child as `ecan demo-cloud` serves it (LocalCloudServer), with a
# timing layer around the identity exchange and around moto behind it. Not reniced (the product's
# server process is, to spare the window it serves): here it stands in for a remote service with
# CPUs of its own, and at nice 10 on a shared machine other people's load would set its speed.
# stdin: "stats" prints and resets the counters; EOF stops the server.
_CLOUD_CHILD = r"""
import cProfile, json, logging, pstats, sys, threading, time
import werkzeug.serving
from ecan.democloud.server import LocalCloudServer

stats, lock = {}, threading.Lock()
# The first request's start and the last one's end since the last "stats" (time.perf_counter is
# CLOCK_MONOTONIC, one clock for every process here): where a run's wall went.
span = [float("inf"), 0.0]
make_server = werkzeug.serving.make_server
# argv[2], when given: a folder for a deterministic CPU profile per request kind (each request's own
# cProfile, in its own thread: GIL waits are nobody's work), written at every "stats".
profile_dir = sys.argv[2] if len(sys.argv) > 2 else None
profiles, merged = {}, {}

def timed_server(host, port, app, **kw):
    # The identity exchange sits under the account flows (UserFlows): time moto behind it.
    exchange = app
    while not hasattr(exchange, "secret_of"):
        exchange = exchange._app
    inner, local = exchange._app, threading.local()
    def moto(environ, start_response):
        t, cpu = time.perf_counter(), time.thread_time()
        try:
            return inner(environ, start_response)
        finally:
            local.moto = time.perf_counter() - t
            local.moto_cpu = time.thread_time() - cpu
    exchange._app = moto
    def outer(environ, start_response):
        local.moto = local.moto_cpu = 0.0
        prof = cProfile.Profile(time.thread_time) if profile_dir else None
        cpu, t = time.thread_time(), time.perf_counter()
        try:
            if prof is not None:
                prof.enable()
            return app(environ, start_response)
        finally:
            if prof is not None:
                prof.disable()
            total, cpu = time.perf_counter() - t, time.thread_time() - cpu
            auth = environ.get("HTTP_AUTHORIZATION", "")
            who = "unsigned"
            if "Credential=" in auth:
                key = auth.partition("Credential=")[2].partition("/")[0]
                who = "identity" if exchange.secret_of(key) else "admin"
            target = environ.get("HTTP_X_AMZ_TARGET", "")
            what = target.rpartition(".")[2] if target else environ.get("REQUEST_METHOD", "?")
            with lock:
                span[0] = min(span[0], t); span[1] = max(span[1], t + total)
                s = stats.setdefault(f"{who} {what}", [0, 0.0, 0.0, 0.0, 0.0])
                s[0] += 1; s[1] += total; s[2] += local.moto; s[3] += cpu
                s[4] += local.moto_cpu
                if prof is not None:
                    profiles.setdefault(f"{who} {what}", []).append(prof)
    return make_server(host, port, outer, **kw)

werkzeug.serving.make_server = timed_server
# The server's garbage collections: seconds and count per generation, reset at every "stats".
import gc
collected = {"s": 0.0, "n": [0, 0, 0], "t": 0.0}
def on_gc(phase, info):
    if phase == "start":
        collected["t"] = time.perf_counter()
    else:
        collected["s"] += time.perf_counter() - collected["t"]
        collected["n"][info["generation"]] += 1
gc.callbacks.append(on_gc)
logging.basicConfig(level=logging.WARNING)
server = LocalCloudServer(0, int(sys.argv[1]))
info = server.start()
print(json.dumps(info.ready_document(None)), flush=True)
cpu0 = time.process_time()
for line in sys.stdin:
    with lock:
        if line.strip() == "reset":
            profiles.clear(); merged.clear()
        for kind, profs in profiles.items():
            for prof in profs:
                if kind in merged:
                    merged[kind].add(prof)
                else:
                    merged[kind] = pstats.Stats(prof)
            merged[kind].dump_stats(f"{profile_dir}/server-{kind.replace(' ', '-')}.pstats")
        profiles.clear()
        doc = {"cpu_s": time.process_time() - cpu0, "gc_s": round(collected["s"], 3),
               "first_request_t": span[0], "last_answer_t": span[1],
               "gc_n": list(collected["n"]), "requests": {
            k: {"n": v[0], "wall_s": round(v[1], 4), "moto_s": round(v[2], 4),
                "cpu_s": round(v[3], 4), "moto_cpu_s": round(v[4], 4)}
            for k, v in sorted(stats.items())}}
        stats.clear()
        span[:] = [float("inf"), 0.0]
        collected.update(s=0.0, n=[0, 0, 0])
    cpu0 = time.process_time()
    print(json.dumps(doc), flush=True)
server.stop()
"""


# `ecan-engine`: an app's sync engine, signed in and with the cloud opened (its first request
# made), then the corpus queued as an import queues it, then one drain of it, timed here.
# argv: the corpus's staging folder, a file with its shas. Prints the drain's seconds and outcome
# ({"drain_s", "synced", "failed", "remaining"}).
_ENGINE_CHILD = r"""
import json, os, sys, time
from pathlib import Path
sys.path.insert(0, str(Path.cwd() / "benchmarks"))
import bench_sync
from ecan.cli.context import open_app

app = open_app()
try:
    engine = app.engine
    cloud = engine.cloud.open()
    cloud.store.check_access(cloud.layout.root)  # credentials, the S3 client, a first request
    shas = json.loads(Path(sys.argv[2]).read_text())
    corpus = bench_sync.Corpus(len(shas), Path(sys.argv[1]), shas)
    bench_sync.fill_library(Path(os.environ["ECAN_HOME"]), corpus)
    t = time.perf_counter()
    result = engine.drain(timeout=bench_sync.SYNC_TIMEOUT_S)
    print(json.dumps({"drain_s": time.perf_counter() - t, "synced": result.synced,
                      "failed": result.failed, "remaining": result.remaining}))
finally:
    app.close()
"""

# -- the corpus --------------------------------------------------------------------------------

def base_corpus() -> list[tuple[bytes, bytes]]:
    """BASE_IMAGES (JPEG 1024x768 of ~100-170 KB, 256 px PNG thumbnail of ~70 KB), made once."""
    from PIL import Image, ImageFilter

    CACHE.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(42)
    pairs = []
    for i in range(BASE_IMAGES):
        o, t = CACHE / f"{i:04d}.jpg", CACHE / f"{i:04d}_thumb.png"
        alpha, quality = 0.15 + rnd.random() * 0.2, rnd.randint(85, 92)
        seed = rnd.randbytes(16)
        if not (o.exists() and t.exists()):
            w, h = 1024, 768
            noise = Image.frombytes("RGB", (w, h), random.Random(seed).randbytes(w * h * 3))
            base = Image.linear_gradient("L").resize((w, h)).convert("RGB")
            im = Image.blend(base, noise.filter(ImageFilter.BoxBlur(1)), alpha)
            buf = io.BytesIO()
            im.save(buf, "JPEG", quality=quality)
            o.write_bytes(buf.getvalue())
            th = im.copy()
            th.thumbnail((256, 256))
            th.save(t, "PNG")
        pairs.append((o.read_bytes(), t.read_bytes()))
    return pairs


def _jpeg_variant(data: bytes, tag: bytes) -> bytes:
    # A COM segment right after SOI: same picture, different bytes (and so a different sha256).
    return data[:2] + b"\xff\xfe" + struct.pack(">H", len(tag) + 2) + tag + data[2:]


def _png_variant(data: bytes, tag: bytes) -> bytes:
    body = b"tEXt" + b"bench\x00" + tag
    chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
    return data[:-12] + chunk + data[-12:]  # before IEND


@dataclass
class Corpus:
    """n avatars as files named as the cloud names them (`images/{sha}_original.jpg`,
    `images/{sha}_thumb.png`): the folder rclone and aws upload; ecan's libraries hard-link them."""

    n: int
    staging: Path
    shas: list[str] = field(default_factory=list)
    bytes: int = 0

    @classmethod
    def build(cls, n: int, work: Path, base: list[tuple[bytes, bytes]]) -> Corpus:
        corpus = cls(n, work / f"staging-{n}")
        images = corpus.staging / "images"
        images.mkdir(parents=True)
        for i in range(n):
            o, t = base[i % len(base)]
            if i >= len(base):
                tag = f"bench variant {i}".encode()
                o, t = _jpeg_variant(o, tag), _png_variant(t, tag)
            sha = hashlib.sha256(o).hexdigest()
            (images / f"{sha}_original.jpg").write_bytes(o)
            (images / f"{sha}_thumb.png").write_bytes(t)
            corpus.shas.append(sha)
            corpus.bytes += len(o) + len(t)
        return corpus

    def original(self, sha: str) -> Path:
        return self.staging / "images" / f"{sha}_original.jpg"

    def thumb(self, sha: str) -> Path:
        return self.staging / "images" / f"{sha}_thumb.png"


def fill_library(home: Path, corpus: Corpus) -> None:
    """The library as `ecan import` leaves it: files (hard links), rows and upload jobs."""
    sys.path.insert(0, str(ROOT))
    from ecan.accounts import account_paths, read_signed_in
    from ecan.db import Database
    from ecan.paths import AppPaths

    # Signed in, the library is the account's own (ECAN_HOME/accounts/...), not ECAN_HOME's.
    root = AppPaths.from_env({"ECAN_HOME": str(home)})
    account = read_signed_in(root)
    paths = (account_paths(root, account) if account else root.local_only()).ensure()
    Database(paths.database).dispose()  # the schema, if login has not made it yet
    conn = sqlite3.connect(paths.database, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    now = time.time()
    for i, sha in enumerate(corpus.shas):
        image, thumb = paths.uploaded / f"{sha}.jpg", paths.thumbnails / f"{sha}_256.png"
        os.link(corpus.original(sha), image)
        os.link(corpus.thumb(sha), thumb)
        avatar_id = uuid.uuid4().hex
        conn.execute(
            "INSERT INTO avatar (id, name, sha256, format, ext, mime_type, width, height, bytes, "
            "image_path, thumb_path, thumb_small_path, created_at, updated_at) "
            "VALUES (?, ?, ?, 'JPEG', 'jpg', 'image/jpeg', 1024, 768, ?, ?, ?, ?, ?, ?)",
            (avatar_id, f"photo {i}", sha, image.stat().st_size,
             str(image.relative_to(paths.home)), str(thumb.relative_to(paths.home)),
             str(thumb.relative_to(paths.home)), now, now))
        conn.execute("INSERT INTO outbox (kind, avatar_id, created_at, updated_at) "
                     "VALUES ('upload', ?, ?, ?)", (avatar_id, now, now))
    conn.execute("COMMIT")
    conn.close()


# -- the server ---------------------------------------------------------------------------------

class Cloud:
    """A fresh demo cloud in a child process, with its admin S3 client."""

    def __init__(self, profile_dir: Path | None = None) -> None:
        env = base_env() | {"PYTHONPATH": str(ROOT), "AWS_CONFIG_FILE": os.devnull,
                            "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
        args = [str(CREDENTIAL_TTL_S)] + ([str(profile_dir)] if profile_dir else [])
        self.proc = subprocess.Popen([str(PYTHON), "-c", _CLOUD_CHILD, *args],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     env=env)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit("the demo cloud did not start")
        self.info = json.loads(line)
        self.endpoint: str = self.info["endpoint"]
        self.bucket: str = self.info["bucket"]
        self.admin = self.info["admin"]
        self.user = self.info["users"][0]
        import boto3

        self.s3 = boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, region_name=self.info["region"],
            aws_access_key_id=self.admin["access_key_id"],
            aws_secret_access_key=self.admin["secret_access_key"])

    def stats(self, reset_profiles: bool = False) -> dict[str, Any]:
        """The server's CPU seconds and per-request timings since the last call (and, when
        profiling, the profiles so far written out; `reset_profiles`: dropped instead)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("reset\n" if reset_profiles else "stats\n")
        self.proc.stdin.flush()
        return dict(json.loads(self.proc.stdout.readline()))

    def count(self, prefix: str) -> int:
        """Objects under `prefix`, ecan's change journal (one entry per avatar) left out."""
        n = 0
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                     Prefix=prefix):
            n += sum(not o["Key"].startswith(f"{prefix}journal/")
                     for o in page.get("Contents", []))
        return n

    def identity_credentials(self) -> tuple[str, dict[str, str]]:
        """(identity id, its temporary keys) for the demo user, as any Cognito client gets them."""
        import boto3
        from botocore import UNSIGNED
        from botocore.config import Config

        session = boto3.session.Session()
        kw = {"endpoint_url": self.endpoint, "region_name": self.info["region"],
              "config": Config(signature_version=UNSIGNED)}
        idp, ident = session.client("cognito-idp", **kw), session.client("cognito-identity", **kw)
        token = idp.initiate_auth(
            ClientId=self.info["client_id"], AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": self.user["username"],
                            "PASSWORD": self.user["password"]})["AuthenticationResult"]["IdToken"]
        logins = {f"cognito-idp.{self.info['region']}.amazonaws.com/"
                  f"{self.info['user_pool_id']}": token}
        identity = ident.get_id(IdentityPoolId=self.info["identity_pool_id"],
                                Logins=logins)["IdentityId"]
        c = ident.get_credentials_for_identity(IdentityId=identity, Logins=logins)["Credentials"]
        return identity, {"key": c["AccessKeyId"], "secret": c["SecretKey"],
                          "token": c["SessionToken"]}

    def allow_object_acl(self) -> None:
        """Let signed-in identities set their own objects' ACLs (s3:PutObjectAcl on their own
        folder, an extra inline policy on the identities' role): rclone 1.60 sends
        `x-amz-acl: private` on every PUT and cannot be told not to."""
        import boto3

        kw = {"endpoint_url": self.endpoint, "region_name": self.info["region"],
              "aws_access_key_id": self.admin["access_key_id"],
              "aws_secret_access_key": self.admin["secret_access_key"]}
        session = boto3.session.Session()
        roles = session.client("cognito-identity", **kw).get_identity_pool_roles(
            IdentityPoolId=self.info["identity_pool_id"])["Roles"]
        own = "avatars/${cognito-identity.amazonaws.com:sub}/*"  # where the tools write
        session.client("iam", **kw).put_role_policy(
            RoleName=roles["authenticated"].rsplit("/", 1)[-1], PolicyName="bench-rclone-acl",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:PutObjectAcl",
                 "Resource": f"arn:aws:s3:::{self.bucket}/{own}"}]}))

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# -- the tools ----------------------------------------------------------------------------------

def base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("AWS_", "AVATAR_CLOUD_", "ECAN_", "RCLONE_", "R2_", "S3_",
                                 "PYTHON_KEYRING", "XDG_DATA_HOME"))}


def aws_cli() -> Path:
    aws, stamp = AWS_VENV / "bin" / "aws", AWS_VENV / ".pinned"
    if not aws.exists() or not stamp.exists() or stamp.read_text() != AWSCLI:
        print(f"creating benchmarks/.venv-awscli ({AWSCLI} from PyPI)...", flush=True)
        shutil.rmtree(AWS_VENV, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(AWS_VENV)], check=True)
        # Self-ignoring, as Python 3.13's venv does: never committed by accident.
        (AWS_VENV / ".gitignore").write_text("*\n")
        subprocess.run([str(AWS_VENV / "bin" / "pip"), "install", "-q", AWSCLI], check=True)
        stamp.write_text(AWSCLI)
    return aws


@dataclass
class Run:
    """One tool's set-up on one server: the command, its environment, where its objects go,
    and what a finished run prints (None: the exit status is enough)."""

    cmd: list[str]
    env: dict[str, str]
    prefix: str
    expect: int | None = None


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


class Timing(NamedTuple):
    wall: float  # seconds
    cpu: float  # CPU seconds of the tool's processes
    start: float  # time.perf_counter() when the tool was started, and when it had ended
    end: float
    stdout: str


def timed(run: Run, what: str, profile: Path | None = None) -> Timing:
    """How long one run took."""
    cmd = run.cmd
    if profile is not None:
        # On-CPU samples only: where the process spends its CPU, not where it waits.
        cmd = [str(ROOT / ".venv" / "bin" / "py-spy"), "record", "--nonblocking", "--threads",
               "-r", "250", "-f", "speedscope", "-o", str(profile), "--", *cmd]
    before = os.times()
    t = time.perf_counter()
    try:
        # cwd=ROOT: `python -m` puts the current folder first on sys.path, so another
        # checkout's ecan would be run from another folder whatever PYTHONPATH says.
        r = subprocess.run(cmd, env=run.env, capture_output=True, text=True,
                           timeout=SYNC_TIMEOUT_S, cwd=ROOT)
    except subprocess.TimeoutExpired:
        raise SystemExit(f"{what}: did not finish within {SYNC_TIMEOUT_S} s (an error, not a "
                         "figure)") from None
    ended = time.perf_counter()
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system
                                                           - before.children_system)
    if r.returncode != 0:
        raise SystemExit(f"{what} failed ({r.returncode}): {r.stderr[-2000:]}")
    if run.expect is not None:
        # The last JSON line (py-spy, when profiling, prints its own lines too).
        doc = json.loads([ln for ln in r.stdout.splitlines() if ln.startswith("{")][-1])
        # A cold run must sync every avatar (one that synced none once passed as a figure).
        if doc.get("remaining") or doc.get("failed") or doc.get("synced") != run.expect:
            raise SystemExit(f"{what} did not sync everything: {doc}")
    return Timing(ended - t, cpu, t, ended, r.stdout)


class Bench:
    def __init__(self, work: Path, aws: Path | None, two_way: bool = True) -> None:
        self.work = work
        self.aws = aws
        self.two_way = two_way
        # The keyring's file (PlaintextKeyring) goes here, not into the user's home.
        self.xdg = work / "xdg"
        self.xdg.mkdir()

    def ecan_home(self, cloud: Cloud, signed_in: bool, login_timeout: float = 120
                  ) -> tuple[Path, dict[str, str], str]:
        home = self.work / f"home-{uuid.uuid4().hex[:8]}"
        home.mkdir()
        env = base_env() | {
            "ECAN_HOME": str(home), "PYTHONPATH": str(ROOT), "XDG_DATA_HOME": str(self.xdg),
            "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
            "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
        config = {"STORAGE": {"BACKEND": "s3", "BUCKET": cloud.bucket,
                              "REGION": cloud.info["region"], "ENDPOINT_URL": cloud.endpoint,
                              "PATH_PREFIX": "avatars/"}}
        if signed_in:
            config["COGNITO"] = {"USER_POOL_ID": cloud.info["user_pool_id"],
                                 "CLIENT_ID": cloud.info["client_id"],
                                 "IDENTITY_POOL_ID": cloud.info["identity_pool_id"],
                                 "REGION": cloud.info["region"], "ENDPOINT_URL": cloud.endpoint}
        else:
            env |= {"AVATAR_CLOUD_ACCESS_KEY": cloud.admin["access_key_id"],
                    "AVATAR_CLOUD_SECRET_KEY": cloud.admin["secret_access_key"]}
        (home / "auth_config.yml").write_text(json.dumps(config))  # JSON is YAML
        prefix = "avatars/default/"
        if signed_in:
            r = subprocess.run([str(PYTHON), "-m", "ecan", "login", "--username",
                                cloud.user["username"], "--password-stdin", "--json"],
                               input=cloud.user["password"] + "\n", env=env, capture_output=True,
                               text=True, timeout=login_timeout, cwd=ROOT)
            if r.returncode != 0:
                raise SystemExit(f"ecan login failed: {r.stderr[-2000:]}")
            prefix = f"avatars/{json.loads(r.stdout)['identity_id']}/"
        return home, env, prefix

    def prepare(self, tool: str, cloud: Cloud, corpus: Corpus) -> Run:
        if tool == "ecan-engine":
            home, env, prefix = self.ecan_home(cloud, signed_in=True)
            shas = self.work / f"shas-{corpus.n}.json"
            shas.write_text(json.dumps(corpus.shas))
            return Run([str(PYTHON), "-c", _ENGINE_CHILD, str(corpus.staging), str(shas)], env,
                       prefix)
        if tool in ("ecan", "ecan-static"):
            home, env, prefix = self.ecan_home(cloud, signed_in=tool == "ecan")
            fill_library(home, corpus)
            return Run([str(PYTHON), "-m", "ecan", "sync", "--json", "--timeout",
                        str(SYNC_TIMEOUT_S)], env, prefix, expect=corpus.n)
        if tool in ("rclone", "rclone-identity"):
            env = base_env() | {
                "RCLONE_CONFIG": os.devnull, "RCLONE_CONFIG_BENCH_TYPE": "s3",
                "RCLONE_CONFIG_BENCH_PROVIDER": "Other",
                "RCLONE_CONFIG_BENCH_ENDPOINT": cloud.endpoint,
                "RCLONE_CONFIG_BENCH_REGION": cloud.info["region"]}
            env.pop("AWS_CA_BUNDLE", None)
            if tool == "rclone":
                prefix = "avatars/default/"
                env |= {"RCLONE_CONFIG_BENCH_ACCESS_KEY_ID": cloud.admin["access_key_id"],
                        "RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY":
                            cloud.admin["secret_access_key"]}
            else:
                cloud.allow_object_acl()
                identity, keys = cloud.identity_credentials()
                prefix = f"avatars/{identity}/"
                env |= {"RCLONE_CONFIG_BENCH_ACCESS_KEY_ID": keys["key"],
                        "RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY": keys["secret"],
                        "RCLONE_CONFIG_BENCH_SESSION_TOKEN": keys["token"]}
            return Run(["rclone", "copy", "--transfers", "8", str(corpus.staging),
                        f"bench:{cloud.bucket}/{prefix.rstrip('/')}"], env, prefix)
        if tool in ("aws", "aws-identity"):
            assert self.aws is not None
            env = base_env() | {
                "AWS_DEFAULT_REGION": cloud.info["region"], "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
            if tool == "aws":
                prefix = "avatars/default/"
                env |= {"AWS_ACCESS_KEY_ID": cloud.admin["access_key_id"],
                        "AWS_SECRET_ACCESS_KEY": cloud.admin["secret_access_key"]}
            else:
                identity, keys = cloud.identity_credentials()
                prefix = f"avatars/{identity}/"
                env |= {"AWS_ACCESS_KEY_ID": keys["key"], "AWS_SECRET_ACCESS_KEY": keys["secret"],
                        "AWS_SESSION_TOKEN": keys["token"]}
            return Run([str(self.aws), "--endpoint-url", cloud.endpoint, "s3", "sync",
                        "--only-show-errors", str(corpus.staging),
                        f"s3://{cloud.bucket}/{prefix.rstrip('/')}"], env, prefix)
        raise ValueError(tool)

    def cold_and_noop(self, tool: str, corpus: Corpus, profile: bool) -> dict[str, Any]:
        cloud = Cloud()
        try:
            run = self.prepare(tool, cloud, corpus)
            cloud.stats()  # set-up's requests (sign-in, restore check) are not the run's
            before = load()
            spy = None
            prof = None
            if profile and tool == "ecan":
                PROFILES.mkdir(parents=True, exist_ok=True)
                prof = PROFILES / f"ecan-sync-{corpus.n}.speedscope.json"
                spy = subprocess.Popen(
                    [str(ROOT / ".venv" / "bin" / "py-spy"), "record", "--nonblocking",
                     "--threads", "-r", "250", "-f", "speedscope", "-o",
                     str(PROFILES / f"server-{corpus.n}.speedscope.json"), "--pid",
                     str(cloud.proc.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(0.5)
            cold = timed(run, f"{tool} cold ({corpus.n})", prof)
            if spy is not None:
                spy.send_signal(2)
                spy.wait(30)
            server = cloud.stats()
            objects = cloud.count(run.prefix + "images/")
            # Original + thumbnail per avatar (ecan's metadata rides on the thumbnail; its
            # change journal, under journal/, is not counted).
            if objects != 2 * corpus.n:
                raise SystemExit(f"{tool} left {objects} objects under {run.prefix}, "
                                 f"not {2 * corpus.n}")
            if tool == "ecan-engine":  # the drain alone; the process's CPU includes its set-up
                done = json.loads(cold.stdout.strip().splitlines()[-1])
                if done["synced"] != corpus.n or done["failed"] or done["remaining"]:
                    raise SystemExit(f"{tool} did not sync everything: {done}")
                return {"cold": done["drain_s"], "cpu": cold.cpu, "server": server,
                        "load": before}
            run.expect = None if run.expect is None else 0
            noop = timed(run, f"{tool} no-op ({corpus.n})").wall
            # Where the cold run's wall went: the tool's start-up until its first request, the
            # requests, and after the last answer (its wind-down).
            phases = {"to_first_request": server["first_request_t"] - cold.start,
                      "requests": server["last_answer_t"] - server["first_request_t"],
                      "after_last_answer": cold.end - server["last_answer_t"]}
            out = {"cold": cold.wall, "noop": noop, "cpu": cold.cpu, "server": server,
                   "load": before, "phases": phases}
            if tool == "ecan" and self.two_way:
                out |= self.second_machine(cloud, corpus, run)
            return out
        finally:
            cloud.close()

    def second_machine(self, cloud: Cloud, corpus: Corpus, first: Run) -> dict[str, float]:
        """Two-way sync (issue 20): a second machine signs in as the same user (its first
        sign-in restores the library: `join`), then its no-op `ecan sync` with nothing to do
        on either side, the remote check (the journal's LIST) included (`noop_2way`); then one
        picture imported on the first machine and the time until the second machine's library
        has it: the first's `ecan sync` plus the second's (`change`)."""
        t = time.perf_counter()
        home, env, prefix = self.ecan_home(cloud, signed_in=True, login_timeout=SYNC_TIMEOUT_S)
        join = time.perf_counter() - t
        second = Run(first.cmd, env, prefix, expect=0)
        if self.count_avatars(env) != corpus.n:
            raise SystemExit(f"the second machine restored {self.count_avatars(env)} avatars, "
                             f"not {corpus.n}")
        timed(second, "ecan second machine's first sync")  # the journal cursor catches up
        noop_2way = timed(second, f"ecan no-op on the second machine ({corpus.n})").wall
        from PIL import Image

        # New pixels: the intake strips what _jpeg_variant adds, so a variant is no change.
        picture = self.work / f"new-{uuid.uuid4().hex[:8]}.jpg"
        Image.effect_noise((1024, 768), 60).convert("RGB").save(picture, "JPEG", quality=88)
        r = subprocess.run([str(PYTHON), "-m", "ecan", "import", str(picture), "--json"],
                           env=first.env, capture_output=True, text=True, timeout=120, cwd=ROOT)
        if r.returncode != 0:
            raise SystemExit(f"ecan import failed: {r.stderr[-2000:]}")
        t = time.perf_counter()
        timed(Run(first.cmd, first.env, first.prefix, expect=1), "ecan sync of one change")
        timed(second, "ecan sync bringing the change")
        change = time.perf_counter() - t
        if self.count_avatars(env) != corpus.n + 1:
            raise SystemExit("the change did not reach the second machine")
        return {"join": join, "noop_2way": noop_2way, "change": change}

    @staticmethod
    def count_avatars(env: dict[str, str]) -> int:
        r = subprocess.run([str(PYTHON), "-m", "ecan", "list", "--json"], env=env,
                           capture_output=True, text=True, timeout=300, cwd=ROOT)
        if r.returncode != 0:
            raise SystemExit(f"ecan list failed: {r.stderr[-2000:]}")
        doc = json.loads(r.stdout.strip().splitlines()[-1])
        return sum(1 for a in doc["avatars"] if a.get("resource_type") != "system")


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def summarize(times: dict[str, dict[str, list[Any]]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for tool, runs in times.items():
        out[tool] = {k: spread(v) for k, v in runs.items()
                     if k in ("cold", "noop", "cpu") + TWO_WAY and v}
        for phase in ("to_first_request", "requests", "after_last_answer"):
            if spans := [p[phase] for p in runs.get("phases", [])]:
                out[tool][phase] = spread(spans)
        if served := [s["cpu_s"] for s in runs.get("server", [])]:  # the cold runs' server CPU
            out[tool]["server_cpu"] = spread(served)
            # The tool's own share of a cold run: its wall minus the server's CPU, run by run.
            # The server's CPU for the same requests moves ~10% between runs and the walls
            # follow it; this share moves far less, so a change to the client shows in it.
            out[tool]["client_share"] = spread(
                [w - c for w, c in zip(runs["cold"], served, strict=True)])
    return out


def ratios(med: dict[str, Any]) -> dict[str, float]:
    r: dict[str, float] = {}

    def ratio(name: str, a: str, b: str, kind: str) -> None:
        if a in med and b in med and kind in med[a] and kind in med[b]:
            r[name] = round(med[a][kind]["median"] / med[b][kind]["median"], 3)

    for kind in ("cold", "noop"):
        ratio(f"ecan/rclone {kind}", "ecan", "rclone", kind)
        ratio(f"ecan/aws {kind}", "ecan", "aws", kind)
        ratio(f"ecan-static/rclone {kind}", "ecan-static", "rclone", kind)
    # The app's path: its engine already running and signed in (no start-up to pay).
    ratio("ecan-engine/rclone cold", "ecan-engine", "rclone", "cold")
    if "noop_2way" in med.get("ecan", {}) and "noop" in med.get("rclone", {}):
        r["ecan no-op after two-way/rclone noop"] = round(
            med["ecan"]["noop_2way"]["median"] / med["rclone"]["noop"]["median"], 3)
    ratio("ecan/aws-identity cold", "ecan", "aws-identity", "cold")
    ratio("aws-identity/aws cold", "aws-identity", "aws", "cold")
    # What the identity path costs the server with the same client (issue 23).
    ratio("rclone-identity/rclone cold", "rclone-identity", "rclone", "cold")
    ratio("ecan/rclone-identity cold", "ecan", "rclone-identity", "cold")
    # The least ecan/rclone can be on this server, whatever ecan's client does: the server's
    # CPU for ecan's own requests (one Python process: at most one core's worth of it runs at
    # a time) over rclone's whole cold run.
    if "server_cpu" in med.get("ecan", {}) and "cold" in med.get("rclone", {}):
        r["server floor: ecan's server CPU/rclone cold"] = round(
            med["ecan"]["server_cpu"]["median"] / med["rclone"]["cold"]["median"], 3)
    return r


def server_summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per request kind, the median run's counts and mean ms per request (wall, in moto, CPU,
    CPU in moto: the rest is the account flows' and the identity exchange's)."""
    kinds: dict[str, list[dict[str, float]]] = {}
    for s in runs:
        for k, v in s["requests"].items():
            kinds.setdefault(k, []).append(v)
    out: dict[str, Any] = {"cpu_s": statistics.median(s["cpu_s"] for s in runs)}
    for k, vs in kinds.items():
        n = sum(v["n"] for v in vs)
        out[k] = {"n_per_run": round(n / len(runs)),
                  "ms_wall": round(1000 * sum(v["wall_s"] for v in vs) / n, 2),
                  "ms_moto": round(1000 * sum(v["moto_s"] for v in vs) / n, 2),
                  "ms_cpu": round(1000 * sum(v["cpu_s"] for v in vs) / n, 2),
                  "ms_cpu_moto": round(1000 * sum(v.get("moto_cpu_s", 0.0) for v in vs) / n,
                                       2)}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--avatars", default="150,1500", help="workloads, comma-separated")
    ap.add_argument("--scale", type=int, default=15000,
                    help="one more workload, one rep, ecan and rclone only (0: none)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--no-two-way", action="store_true",
                    help="skip the second machine (join, its no-op, a change's way across)")
    ap.add_argument("--profile", action="store_true",
                    help="py-spy ecan's cold runs and the server (benchmarks/out/profiles/)")
    args = ap.parse_args()
    tools = [t for t in args.tools.split(",") if t]
    if unknown := set(tools) - set(TOOLS):
        ap.error(f"unknown tools: {', '.join(sorted(unknown))}")
    workloads = [(int(n), args.reps, tools) for n in args.avatars.split(",") if n]
    if args.scale:
        workloads.append((args.scale, 1, [t for t in tools if t in ("ecan", "rclone")]))
    if shutil.which("rclone") is None and any("rclone" in t for t in tools):
        raise SystemExit("rclone is not installed (apt-get install rclone; `make bench` does)")
    aws = aws_cli() if any(t.startswith("aws") for t in tools) else None
    # Byte-compile ecan as installing it does: a source checkout would otherwise recompile
    # modules on every run under PYTHONDONTWRITEBYTECODE and time the compiler.
    subprocess.run([str(PYTHON), "-m", "compileall", "-q", str(ROOT / "ecan")], check=True)
    base = base_corpus()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    result: dict[str, Any] = {"commit": commit, "credential_ttl_s": CREDENTIAL_TTL_S,
                              "load_start": load(), "workloads": {}}
    work = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    try:
        bench = Bench(work, aws, two_way=not args.no_two_way)
        for n, reps, wl_tools in workloads:
            corpus = Corpus.build(n, work, base)
            print(f"\n== {n} avatars, {2 * n} files, {corpus.bytes / 1e6:.0f} MB; "
                  f"{reps} rep(s) of {', '.join(wl_tools)}; load {load()}", flush=True)
            runs: dict[str, dict[str, list[Any]]] = {
                t: {"cold": [], "noop": [], "cpu": [], "server": [], "load": [], "phases": [],
                    **{k: [] for k in TWO_WAY}} for t in wl_tools}
            for rep in range(reps):
                k = rep % len(wl_tools)
                for tool in wl_tools[k:] + wl_tools[:k]:
                    r = bench.cold_and_noop(tool, corpus, args.profile and rep == 0)
                    for key in ("cold", "noop", "cpu", "server", "load", "phases") + TWO_WAY:
                        if key in r:
                            runs[tool][key].append(r[key])
                    noop = f"{r['noop']:6.2f} s" if "noop" in r else "     -  "
                    print(f"  rep {rep + 1} {tool:<16} cold {r['cold']:7.2f} s  no-op "
                          f"{noop}  CPU {r['cpu']:6.2f} s  server CPU "
                          f"{r['server']['cpu_s']:6.2f} s (GC {r['server'].get('gc_s', 0):.2f} s)  "
                          f"load {r['load']}", flush=True)
                    if "phases" in r:
                        print("    cold's wall: to the first request {to_first_request:.2f} s, "
                              "requests {requests:.2f} s, after the last answer "
                              "{after_last_answer:.2f} s".format(**r["phases"]), flush=True)
                    if "change" in r:
                        print(f"    second machine: join (sign-in restores) {r['join']:7.2f} s  "
                              f"no-op {r['noop_2way']:6.2f} s  one change across "
                              f"{r['change']:6.2f} s", flush=True)
            med = summarize(runs)
            rat = ratios(med)
            for tool in wl_tools:
                m = med[tool]
                line = (f"  {tool:<16} cold {m['cold']['median']:7.2f} s "
                        f"({m['cold']['min']:.2f}-{m['cold']['max']:.2f})")
                if "noop" in m:
                    line += f"  no-op {m['noop']['median']:6.2f} s"
                if "requests" in m:
                    line += (f"  (to the first request {m['to_first_request']['median']:.2f} s, "
                             f"requests {m['requests']['median']:.2f} s, after the last answer "
                             f"{m['after_last_answer']['median']:.2f} s)")
                if "client_share" in m:
                    line += f"  wall - server CPU {m['client_share']['median']:.3f} s"
                print(line)
            for name, v in rat.items():
                print(f"  {name:<44} {v:6.2f}x")
            result["workloads"][str(n)] = {
                "avatars": n, "bytes": corpus.bytes, "reps": reps, "runs": runs, "median": med,
                "ratios": rat, "server": {t: server_summary(runs[t]["server"])
                                          for t in wl_tools}}
            shutil.rmtree(corpus.staging)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["load_end"] = load()
    result["goals"] = {"ecan/rclone cold": 0.7, "ecan/rclone noop": 0.5}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2))
    print(f"\nwrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
