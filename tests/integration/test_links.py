"""`ecan link` (in a subprocess, on the demo cloud): a presigned link fetches the original's bytes
while it is valid and is refused after; an avatar not synced yet, or no cloud at all, is a clear
error."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from PIL import Image

REPO = Path(__file__).resolve().parents[2]


def run_ecan(env: dict[str, str], *args: str, stdin: str | None = None
             ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ecan", *args], env=env, capture_output=True,
                          text=True, timeout=180, cwd=REPO, input=stdin)


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:  # noqa: S310 - the local cloud
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def signed_in_env(cloud_env: dict[str, str], user: Any, tmp_path: Path) -> dict[str, str]:
    env = {**cloud_env, "PYTHONPATH": str(REPO),
           "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
           "XDG_DATA_HOME": str(tmp_path / "keyring")}
    login = run_ecan(env, "login", "--username", user.username, "--password-stdin", "--json",
                     stdin=user.password + "\n")
    assert login.returncode == 0, login.stderr
    return env


def test_a_private_link_opens_the_original_until_it_expires(
        cloud_env: dict[str, str], demo_user: Any, tmp_path: Path) -> None:
    env = signed_in_env(cloud_env, demo_user, tmp_path)
    picture = tmp_path / "linked.png"
    Image.new("RGB", (120, 90), (250, 200, 10)).save(picture)
    imported = run_ecan(env, "import", str(picture), "--json")
    avatar_id = json.loads(imported.stdout)["results"][0]["avatar_id"]

    early = run_ecan(env, "link", avatar_id, "--json")
    assert early.returncode == 1 and "Traceback" not in early.stderr
    assert json.loads(early.stdout)["error"]["code"] == "not_synced"
    assert "ecan sync" in early.stderr

    assert run_ecan(env, "sync", "--json", "--timeout", "120").returncode == 0
    made = run_ecan(env, "link", avatar_id, "--json")
    assert made.returncode == 0, made.stderr
    link = json.loads(made.stdout)
    assert set(link) == {"url", "expires_at"} and link["expires_at"].endswith("Z")
    status, body = fetch(link["url"])
    assert status == 200 and body == picture.read_bytes()  # a PNG is stored as it came

    plain = run_ecan(env, "link", avatar_id)  # the URL alone on stdout, for scripts
    assert plain.stdout.strip().startswith("http") and "\n" not in plain.stdout.strip()

    short = json.loads(run_ecan(env, "link", avatar_id, "--expires", "1", "--json").stdout)
    time.sleep(2)
    status, body = fetch(short["url"])
    assert status == 403 and b"expired" in body


def test_no_cloud_means_no_link(clean_env: dict[str, str], tmp_path: Path) -> None:
    env = {**clean_env, "PYTHONPATH": str(REPO)}
    picture = tmp_path / "here.png"
    Image.new("RGB", (40, 40), (1, 2, 3)).save(picture)
    avatar_id = json.loads(run_ecan(env, "import", str(picture), "--json").stdout
                           )["results"][0]["avatar_id"]
    r = run_ecan(env, "link", avatar_id, "--json")
    assert r.returncode == 1 and json.loads(r.stdout)["error"]["code"] == "no_cloud"
    missing = run_ecan(env, "link", "nope", "--json")
    assert missing.returncode == 1 and json.loads(missing.stdout)["error"]["code"] == "not_found"
    too_long = run_ecan(env, "link", avatar_id, "--expires", "9999999")
    assert too_long.returncode == 1 and "7 days" in too_long.stderr + too_long.stdout


def test_agent_get_gives_a_runtime_its_avatar_files_and_url(
        cloud_env: dict[str, str], demo_user: Any, tmp_path: Path) -> None:
    env = signed_in_env(cloud_env, demo_user, tmp_path)
    picture = tmp_path / "face.png"
    Image.new("RGB", (64, 64), (90, 10, 160)).save(picture)
    avatar_id = json.loads(run_ecan(env, "import", str(picture), "--json").stdout
                           )["results"][0]["avatar_id"]
    name = f"Runtime {tmp_path.name}"  # the session cloud is shared: a name of our own
    assert run_ecan(env, "agent", "save", name, "--avatar", avatar_id,
                    "--description", "answers questions").returncode == 0

    before = run_ecan(env, "agent", "get", name, "--json")
    assert before.returncode == 0, before.stderr
    agent = json.loads(before.stdout)["agent"]
    assert set(agent) == {"id", "name", "description", "avatar"}
    assert (agent["name"], agent["description"]) == (name, "answers questions")
    avatar = agent["avatar"]
    assert avatar["id"] == avatar_id and avatar["url"] is None  # not in the cloud yet
    assert Path(avatar["original_path"]).read_bytes() == picture.read_bytes()
    assert Path(avatar["thumb_path"]).is_file()

    assert run_ecan(env, "sync", "--json", "--timeout", "120").returncode == 0
    after = json.loads(run_ecan(env, "agent", "get", name, "--json").stdout)["agent"]
    status, body = fetch(after["avatar"]["url"])  # presigned: no CDN is configured here
    assert status == 200 and body == picture.read_bytes()
    human = run_ecan(env, "agent", "get", name)
    assert "url:" in human.stdout and avatar["original_path"] in human.stdout

    missing = run_ecan(env, "agent", "get", "Nobody at all", "--json")
    assert missing.returncode == 1
    assert json.loads(missing.stdout)["error"]["code"] == "not_found"


def test_agent_get_without_a_cloud_or_an_avatar(clean_env: dict[str, str],
                                                tmp_path: Path) -> None:
    env = {**clean_env, "PYTHONPATH": str(REPO)}
    picture = tmp_path / "face.png"
    Image.new("RGB", (32, 32), (5, 5, 5)).save(picture)
    avatar_id = json.loads(run_ecan(env, "import", str(picture), "--json").stdout
                           )["results"][0]["avatar_id"]
    run_ecan(env, "agent", "save", "Local", "--avatar", avatar_id)
    run_ecan(env, "agent", "save", "Faceless")
    local = json.loads(run_ecan(env, "agent", "get", "Local", "--json").stdout)["agent"]
    assert local["avatar"]["id"] == avatar_id and local["avatar"]["url"] is None
    faceless = json.loads(run_ecan(env, "agent", "get", "Faceless", "--json").stdout)["agent"]
    assert faceless["avatar"] is None
