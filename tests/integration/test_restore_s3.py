"""End to end through the CLI on a real S3 (moto): import on machine A, sync, bind an agent,
delete one avatar; then `ecan restore` on an empty machine B rebuilds the library."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.contract.motoserver import moto_server

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "ecan" / "assets" / "samples"


@pytest.fixture(scope="module")
def moto() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


def _env(home: Path, bucket: str, endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "AVATAR_CLOUD_", "ECAN_", "R2_", "S3_"))}
    env.update(ECAN_HOME=str(home), AVATAR_CLOUD_BUCKET=bucket, AVATAR_CLOUD_REGION="us-east-1",
               AVATAR_CLOUD_ENDPOINT_URL=endpoint, AVATAR_CLOUD_ACCESS_KEY="k",
               AVATAR_CLOUD_SECRET_KEY="s", AWS_CONFIG_FILE=str(home / "none"),
               AWS_SHARED_CREDENTIALS_FILE=str(home / "none"))
    return env


def ecan(env: dict[str, str], *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    r = subprocess.run([sys.executable, "-m", "ecan", *args, "--json"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert "Traceback" not in r.stderr, r.stderr
    return r.returncode, json.loads(r.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="ecan/assets/samples not generated")
def test_import_sync_delete_restore(tmp_path: Path, moto: str) -> None:
    import boto3

    bucket = f"restore-{uuid.uuid4().hex[:10]}"
    s3 = boto3.client("s3", endpoint_url=moto, region_name="us-east-1",
                      aws_access_key_id="k", aws_secret_access_key="s")
    s3.create_bucket(Bucket=bucket)
    a = _env(tmp_path / "a", bucket, moto)
    code, imported = ecan(a, "import", str(SAMPLES))
    ids = [r["avatar_id"] for r in imported["results"] if r["ok"]]
    assert len(ids) >= 3, imported
    code, out = ecan(a, "agent", "save", "Helper", "--avatar", ids[0])
    assert code == 0, out
    code, out = ecan(a, "sync")
    assert (code, out["failed"], out["remaining"]) == (0, 0, 0) and out["synced"] == len(ids)
    code, out = ecan(a, "delete", ids[-1])
    assert code == 0, out
    code, out = ecan(a, "sync")
    assert (code, out["remaining"]) == (0, 0)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    kept = len(ids) - 1
    assert len([k for k in keys if k.endswith(("_original.jpg", "_original.png",
                                               "_original.webp", "_original.gif"))]) == kept
    assert len([k for k in keys if k.endswith("_thumb.png")]) == kept
    assert not [k for k in keys if "/meta/avatars/" in k]  # the metadata rides on thumbnails
    assert any(k.endswith("meta/agents.json") for k in keys)

    b = _env(tmp_path / "b", bucket, moto)
    code, out = ecan(b, "restore")
    assert code == 0 and (out["restored"], out["failed"]) == (kept, 0), out
    code, listed = ecan(b, "list")
    mine = [x for x in listed["avatars"] if x["resource_type"] != "system"]
    assert len(mine) == kept and all(x["sync_state"] == "synced" for x in mine)
    code, agents = ecan(b, "agent", "list")
    helper = next(g for g in agents["agents"] if g["name"] == "Helper")
    original = next(x for x in json.loads(subprocess.run(
        [sys.executable, "-m", "ecan", "list", "--json"], env=a, capture_output=True,
        text=True).stdout)["avatars"] if x["id"] == ids[0])
    assert next(x for x in mine if x["id"] == helper["avatar_id"])["sha256"] == original["sha256"]
    code, status = ecan(b, "status")
    assert status["counts"]["failed"] == 0 and status["counts"]["queued"] == 0
    code, out = ecan(b, "sync")  # nothing to upload: the restored library is in the cloud
    assert (code, out) == (0, {"synced": 0, "pulled": 0, "removed": 0, "failed": 0,
                           "remaining": 0})
    code, out = ecan(b, "restore")  # again: everything is here already
    assert (out["restored"], out["skipped"]) == (0, kept)
