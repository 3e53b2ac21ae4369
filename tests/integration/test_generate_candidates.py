"""Generation a person would enjoy, through the real google-genai client against the fake Gemini
server: 1-4 candidates in one run of which the chosen are kept, style presets, the source photo
kept for before/after, the credits a cancelled stage 2 is billed, `ecan generate --candidates N
--preset NAME`, and the history following the user to another machine through the demo cloud."""

from __future__ import annotations

import dataclasses
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from ecan.cli.main import main
from ecan.config import GeminiConfig
from ecan.db.models import Avatar
from ecan.errors import UserFacingError
from ecan.imagegen.gemini import GeminiGenerator
from ecan.imagegen.presets import BY_NAME
from ecan.imagegen.service import GenerationService
from tests import fakegemini as fg

KEY = "AIzaSyTEST-not-a-real-key-0123456789abcd"
COLOURS = [(220, 40, 40), (40, 200, 60), (50, 60, 210), (200, 200, 30)]


@pytest.fixture
def gemini() -> Iterator[fg.FakeGemini]:
    server = fg.FakeGemini().start()
    yield server
    server.stop()


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    p = tmp_path / "me.png"
    p.write_bytes(fg.png_bytes(96, (200, 160, 120)))
    return p


def make_service(app: Any, fake: fg.FakeGemini, **overrides: Any) -> GenerationService:
    config = dataclasses.replace(GeminiConfig(), **{
        "api_key": KEY, "base_url": fake.url, "timeout_s": 5.0, **overrides})
    gen = GeminiGenerator(config, retry_attempts=3, retry_initial_delay_s=0.01)
    return GenerationService(app.db, app.library, config, generator=gen)


def generated(app: Any) -> list[Avatar]:
    with app.db.session() as s:
        return list(s.exec(select(Avatar).where(Avatar.resource_type == "generated")))


def push_candidates(fake: fg.FakeGemini, n: int) -> list[bytes]:
    images = [fg.png_bytes(64 + i, COLOURS[i]) for i in range(n)]
    fake.push(fg.text_reply("A clay figure of the same person."),
              *(fg.image_reply(img) for img in images))
    return images


def test_three_candidates_keep_two_with_a_preset_and_the_source_kept(
        app: Any, gemini: fg.FakeGemini, photo: Path) -> None:
    svc = make_service(app, gemini)
    push_candidates(gemini, 3)
    result = svc.generate(photo, "make me a figurine", candidates=3, preset="clay")

    # One refinement, three drawings; the preset's style line went to stage 1.
    assert [r.model for r in gemini.requests] == ["gemini-2.5-flash"] + \
        ["gemini-2.5-flash-image"] * 3
    assert any(BY_NAME["clay"].suffix in t for t in gemini.requests[0].texts())
    assert result["avatar_id"] is None and result["credits"] == 3.0
    assert [c["index"] for c in result["candidates"]] == [0, 1, 2]
    assert all(Path(c["thumb_path"]).is_file() for c in result["candidates"])
    assert generated(app) == []  # nothing in the library until the user chooses
    source = Path(result["source_path"])
    assert source.is_file() and source.read_bytes()  # "before", kept here

    kept = svc.keep(result["task_id"], [0, 2])
    assert len(kept["avatar_ids"]) == 2
    assert sorted(a.id for a in generated(app)) == sorted(kept["avatar_ids"])
    assert all(not Path(c["image_path"]).exists() for c in result["candidates"])  # discarded
    with pytest.raises(UserFacingError) as e:
        svc.keep(result["task_id"], [1])  # the others are gone
    assert e.value.code == "not_found"

    [task] = svc.history()
    assert task["preset"] == "clay" and task["candidates"] == 3 and task["credits"] == 3.0
    assert [k["avatar_id"] for k in task["kept"]] == kept["avatar_ids"]
    assert task["thumb_path"] and Path(task["thumb_path"]).is_file()
    assert task["source_path"] == str(source) and task["pending_candidates"] == []
    assert svc.stats()["credits_used"] == 3.0


def test_one_candidate_is_stored_at_once_as_before(app: Any, gemini: fg.FakeGemini,
                                                   photo: Path) -> None:
    result = make_service(app, gemini).generate(photo, "a doctor", preset="anime")
    assert result["avatar_id"] and result["avatar_ids"] == [result["avatar_id"]]
    assert [a.id for a in generated(app)] == [result["avatar_id"]]


def test_an_unknown_preset_and_too_many_candidates_cost_nothing(
        app: Any, gemini: fg.FakeGemini, photo: Path) -> None:
    svc = make_service(app, gemini)
    for kwargs in ({"preset": "oil"}, {"candidates": 5}, {"candidates": 0}):
        with pytest.raises(UserFacingError) as e:
            svc.generate(photo, "x", **kwargs)
        assert e.value.code == "invalid_request"
    assert gemini.requests == [] and svc.history() == []


def test_cancelling_during_the_second_drawing_counts_the_two_billed(
        app: Any, gemini: fg.FakeGemini, photo: Path) -> None:
    svc = make_service(app, gemini)
    held = threading.Event()
    gemini.push(fg.text_reply("p"), fg.image_reply(fg.png_bytes(40, COLOURS[0])),
                fg.Reply(200, fg.image_reply(fg.png_bytes(41, COLOURS[1])).body, hold=held))
    cancel = threading.Event()
    errors: list[str] = []

    def run() -> None:
        try:
            svc.generate(photo, "x", candidates=4, cancel=cancel)
        except UserFacingError as e:
            errors.append(e.code)

    worker = threading.Thread(target=run)
    worker.start()
    try:
        while len(gemini.requests) < 3:  # the second image has been asked for
            worker.join(0.02)
        cancel.set()
        worker.join(10)
    finally:
        held.set()
    assert errors == ["cancelled"]
    [task] = svc.history()
    # Two images were asked for and are billed; the other two were never asked for.
    assert task["status"] == "cancelled" and task["credits"] == 2.0
    assert svc.stats()["credits_used"] == 2.0
    assert generated(app) == [] and task["pending_candidates"] == []


def test_handlers_keep_and_presets(app: Any, gemini: fg.FakeGemini, photo: Path) -> None:
    app.generator = make_service(app, gemini)
    push_candidates(gemini, 2)
    r = app.handlers.call("generate.start", {"image_path": str(photo), "prompt": "x",
                                             "candidates": 2, "preset": "pixel"})
    assert r["ok"], r
    kept = app.handlers.call("generate.keep", {"task_id": r["data"]["task_id"],
                                               "indices": [1]})
    assert kept["ok"] and len(kept["data"]["avatar_ids"]) == 1
    names = [p["name"] for p in app.handlers.call("generate.presets", {})["data"]["presets"]]
    assert names == ["flat", "clay", "pixel", "watercolour", "anime"]
    assert app.handlers.call("generate.start", {"image_path": str(photo), "prompt": "x",
                                                "candidates": 5})["error"]["code"] \
        == "invalid_request"


# -- the command line, and the history on another machine ----------------------------------

class Machines:
    def __init__(self, cloud: Any, tmp: Path, mp: pytest.MonkeyPatch,
                 capsys: pytest.CaptureFixture[str], fake: fg.FakeGemini) -> None:
        self.cloud, self.tmp, self.mp, self.capsys = cloud, tmp, mp, capsys
        self.user = cloud.info.users[0]
        mp.setenv("ECAN_CONFIG", str(cloud.write_config(tmp / "cloud.yml")))
        mp.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
        mp.setenv("GEMINI_API_KEY", KEY)
        mp.setenv("GEMINI_BASE_URL", fake.url)

    def on(self, machine: str) -> Machines:
        self.mp.setenv("ECAN_HOME", str(self.tmp / machine))
        self.mp.setenv("XDG_DATA_HOME", str(self.tmp / f"keyring-{machine}"))
        return self

    def cli(self, *args: str) -> tuple[int, Any, str]:
        code = main([*args, "--json"])
        captured = self.capsys.readouterr()
        lines = captured.out.strip().splitlines()
        return code, json.loads(lines[-1]) if lines else None, captured.err

    def login(self, machine: str) -> None:
        self.on(machine)
        self.mp.setattr("sys.stdin", io.StringIO(self.user.password + "\n"))
        assert self.cli("login", "--username", self.user.username, "--password-stdin")[0] == 0


def test_cli_candidates_preset_and_the_history_on_another_machine(
        demo_cloud: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], clean_env: dict[str, str],
        gemini: fg.FakeGemini, photo: Path) -> None:
    m = Machines(demo_cloud, tmp_path, monkeypatch, capsys, gemini)
    m.login("laptop")
    push_candidates(gemini, 3)
    code, doc, err = m.cli("generate", "--image", str(photo), "--prompt", "a figurine",
                           "--candidates", "3", "--keep", "1,3", "--preset", "clay")
    assert code == 0, err
    assert {"task_id", "avatar_id", "professional_prompt", "timings"} <= set(doc)
    assert len(doc["avatar_ids"]) == 2 and doc["avatar_id"] == doc["avatar_ids"][0]
    assert doc["preset"] == "clay" and doc["credits"] == 3.0
    code, listed, _ = m.cli("list")
    mine = [a for a in listed["avatars"] if a["resource_type"] == "generated"]
    assert sorted(a["id"] for a in mine) == sorted(doc["avatar_ids"])

    code, _, err = m.cli("generate", "--image", str(photo), "--prompt", "x",
                         "--candidates", "5")
    assert code == 2 and "1 to 4" in err
    code, _, err = m.cli("generate", "--image", str(photo), "--prompt", "x", "--preset", "oil")
    assert code == 1 and "flat, clay, pixel" in err

    assert m.on("laptop").cli("sync")[0] == 0
    key = f"avatars/{demo_cloud_identity(m)}/generations/{doc['task_id']}.json"
    body = demo_cloud.admin_client("s3").get_object(Bucket=demo_cloud.info.bucket,
                                                    Key=key)["Body"].read()
    assert len(body) < 4096 and json.loads(body)["preset"] == "clay"
    # What is read back is not trusted: an oversized or malformed document is skipped.
    s3, folder = demo_cloud.admin_client("s3"), key.rsplit("/", 1)[0]
    s3.put_object(Bucket=demo_cloud.info.bucket, Key=f"{folder}/{'e' * 32}.json",
                  Body=b'{"v": 1, "pad": "' + b"x" * 20000 + b'"}')
    s3.put_object(Bucket=demo_cloud.info.bucket, Key=f"{folder}/{'f' * 32}.json",
                  Body=json.dumps({"v": 1, "id": "f" * 32, "status": "succeeded",
                                   "user_prompt": "x", "created_at": 1, "kept": ["nope"]}))

    m.login("desktop")
    assert m.on("desktop").cli("sync")[0] == 0
    code, history, _ = m.on("desktop").cli("generate", "history")
    assert code == 0
    assert not {"e" * 32, "f" * 32} & {t["id"] for t in history["tasks"]}
    [task] = [t for t in history["tasks"] if t["id"] == doc["task_id"]]
    assert task["origin"] and task["preset"] == "clay" and task["candidates"] == 3
    assert task["user_prompt"] == "a figurine" and task["credits"] == 3.0
    # The kept avatars came with the library: the history shows their thumbnails here.
    assert len(task["kept"]) == 2 and all(k["avatar_id"] for k in task["kept"])
    assert task["thumb_path"] and Path(task["thumb_path"]).is_file()
    # The laptop does not take its own task back as someone else's.
    code, again, _ = m.on("laptop").cli("generate", "history")
    assert [t["origin"] for t in again["tasks"] if t["id"] == doc["task_id"]] == [None]


def demo_cloud_identity(m: Machines) -> str:
    code, status, _ = m.cli("status")
    assert code == 0
    return str(status["identity_id"])
