"""One library per account on a shared computer, driven as a person does: the `ecan` command in
its own process, against the real demo cloud (Cognito + S3 on moto, its identity exchange)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from ecan.democloud import DemoCloud


def _ecan(env: dict[str, str], *args: str, stdin: str = "") -> tuple[int, Any, str]:
    proc = subprocess.run([sys.executable, "-m", "ecan", *args, "--json"], env=env, text=True,
                          input=stdin, capture_output=True, timeout=300)
    lines = proc.stdout.strip().splitlines()
    return proc.returncode, json.loads(lines[-1]) if lines else None, proc.stderr


def _pictures(folder: Path, colours: tuple[str, ...]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, colour in enumerate(colours):
        paths.append(folder / f"{colour}-{i}.png")
        Image.new("RGB", (160 + i, 120), colour).save(paths[-1])
    return paths


def _objects(cloud: DemoCloud, identity: str) -> list[str]:
    import boto3

    info = cloud.info
    s3 = boto3.client("s3", endpoint_url=info.endpoint, region_name=info.region,
                      aws_access_key_id=info.admin.access_key_id,
                      aws_secret_access_key=info.admin.secret_access_key)
    resp = s3.list_objects_v2(Bucket=info.bucket, Prefix=f"{info.path_prefix}{identity}/")
    # The avatars' and agents' objects; the change journal beside them is another matter.
    return sorted(o["Key"] for o in resp.get("Contents", []) if "/journal/" not in o["Key"])


@pytest.fixture
def family(make_demo_cloud: Callable[..., DemoCloud], clean_env: dict[str, str],
           tmp_path: Path) -> tuple[DemoCloud, Callable[[Path], dict[str, str]]]:
    cloud = make_demo_cloud()  # its own cloud: nobody else's objects under these prefixes
    config = cloud.write_config(tmp_path / "cloud.yml")

    def computer(home: Path) -> dict[str, str]:
        return {**clean_env, "ECAN_HOME": str(home), "ECAN_CONFIG": str(config),
                "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
                "XDG_DATA_HOME": str(home.parent / f"{home.name}-keyring")}

    return cloud, computer


def _mine(listed: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in listed["avatars"] if a["resource_type"] != "system"]


def _pushed(done: tuple[int, Any, Any]) -> tuple[int, dict[str, Any]]:
    """`ecan sync`'s exit code and its push counts (pulls are another test's business)."""
    code, doc = done[0], done[1]
    return code, {k: doc[k] for k in ("synced", "failed", "remaining")}


def test_a_family_computer_keeps_each_account_to_itself(
        family: tuple[DemoCloud, Callable[[Path], dict[str, str]]], tmp_path: Path) -> None:
    cloud, computer = family
    a, b = cloud.info.users

    # B's laptop: two avatars in the cloud.
    laptop = computer(tmp_path / "b-laptop")
    code, b_login, _ = _ecan(laptop, "login", "--username", b.username, "--password-stdin",
                             stdin=b.password + "\n")
    assert code == 0
    b_identity = b_login["identity_id"]
    assert _ecan(laptop, "import", *map(str, _pictures(tmp_path / "b", ("teal", "navy"))))[0] == 0
    assert _pushed(_ecan(laptop, "sync")) == (0, {"synced": 2, "failed": 0, "remaining": 0})
    b_shas = sorted(x["sha256"] for x in _mine(_ecan(laptop, "list")[1]))
    b_objects = _objects(cloud, b_identity)
    assert len(b_objects) == 4

    # The family computer: A signs in, imports three, signs out before they sync.
    home = computer(tmp_path / "family")
    code, a_login, _ = _ecan(home, "login", "--username", a.username, "--password-stdin",
                             stdin=a.password + "\n")
    assert code == 0
    a_identity = a_login["identity_id"]
    a_pics = _pictures(tmp_path / "a", ("tomato", "gold", "plum"))
    assert _ecan(home, "import", *map(str, a_pics))[0] == 0
    status = _ecan(home, "status")[1]
    assert (status["account"], status["counts"]["queued"]) == (a.username, 3)
    assert _ecan(home, "logout")[0] == 0
    status = _ecan(home, "status")[1]
    assert (status["account"], status["signed_in"], status["counts"]["queued"]) == (None, False, 0)
    assert _mine(_ecan(home, "list")[1]) == []  # nothing of A's shows while signed out

    # B signs in there: B's own library, restored from the cloud; A's pictures are not B's.
    code, login, _ = _ecan(home, "login", "--username", b.username, "--password-stdin",
                           stdin=b.password + "\n")
    assert (code, login["restored"], login["identity_id"]) == (0, 2, b_identity)
    code, synced, _ = _ecan(home, "sync")
    assert (code, synced["synced"], synced["remaining"]) == (0, 0, 0)
    listed = _mine(_ecan(home, "list")[1])
    assert sorted(x["sha256"] for x in listed) == b_shas
    assert {x["sync_state"] for x in listed} == {"synced"}
    assert _objects(cloud, b_identity) == b_objects  # only B's objects under B's prefix
    assert _objects(cloud, a_identity) == []
    status = _ecan(home, "status")[1]
    assert (status["account"], status["identity_id"], status["counts"]["synced"]) == \
        (b.username, b_identity, 2)

    # A signs in again: A's three are there, and sync under A's prefix.
    code, login, _ = _ecan(home, "login", "--username", a.username, "--password-stdin",
                           stdin=a.password + "\n")
    assert (code, login["restored"]) == (0, 0)
    listed = _mine(_ecan(home, "list")[1])
    assert len(listed) == 3 and not set(x["sha256"] for x in listed) & set(b_shas)
    assert _pushed(_ecan(home, "sync")) == (0, {"synced": 3, "failed": 0, "remaining": 0})
    assert len(_objects(cloud, a_identity)) == 6
    assert _objects(cloud, b_identity) == b_objects


def test_avatars_made_without_an_account_move_in_only_when_asked(
        family: tuple[DemoCloud, Callable[[Path], dict[str, str]]], tmp_path: Path) -> None:
    cloud, computer = family
    user = cloud.info.users[0]
    home = computer(tmp_path / "solo")
    # Used without an account first: two avatars stay queued on this computer.
    assert _ecan(home, "import", *map(str, _pictures(tmp_path / "p", ("olive", "pink"))))[0] == 0

    login = ("login", "--username", user.username, "--password-stdin")
    code, data, err = _ecan(home, *login, stdin=user.password + "\n")
    assert (code, data["local_only_avatars"], data["moved"]) == (0, 2, 0)
    assert "--move-local" in err and "--keep-local" in err
    assert _mine(_ecan(home, "list")[1]) == []  # not the account's until moved

    code, data, err = _ecan(home, *login, "--move-local", stdin=user.password + "\n")
    assert (code, data["moved"]) == (0, 2)
    assert "Moved 2 avatars" in err
    assert sorted(x["sync_state"] for x in _mine(_ecan(home, "list")[1])) == ["queued", "queued"]
    assert _pushed(_ecan(home, "sync")) == (0, {"synced": 2, "failed": 0, "remaining": 0})
    assert len(_objects(cloud, data["identity_id"])) == 4

    assert _ecan(home, "logout")[0] == 0
    assert _mine(_ecan(home, "list")[1]) == []  # moved, not copied
    code, data, err = _ecan(home, *login, stdin=user.password + "\n")
    assert (code, data["local_only_avatars"]) == (0, 0)
    assert "--move-local" not in err


def test_an_unreadable_sign_in_record_is_said_and_signing_in_again_mends_it(
        make_demo_cloud: Callable[..., Any], clean_env: dict[str, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A damaged account.json opened the library used without an account with no word but a
    log line: the user's avatars looked gone."""
    from tests.integration.test_two_way_sync import Machines

    m = Machines(make_demo_cloud(), tmp_path, monkeypatch, capsys)
    m.login("a")
    m.new_picture("a")
    record = tmp_path / "a" / "account.json"
    record.write_text('{"user_pool_id": ')
    code, data, err = m.on("a").cli("list")
    assert code == 0 and [a for a in data["avatars"] if a["resource_type"] != "system"] == []
    assert f"warning: {record} cannot be read, so no account is open; sign in again" in err
    m.login("a")
    assert len(m.avatars("a")) == 1
    assert "cannot be read" not in m.on("a").cli("list")[2]
