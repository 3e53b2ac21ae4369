"""`ecan doctor` against real storage: static keys on a moto server, a local folder, and the
Cognito demo cloud before and after sign-in; each failure names the setting and the fix."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest

from ecan.cli.main import main
from tests.contract.motoserver import moto_server

NAMES = ["config", "sign_in", "credentials", "bucket", "write_probe", "clock", "isolation"]
SECRET = "doctor-secret-value-0123456789"


@pytest.fixture(scope="module")
def moto_bucket() -> Iterator[tuple[str, str]]:
    with moto_server() as endpoint:
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="admin", aws_secret_access_key="admin")
        s3.create_bucket(Bucket="doctor-bucket")
        yield endpoint, "doctor-bucket"


def doctor(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, dict[str, Any]], str]:
    code = main(["doctor", "--json"])
    captured = capsys.readouterr()
    checks = json.loads(captured.out)["checks"]
    assert [c["name"] for c in checks] == NAMES
    assert SECRET not in captured.out + captured.err
    return code, {c["name"]: c for c in checks}, captured.out


def static_env(monkeypatch: pytest.MonkeyPatch, endpoint: str, bucket: str) -> None:
    monkeypatch.setenv("AVATAR_CLOUD_BUCKET", bucket)
    monkeypatch.setenv("AVATAR_CLOUD_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AVATAR_CLOUD_ACCESS_KEY", "doctor-key")
    monkeypatch.setenv("AVATAR_CLOUD_SECRET_KEY", SECRET)


def test_all_green_with_static_keys(clean_env: dict[str, str], moto_bucket: tuple[str, str],
                                    monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    endpoint, bucket = moto_bucket
    static_env(monkeypatch, endpoint, bucket)
    code, checks, _ = doctor(capsys)
    assert code == 0, checks
    assert all(c["ok"] for c in checks.values())
    assert "storage mode static" in checks["config"]["detail"]
    assert "doctor-bucket" in checks["bucket"]["detail"]
    assert "avatars/default/doctor/probe-" in checks["write_probe"]["detail"]
    # Shared static keys cannot keep users apart by themselves: doctor says whose job it is.
    assert "the bucket operator's policy" in checks["isolation"]["detail"]
    # The probe cleaned up after itself.
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="admin", aws_secret_access_key="admin")
    assert s3.list_objects_v2(Bucket=bucket, Prefix="avatars/default/doctor/")["KeyCount"] == 0
    assert SECRET not in (Path(clean_env["ECAN_HOME"]) / "logs" / "ecan.log").read_text()


def test_missing_bucket_fails_naming_it(clean_env: dict[str, str], moto_bucket: tuple[str, str],
                                        monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    static_env(monkeypatch, moto_bucket[0], "no-such-bucket")
    code, checks, _ = doctor(capsys)
    assert code == 1
    assert checks["credentials"]["ok"]
    bucket = checks["bucket"]
    assert not bucket["ok"] and "no-such-bucket" in bucket["detail"]
    assert "AVATAR_CLOUD_BUCKET" in bucket["hint"]
    assert checks["write_probe"] == {
        "name": "write_probe", "ok": False, "hint": "", "skipped": True,
        "detail": "not checked, because the bucket access check did not pass"}


def test_human_table_shows_the_fix(clean_env: dict[str, str], moto_bucket: tuple[str, str],
                                   monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    static_env(monkeypatch, moto_bucket[0], "no-such-bucket")
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] Bucket access" in out and "fix: Check STORAGE.BUCKET" in out
    assert "[ ok ] Cloud credentials" in out
    # A check that could not run is not a second failure.
    assert "[skip] Write and read back" in out and "4 of 7 checks passed, 2 not checked." in out


def test_local_only_says_how_to_configure_a_cloud(clean_env: dict[str, str],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, checks, _ = doctor(capsys)
    assert code == 1
    assert checks["config"]["ok"] and "storage mode none" in checks["config"]["detail"]
    assert not checks["credentials"]["ok"]
    assert "AVATAR_CLOUD_BUCKET" in checks["credentials"]["hint"]
    assert checks["clock"]["skipped"] and "cloud credentials check" in checks["clock"]["detail"]


def test_bucket_without_credentials_names_the_missing_settings(
        clean_env: dict[str, str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVATAR_CLOUD_BUCKET", "some-bucket")
    code, checks, _ = doctor(capsys)
    assert code == 1
    assert not checks["config"]["ok"] and "AVATAR_CLOUD_ACCESS_KEY" in checks["config"]["hint"]
    assert checks["credentials"]["skipped"]
    assert "configuration check" in checks["credentials"]["detail"]


def test_local_folder_backend_passes(ecan_home: Path, capsys: pytest.CaptureFixture[str],
                                     tmp_path: Path) -> None:
    ecan_home.mkdir(parents=True, exist_ok=True)
    folder = tmp_path / "shared-folder"
    (ecan_home / "auth_config.yml").write_text(
        f"STORAGE:\n  BACKEND: local\n  LOCAL_PATH: {folder}\n")
    code, checks, _ = doctor(capsys)
    assert code == 0, checks
    assert str(folder) in checks["bucket"]["detail"]
    assert checks["clock"]["detail"].startswith("not applicable")
    assert checks["isolation"]["detail"].startswith("not applicable")
    assert not list((folder / "avatars").rglob("probe-*"))


def test_malformed_config_exits_2_naming_the_key(clean_env: dict[str, str],
                                                 ecan_home: Path) -> None:
    ecan_home.mkdir(parents=True, exist_ok=True)
    (ecan_home / "auth_config.yml").write_text("STORAGE:\n  BUCKET: doctor-bucket\n  REGON: x\n")
    r = subprocess.run([sys.executable, "-m", "ecan", "doctor", "--json"], capture_output=True,
                       text=True, env=clean_env, timeout=60)
    assert r.returncode == 2
    config, *rest = json.loads(r.stdout)["checks"]
    assert not config["ok"] and "STORAGE.REGON" in config["detail"] and config["hint"]
    assert all(c["skipped"] and "configuration check" in c["detail"] for c in rest)
    assert "Traceback" not in r.stderr


def test_cognito_before_and_after_sign_in(cloud_env: dict[str, str], demo_user: Any) -> None:
    from ecan.app import build_app
    from ecan.auth.secrets import MemoryKeyring
    from ecan.doctor import run_checks

    app = build_app(cloud_env, keyring_backend=MemoryKeyring())
    try:
        before = {c.name: c for c in run_checks(app)}
        assert not before["sign_in"].ok and "ecan login" in before["sign_in"].hint
        assert before["credentials"].skipped and "sign-in check" in before["credentials"].detail
        app.auth.sign_in(demo_user.username, demo_user.password)
        after = {c.name: c for c in run_checks(app)}
        assert all(c.ok for c in after.values()), after
        identity = app.auth.status()["identity_id"]
        assert demo_user.username in after["sign_in"].detail
        assert "storage mode cognito" in after["config"].detail
        assert "expire at" in after["credentials"].detail
        assert f"avatars/{identity}/doctor/probe-" in after["write_probe"].detail
    finally:
        app.close()


class _SkewedS3(BaseHTTPRequestHandler):
    """A bucket whose clock is 10 minutes slow: lists (empty), refuses writes."""

    protocol_version = "HTTP/1.1"

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)  # its Date header comes from date_time_string below
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        self._send(200, b"<?xml version='1.0' encoding='UTF-8'?><ListBucketResult>"
                        b"<Name>skewed-bucket</Name><KeyCount>0</KeyCount>"
                        b"<IsTruncated>false</IsTruncated></ListBucketResult>")

    def do_PUT(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._send(403, b"<Error><Code>AccessDenied</Code><Message>no</Message></Error>")

    do_DELETE = do_HEAD = do_PUT

    def date_time_string(self, timestamp: float | None = None) -> str:
        return formatdate(time.time() - 600, usegmt=True)

    def log_message(self, *args: Any) -> None:
        pass


def test_clock_skew_and_a_refused_write_each_say_what_to_do(
        clean_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SkewedS3)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        static_env(monkeypatch, f"http://127.0.0.1:{server.server_address[1]}", "skewed-bucket")
        code, checks, _ = doctor(capsys)
    finally:
        server.shutdown()
        server.server_close()
    assert code == 1
    assert checks["bucket"]["ok"]
    probe = checks["write_probe"]
    assert not probe["ok"] and "s3:PutObject" in probe["hint"]
    clock = checks["clock"]
    assert not clock["ok"] and "ahead of the storage service" in clock["detail"], clock
    assert "NTP" in clock["hint"]


def test_unreachable_endpoint_is_named(clean_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{sock.getsockname()[1]}"
    static_env(monkeypatch, endpoint, "doctor-bucket")
    code, checks, _ = doctor(capsys)
    assert code == 1
    bucket = checks["bucket"]
    assert not bucket["ok"] and endpoint in bucket["detail"]
    assert "network" in bucket["hint"] and "ENDPOINT_URL" in bucket["hint"]
