"""System avatars published by the operator (`ecan cloud publish-system`) reach every signed-in app
without an app update: `ecan sync` brings the ones the bundle lacks, `ecan list` shows them as
built-in; users cannot write there; without a manifest the bundled set is what users see."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from PIL import Image

from ecan.cli.main import main
from ecan.democloud import DemoCloud
from ecan.resources import assets_dir
from tests.fixtures_cloud import identity_credentials

BUNDLED = sorted(p.stem for p in (assets_dir() / "system_avatars").glob("*.png"))


@pytest.fixture(scope="module")
def cloud() -> Any:
    # Its own cloud: a published manifest would reach every other test's pull.
    c = DemoCloud(credential_ttl_s=300)
    c.start()
    yield c
    c.stop()


class Cli:
    def __init__(self, cloud: DemoCloud, tmp: Path, mp: pytest.MonkeyPatch,
                 capsys: pytest.CaptureFixture[str]) -> None:
        self.cloud, self.tmp, self.mp, self.capsys = cloud, tmp, mp, capsys
        mp.setenv("ECAN_CONFIG", str(cloud.write_config(tmp / "cloud.yml")))
        mp.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
        # The operator's keys (the demo cloud's admin), for `ecan cloud ...`.
        mp.setenv("AWS_ACCESS_KEY_ID", cloud.info.admin.access_key_id)
        mp.setenv("AWS_SECRET_ACCESS_KEY", cloud.info.admin.secret_access_key)

    def __call__(self, *args: str, stdin: str | None = None) -> tuple[int, Any, str]:
        if stdin is not None:
            self.mp.setattr("sys.stdin", io.StringIO(stdin))
        code = main([*args, "--json"])
        captured = self.capsys.readouterr()
        lines = captured.out.strip().splitlines()
        return code, json.loads(lines[-1]) if lines else None, captured.err

    def on(self, machine: str) -> Cli:
        self.mp.setenv("ECAN_HOME", str(self.tmp / machine))
        self.mp.setenv("XDG_DATA_HOME", str(self.tmp / f"keyring-{machine}"))
        return self

    def publish(self, folder: Path) -> tuple[int, Any, str]:
        info = self.cloud.info
        return self("cloud", "publish-system", "--name", "demo", "--endpoint", info.endpoint,
                    "--region", info.region, "--from", str(folder))

    def sign_in_and_sync(self, machine: str) -> dict[str, Any]:
        user = self.cloud.info.users[0]
        self.on(machine)
        code, _, err = self("login", "--username", user.username, "--password-stdin",
                            stdin=user.password + "\n")
        assert code == 0, err
        code, data, err = self("sync")
        assert code == 0, err
        return dict(data)

    def built_in(self) -> dict[str, dict[str, Any]]:
        _, data, _ = self("list")
        return {a["name"]: a for a in data["avatars"] if a["resource_type"] == "system"}


@pytest.fixture
def cli(cloud: DemoCloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], clean_env: dict[str, str]) -> Cli:
    return Cli(cloud, tmp_path, monkeypatch, capsys)


def _folder_with_a_new_one(tmp: Path, name: str) -> Path:
    folder = tmp / "system"
    folder.mkdir()
    for p in (assets_dir() / "system_avatars").glob("*.png"):
        (folder / p.name).write_bytes(p.read_bytes())
    Image.new("RGB", (96, 96), (200, 120, 40)).save(folder / f"{name}.png")
    return folder


def _clear_published(cloud: DemoCloud) -> None:
    s3 = cloud.admin_client("s3")
    listed = s3.list_objects_v2(Bucket=cloud.info.bucket, Prefix="avatars/shared/")
    for o in listed.get("Contents", []):
        s3.delete_object(Bucket=cloud.info.bucket, Key=o["Key"])


def test_without_a_manifest_the_bundled_set_is_shown(cli: Cli, cloud: DemoCloud) -> None:
    _clear_published(cloud)
    result = cli.sign_in_and_sync("a")
    assert result["failed"] == 0
    assert sorted(cli.built_in()) == BUNDLED


def test_a_published_avatar_reaches_a_signed_in_app(cli: Cli, cloud: DemoCloud,
                                                    tmp_path: Path) -> None:
    _clear_published(cloud)
    code, published, err = cli.on("operator").publish(_folder_with_a_new_one(tmp_path, "zephyr"))
    assert code == 0, err
    assert sorted(a["name"] for a in published["avatars"]) == sorted([*BUNDLED, "zephyr"])
    s3 = cloud.admin_client("s3")
    manifest = json.loads(s3.get_object(Bucket=cloud.info.bucket,
                                        Key="avatars/shared/system/manifest.json")["Body"].read())
    assert manifest["v"] == 1 and len(manifest["avatars"]) == len(BUNDLED) + 1
    s3.head_object(Bucket=cloud.info.bucket, Key="avatars/shared/system/thumbs/zephyr.png")

    cli.sign_in_and_sync("b")
    shown = cli.built_in()
    assert sorted(shown) == sorted([*BUNDLED, "zephyr"])
    zephyr = shown["zephyr"]
    assert zephyr["sync_state"] == "synced"
    assert zephyr["cloud_image_key"] == "avatars/shared/system/zephyr.png"
    # Cached locally, thumbnailed here like any pulled picture.
    home = tmp_path / "b"  # the account's library is somewhere under it
    assert [p.parent.name for p in home.rglob(f"{zephyr['sha256']}.png")] == ["system"]
    assert list(home.rglob(f"{zephyr['sha256']}_256.png"))
    # The bundled ones are the same bytes as the published ones: nothing doubled.
    assert len([a for a in shown.values() if a["name"] == "aurora"]) == 1
    # A second sync brings nothing again.
    cli("sync")
    assert len(cli.built_in()) == len(BUNDLED) + 1


def test_a_tampered_picture_is_refused(cli: Cli, cloud: DemoCloud, tmp_path: Path) -> None:
    _clear_published(cloud)
    assert cli.on("operator").publish(_folder_with_a_new_one(tmp_path, "mallory"))[0] == 0
    s3 = cloud.admin_client("s3")
    s3.put_object(Bucket=cloud.info.bucket, Key="avatars/shared/system/mallory.png",
                  Body=b"\x89PNG not what the manifest says")
    cli.sign_in_and_sync("c")
    assert "mallory" not in cli.built_in()
    assert sorted(cli.built_in()) == BUNDLED


def _user_s3(cloud: DemoCloud) -> Any:
    from botocore.config import Config

    info = cloud.info
    _, creds = identity_credentials(info, info.users[0])
    return boto3.client("s3", aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretKey"],
                        aws_session_token=creds["SessionToken"],
                        config=Config(signature_version="s3v4", retries={"max_attempts": 1}),
                        endpoint_url=info.endpoint, region_name=info.region)


def test_users_read_the_published_set_and_cannot_write_it(cli: Cli, cloud: DemoCloud,
                                                         tmp_path: Path) -> None:
    _clear_published(cloud)
    assert cli.on("operator").publish(_folder_with_a_new_one(tmp_path, "quill"))[0] == 0
    s3 = _user_s3(cloud)
    bucket = cloud.info.bucket
    assert s3.get_object(Bucket=bucket, Key="avatars/shared/system/quill.png")["Body"].read()
    for key in ("avatars/shared/system/manifest.json", "avatars/shared/system/evil.png"):
        with pytest.raises(ClientError) as e:
            s3.put_object(Bucket=bucket, Key=key, Body=b"{}")
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=bucket, Key="avatars/shared/system/quill.png")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_publish_refuses_an_unknown_deployment(cli: Cli, cloud: DemoCloud,
                                               tmp_path: Path) -> None:
    info = cloud.info
    code, _, err = cli.on("operator")("cloud", "publish-system", "--name", "nosuch",
                                      "--endpoint", info.endpoint, "--region", info.region)
    assert code != 0
    assert "no deployment named nosuch" in err


