"""Video avatars end to end: an MP4 or WebM imported (library and `ecan import` in a subprocess)
becomes an avatar whose picture is the video's poster frame, with its duration; hostile files are
refused with nothing left behind; `ecan sync` puts the video under `videos/` in the cloud."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from ecan.errors import UserFacingError
from tests.corpus.videos import TEAL, make_video

REPO = Path(__file__).resolve().parents[2]


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def test_an_mp4_becomes_a_video_avatar_with_its_poster_and_duration(app: Any,
                                                                     tmp_path: Path) -> None:
    # A fade-in: the poster is the first frame that is not black.
    clip = make_video(tmp_path / "wave.mp4", frames=24, rate=12, black_frames=3,
                      size=(96, 64))
    result = app.library.import_file(clip)
    a = result.avatar
    assert result.created and a.name == "wave"
    assert a.video_ext == "mp4" and a.video_mime_type == "video/mp4"
    assert a.video_duration == pytest.approx(2.0, abs=0.1)
    assert (a.width, a.height) == (96, 64) and a.format == "JPEG"
    assert (app.paths.home / a.video_path).read_bytes() == clip.read_bytes()
    poster = Image.open(app.paths.home / a.image_path).convert("RGB")
    r, g, b = poster.getpixel((90, 60))
    assert abs(r - TEAL[0]) < 30 and abs(g - TEAL[1]) < 30 and abs(b - TEAL[2]) < 30
    thumb = Image.open(app.paths.home / a.thumb_path)
    assert thumb.size == (96, 64)
    shown = app.handlers.call("avatar.get", {"id": a.id})["data"]
    assert shown["has_video"] and shown["video_duration"] == pytest.approx(2.0, abs=0.1)
    # The same video again is the same avatar; a copy under another name too.
    again = tmp_path / "copy.mp4"
    again.write_bytes(clip.read_bytes())
    assert app.library.import_file(again).avatar.id == a.id
    assert _files(app.paths.tmp) == set()


def test_two_videos_opening_on_the_same_frame_are_two_avatars(app: Any, tmp_path: Path) -> None:
    short = make_video(tmp_path / "short.mp4", frames=6)
    long = make_video(tmp_path / "long.mp4", frames=30)
    ids = {app.library.import_file(p).avatar.id for p in (short, long)}
    assert len(ids) == 2


def test_a_webm_without_a_declared_duration_is_measured(app: Any, tmp_path: Path) -> None:
    clip = make_video(tmp_path / "loop.webm", fmt="webm", frames=18, rate=12)
    a = app.library.import_file(clip).avatar
    assert a.video_ext == "webm" and a.video_duration == pytest.approx(1.5, abs=0.1)


def test_hostile_videos_are_refused_and_leave_nothing(app: Any, tmp_path: Path) -> None:
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr("a.txt", "hello")
    (tmp_path / "renamed_zip.mp4").write_bytes(zbuf.getvalue())
    (tmp_path / "notes.mp4").write_text("just some text\n")
    whole = make_video(tmp_path / "whole.mp4", frames=48, size=(160, 120)).read_bytes()
    (tmp_path / "truncated.mp4").write_bytes(whole[: len(whole) // 2])
    fast = make_video(tmp_path / "fast.mp4", frames=48, size=(160, 120),
                      faststart=True).read_bytes()
    # Index first: the container opens, but the frames it promises are not there.
    (tmp_path / "truncated_faststart.mp4").write_bytes(fast[: len(fast) * 2 // 3])
    (tmp_path / "only_header.mp4").write_bytes(fast[:64])
    expected = {"renamed_zip.mp4": "unsupported_format", "notes.mp4": "unsupported_format",
                "truncated.mp4": "invalid_video", "truncated_faststart.mp4": "invalid_video",
                "only_header.mp4": "invalid_video"}
    for name, code in expected.items():
        with pytest.raises(UserFacingError) as err:
            app.library.import_file(tmp_path / name)
        assert err.value.code == code, (name, err.value.message)
        assert err.value.message.startswith(f"{name}: ") and err.value.hint
        assert "\n" not in err.value.message
    assert _files(app.paths.tmp) == set() and _files(app.paths.videos) == set()
    assert app.library.list(resource_type="uploaded") == []


def run_ecan(env: dict[str, str], *args: str, stdin: str | None = None
             ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ecan", *args], env=env, capture_output=True,
                          text=True, timeout=180, cwd=REPO, input=stdin)


def test_cli_import_then_sync_puts_the_video_under_videos(
        cloud_env: dict[str, str], demo_cloud: Any, demo_user: Any, tmp_path: Path) -> None:
    env = {**cloud_env, "PYTHONPATH": str(REPO),
           "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
           "XDG_DATA_HOME": str(tmp_path / "keyring")}
    login = run_ecan(env, "login", "--username", demo_user.username, "--password-stdin",
                     "--json", stdin=demo_user.password + "\n")
    assert login.returncode == 0, login.stderr
    identity = json.loads(login.stdout)["identity_id"]
    clip = make_video(tmp_path / "hello.mp4", frames=18, colour=(200, 60, 30))
    imported = run_ecan(env, "import", str(clip), "--json")
    assert imported.returncode == 0, imported.stderr
    (result,) = json.loads(imported.stdout)["results"]
    assert result["ok"], result
    synced = run_ecan(env, "sync", "--json", "--timeout", "120")
    assert synced.returncode == 0, synced.stderr
    listed = json.loads(run_ecan(env, "list", "--json").stdout)["avatars"]
    mine = next(a for a in listed if a["id"] == result["avatar_id"])
    assert mine["sync_state"] == "synced"

    import hashlib

    video_sha = hashlib.sha256(clip.read_bytes()).hexdigest()
    s3 = demo_cloud.admin_client("s3")
    root = f"avatars/{identity}/"
    key = f"{root}videos/{video_sha}_video.mp4"
    assert s3.get_object(Bucket=demo_cloud.info.bucket, Key=key)["Body"].read() \
        == clip.read_bytes()
    # The poster is the avatar's picture in the cloud too.
    poster = s3.get_object(Bucket=demo_cloud.info.bucket,
                           Key=f"{root}images/{mine['sha256']}_original.jpg")["Body"].read()
    assert Image.open(io.BytesIO(poster)).size == (64, 48)
