"""`DemoCloud`: the handle ecan, scripts and tests use to run the local cloud. The server runs in
a child process (`python -m ecan.democloud`) because moto's state and its IAM-enforcement switch
are process-global: a caller's own moto use (or a second cloud) never sees this one's."""

from __future__ import annotations

import importlib.util
import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from ecan.democloud.info import DemoCloudInfo
from ecan.democloud.server import moto_missing
from ecan.errors import UserFacingError

# The contract allows 15 s to start; more here leaves room for a busy machine.
START_TIMEOUT_S = 60.0
_STOP_TIMEOUT_S = 10.0
# Settings from the caller's environment that would change what moto or boto3 do in the child.
_DROP_ENV = ("AWS_", "MOTO_", "INITIAL_NO_AUTH_ACTION_COUNT", "TEST_SERVER_MODE")


class DemoCloud:
    """The local cloud: Cognito user pool + identity pool + S3 bucket on one moto server on
    127.0.0.1. `start()` is idempotent and returns once every resource exists; `stop()` (or
    leaving the `with` block) shuts it down. `credential_ttl_s` is how long identity
    credentials live (real: 1 h; default here 90 s so expiry is exercised)."""

    def __init__(self, port: int = 0, credential_ttl_s: int = 90,
                 region: str = "us-east-1") -> None:
        if credential_ttl_s < 1:
            raise ValueError("credential_ttl_s must be at least 1 second")
        self.port = port
        self.credential_ttl_s = credential_ttl_s
        self.region = region
        self._info: DemoCloudInfo | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    @property
    def info(self) -> DemoCloudInfo:
        if self._info is None:
            raise RuntimeError("DemoCloud.start() has not been called")
        return self._info

    @property
    def pid(self) -> int | None:
        """The server process, while it runs."""
        return self._proc.pid if self.running and self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> DemoCloudInfo:
        with self._lock:
            if self._info is not None and self.running:
                return self._info
            if self._proc is not None:  # the child died under us: start afresh
                self._abandon(self._proc)
            if importlib.util.find_spec("moto") is None:
                raise moto_missing()
            self._info = self._spawn()
            return self._info

    def stop(self) -> None:
        with self._lock:
            proc, self._proc = self._proc, None
            self._info = None
        if proc is None:
            return
        # Closing its stdin is the child's signal to stop (it also stops if we die).
        if proc.stdin is not None:
            try:
                proc.stdin.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()

    def write_config(self, path: str | Path) -> Path:
        """Write an `auth_config.yml` pointing at this cloud (no secrets); return its path."""
        return self.info.write_config(path)

    def admin_client(self, service: str) -> Any:
        """A boto3 client with the admin keys (full access), for tests and scripts."""
        import boto3

        info = self.info
        return boto3.session.Session().client(
            service, endpoint_url=info.endpoint, region_name=info.region,
            aws_access_key_id=info.admin.access_key_id,
            aws_secret_access_key=info.admin.secret_access_key)

    def __enter__(self) -> DemoCloud:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- the child ---------------------------------------------------------------------------

    def _spawn(self) -> DemoCloudInfo:
        env = {k: v for k, v in os.environ.items() if not k.startswith(_DROP_ENV)}
        # boto3 in the child must not read the user's AWS files either.
        env["AWS_CONFIG_FILE"] = os.devnull
        env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
        # -P and a fixed folder: `-m` would put the current folder first on the child's
        # sys.path, so a `logging.py` in the folder the caller started in would run here.
        cmd = [sys.executable, "-P", "-m", "ecan.democloud", "--port", str(self.port),
               "--credential-ttl", str(self.credential_ttl_s), "--region", self.region]
        # Its own session: a Ctrl+C meant for the caller reaches the caller, which then stops
        # the child in order (closing its stdin), instead of both racing to exit.
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                cwd=Path(__file__).resolve().parent,
                                start_new_session=os.name == "posix")
        self._proc = proc
        lines: queue.Queue[bytes] = queue.Queue()
        assert proc.stdout is not None
        stdout = proc.stdout
        # A thread, not select(): pipes cannot be select()ed on Windows.
        threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True,
                         name="democloud-ready").start()
        try:
            line = lines.get(timeout=START_TIMEOUT_S)
        except queue.Empty:
            self._abandon(proc)
            raise UserFacingError(
                "demo_cloud_timeout",
                f"The local demo cloud did not start within {START_TIMEOUT_S:.0f} s.",
                "The machine may be overloaded; try again, and see the messages above.") from None
        try:
            doc = json.loads(line)
        except ValueError:
            doc = None
        if not isinstance(doc, dict) or "endpoint" not in doc:
            self._abandon(proc)
            err = (doc or {}).get("error") if isinstance(doc, dict) else None
            if isinstance(err, dict):
                raise UserFacingError(err.get("code", "demo_cloud_failed"),
                                      err.get("message", "The local demo cloud failed."),
                                      err.get("hint", ""))
            raise UserFacingError("demo_cloud_failed", "The local demo cloud failed to start.",
                                  "See the messages above; run `ecan demo-cloud` to retry.")
        return DemoCloudInfo.from_document(doc)

    def _abandon(self, proc: subprocess.Popen[bytes]) -> None:
        self._proc = None
        proc.kill()
        proc.wait()
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                stream.close()
