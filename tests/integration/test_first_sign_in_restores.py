"""A user's library follows them: the first sign-in on a machine with an empty library brings
the cloud's avatars and agents here (CLI `ecan login`; the window does the same)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from ecan.cli.main import main


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, Any]:
    code = main([*args, "--json"])
    out = capsys.readouterr().out.strip().splitlines()
    return code, json.loads(out[-1]) if out else None


def test_first_login_on_a_new_machine_restores_the_library(
        make_demo_cloud: Callable[..., Any], clean_env: dict[str, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    cloud = make_demo_cloud()  # a cloud of its own: nobody else's objects under this prefix
    user = cloud.info.users[0]
    monkeypatch.setenv("ECAN_CONFIG", str(cloud.write_config(tmp_path / "cloud.yml")))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "keyring"))

    def login() -> Any:
        monkeypatch.setattr("sys.stdin", io.StringIO(user.password + "\n"))
        code, data = _cli(["login", "--username", user.username, "--password-stdin"], capsys)
        assert code == 0
        return data

    # Machine A: sign in (nothing to restore), import two pictures, bind one to an agent, sync.
    monkeypatch.setenv("ECAN_HOME", str(tmp_path / "machine-a"))
    assert login()["restored"] == 0
    pictures = []
    for i, colour in enumerate(("tomato", "teal")):
        pictures.append(tmp_path / f"p{i}.png")
        Image.new("RGB", (300, 200), colour).save(pictures[-1])
    code, imported = _cli(["import", *map(str, pictures)], capsys)
    assert code == 0
    first = imported["results"][0]["avatar_id"]
    assert _cli(["agent", "save", "Helper", "--avatar", first], capsys)[0] == 0
    assert _cli(["sync"], capsys) == (0, {"synced": 2, "failed": 0, "remaining": 0, "pulled": 0,
                                          "removed": 0})

    # Machine B: a fresh library; signing in is all it takes.
    monkeypatch.setenv("ECAN_HOME", str(tmp_path / "machine-b"))
    assert login()["restored"] == 2
    _, listed = _cli(["list"], capsys)
    mine = [a for a in listed["avatars"] if a["resource_type"] == "uploaded"]
    assert sorted(a["sync_state"] for a in mine) == ["synced", "synced"]
    _, agents = _cli(["agent", "list"], capsys)
    helper = next(a for a in agents["agents"] if a["name"] == "Helper")
    restored_sha = next(a["sha256"] for a in mine if a["id"] == helper["avatar_id"])
    original = next(a["sha256"] for a in imported_rows(tmp_path / "machine-a", capsys, monkeypatch)
                    if a["id"] == first)
    assert restored_sha == original

    # Signing in again on B (library no longer empty) restores nothing twice.
    assert login()["restored"] == 0


def imported_rows(home: Path, capsys: pytest.CaptureFixture[str],
                  monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    monkeypatch.setenv("ECAN_HOME", str(home))
    return _cli(["list"], capsys)[1]["avatars"]
