"""`ecan export` (in a subprocess) and the export code under it: copies are the library's originals
byte for byte, several avatars go into a folder with unique names, an existing file is kept
unless --force, a missing id is a clear error, and a write that fails leaves nothing behind."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from ecan.errors import UserFacingError

REPO = Path(__file__).resolve().parents[2]


def run_ecan(env: dict[str, str], *args: str, cwd: Path = REPO
             ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ecan", *args], env=env, capture_output=True,
                          text=True, timeout=180, cwd=cwd)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def imported(env: dict[str, str], *pictures: Path) -> list[str]:
    done = run_ecan(env, "import", *map(str, pictures), "--json")
    assert done.returncode == 0, done.stderr
    return [r["avatar_id"] for r in json.loads(done.stdout)["results"]]


@pytest.fixture
def env(clean_env: dict[str, str]) -> dict[str, str]:
    return {**clean_env, "PYTHONPATH": str(REPO)}


def test_one_avatar_is_saved_as_its_original_and_an_existing_file_is_kept(
        env: dict[str, str], tmp_path: Path) -> None:
    picture = tmp_path / "Office cat.png"
    Image.new("RGB", (64, 48), (200, 30, 30)).save(picture)
    (avatar_id,) = imported(env, picture)
    here = tmp_path / "here"
    here.mkdir()

    # No --to: into the current folder, named after the avatar; the path alone on stdout.
    done = run_ecan(env, "export", avatar_id, cwd=here)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(here / "Office cat.png")
    assert sha(here / "Office cat.png") == sha(picture)  # a PNG is kept byte for byte

    target = tmp_path / "mine.png"
    target.write_bytes(b"someone else's file")
    refused = run_ecan(env, "export", avatar_id, "--to", str(target), "--json")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    answer = json.loads(refused.stdout)
    assert answer["exported"] == []
    assert answer["failed"][0]["code"] == "exists" and "--force" in answer["failed"][0]["hint"]
    assert target.read_bytes() == b"someone else's file"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]

    forced = run_ecan(env, "export", avatar_id, "--to", str(target), "--force", "--json")
    assert forced.returncode == 0, forced.stderr
    assert json.loads(forced.stdout) == {"exported": [{"id": avatar_id, "path": str(target)}],
                                         "failed": []}
    assert sha(target) == sha(picture)


def test_several_avatars_go_into_a_folder_with_unique_names_and_a_missing_id_is_named(
        env: dict[str, str], tmp_path: Path) -> None:
    pictures = []
    for i, folder in enumerate(("a", "b")):  # two avatars both named "photo"
        (tmp_path / folder).mkdir()
        pictures.append(tmp_path / folder / "photo.png")
        Image.new("RGB", (40 + i, 40), (i * 90, 20, 20)).save(pictures[-1])
    ids = imported(env, *pictures)
    out = tmp_path / "exported"  # made by the export

    done = run_ecan(env, "export", *ids, "nosuchid", "--to", str(out), "--json")
    assert done.returncode == 1  # one of them failed
    answer = json.loads(done.stdout)
    assert answer["exported"] == [{"id": ids[0], "path": str(out / "photo.png")},
                                  {"id": ids[1], "path": str(out / "photo (2).png")}]
    assert sha(out / "photo.png") == sha(pictures[0])
    assert sha(out / "photo (2).png") == sha(pictures[1])
    (failed,) = answer["failed"]
    assert failed["id"] == "nosuchid" and failed["code"] == "not_found"
    assert "ecan list" in failed["hint"]

    plain = run_ecan(env, "export", "nosuchid", "--to", str(tmp_path / "x.png"))
    assert plain.returncode == 1 and plain.stdout == "" and "Traceback" not in plain.stderr
    assert "There is no avatar with id 'nosuchid'" in plain.stderr
    assert not (tmp_path / "x.png").exists()

    # Several into a folder that has them already: each is kept, each refusal said.
    again = run_ecan(env, "export", *ids, "--to", str(out))
    assert again.returncode == 1
    assert again.stderr.count("already exists") == 2
    assert sorted(p.name for p in out.iterdir()) == ["photo (2).png", "photo.png"]


# -- the export code itself (ecan.avatars.export), for what a subprocess cannot stage --------------
def test_a_write_that_fails_midway_leaves_nothing_behind(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ecan.avatars import export

    source = tmp_path / "library.png"
    source.write_bytes(os.urandom(3 * export.CHUNK))
    folder = tmp_path / "out"
    folder.mkdir()

    def disk_fills(src: Any, dst: Any, length: int = 0) -> None:
        dst.write(src.read(export.CHUNK))  # a part is written, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfileobj", disk_fills)
    with pytest.raises(UserFacingError) as caught:
        export.write_copy(source, folder / "cat.png")
    assert caught.value.code == "disk_full"
    assert str(folder / "cat.png") in caught.value.message
    assert list(folder.iterdir()) == []  # no half picture, no temporary file


def test_a_path_the_file_system_refuses_is_said_not_raised(tmp_path: Path) -> None:
    from ecan.avatars.export import export_avatars

    source = tmp_path / "library.png"
    source.write_bytes(b"x")
    avatar = {"id": "a1", "name": "cat", "image_path": str(source), "ext": "png"}
    with pytest.raises(UserFacingError) as caught:
        export_avatars([avatar], tmp_path / ("n" * 300) / "cat.png")  # over NAME_MAX
    assert caught.value.code == "write_failed" and "n" * 300 in caught.value.message


def test_names_are_made_safe_for_any_file_manager() -> None:
    from ecan.avatars.export import file_name

    assert file_name("Support bot", "png") == "Support bot.png"
    assert file_name("a/b: c?", "jpg") == "a_b_ c_.jpg"
    assert file_name("cat.PNG", "png") == "cat.png"
    assert file_name("  ..  ", "gif") == "avatar.gif"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root may write in any folder")
def test_a_folder_that_cannot_be_written_is_named(tmp_path: Path) -> None:
    from ecan.avatars.export import write_copy

    source = tmp_path / "library.png"
    source.write_bytes(b"x")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    with pytest.raises(UserFacingError) as caught:
        write_copy(source, locked / "cat.png")
    assert caught.value.code == "not_writable" and str(locked) in caught.value.message
