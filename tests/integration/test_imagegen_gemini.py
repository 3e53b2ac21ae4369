"""AI avatars through the real google-genai client against the fake Gemini server on
127.0.0.1: success, every failure of the issue (each a clear error, a failed task in the
history, no avatar left behind), the API key never in output or logs, and `ecan generate`."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from ecan.config import GeminiConfig
from ecan.db.models import Avatar, GenerationTask
from ecan.errors import UserFacingError
from ecan.imagegen.gemini import GeminiGenerator
from ecan.imagegen.service import GenerationService
from tests import fakegemini as fg

KEY = "AIzaSyTEST-not-a-real-key-0123456789abcd"
CHINESE = "让这个人穿上医生的白大褂，背景是医院"


@pytest.fixture
def gemini() -> Iterator[fg.FakeGemini]:
    # A server per test: a call an earlier test abandoned (a timeout, a cancel) may still be
    # retried by the client, and must not take a reply pushed for this test.
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


def avatars(app: Any) -> list[Avatar]:
    with app.db.session() as s:
        return list(s.exec(select(Avatar).where(Avatar.resource_type != "system")))


def tasks(app: Any) -> list[GenerationTask]:
    with app.db.session() as s:
        return list(s.exec(select(GenerationTask)))


def no_key_anywhere(app: Any, *texts: str) -> None:
    for text in texts:
        assert KEY not in text
    for log in Path(app.log_path).parent.rglob("*"):
        if log.is_file():
            assert KEY.encode() not in log.read_bytes(), log
    assert KEY.encode() not in Path(app.db.path).read_bytes()


def test_success_two_stages_store_a_generated_avatar(app: Any, gemini: fg.FakeGemini,
                                                       photo: Path) -> None:
    svc = make_service(app, gemini)
    result = svc.generate(photo, CHINESE)

    assert result["professional_prompt"] == gemini.default_professional_prompt
    assert set(result["timings"]) == {"analyse_ms", "generate_ms", "total_ms"}
    # Stage 1 went to the text model with the photo and the Chinese request; stage 2 to the
    # image model with the photo and the refined prompt; the key went as a header.
    first, second = gemini.requests
    assert first.model == "gemini-2.5-flash" and second.model == "gemini-2.5-flash-image"
    assert any(CHINESE in t for t in first.texts())
    assert first.inline_data()[0]["mimeType"] == "image/png"
    assert first.inline_data()[0]["data"]
    assert gemini.default_professional_prompt in second.texts()
    assert second.body["generationConfig"]["responseModalities"] == ["IMAGE"]
    assert all(r.headers.get("x-goog-api-key") == KEY for r in gemini.requests)

    [avatar] = avatars(app)
    assert avatar.id == result["avatar_id"] and avatar.resource_type == "generated"
    params = json.loads(avatar.generation_params or "{}")
    assert params["user_prompt"] == CHINESE and params["task_id"] == result["task_id"]
    assert params["image_model"] == "gemini-2.5-flash-image"
    assert (app.paths.home / avatar.image_path).is_file()

    [task] = svc.history()
    assert task["status"] == "succeeded" and task["avatar_id"] == avatar.id
    assert task["tokens"] == {"prompt_tokens": 860, "output_tokens": 1330}
    assert task["credits"] == 1.0
    stats = svc.stats()
    assert stats["count"] == 1 and stats["success_rate"] == 1.0 and stats["credits_used"] == 1.0
    no_key_anywhere(app, json.dumps(result), json.dumps(svc.history()))


def test_transient_500_is_retried_by_the_sdk(app: Any, gemini: fg.FakeGemini,
                                             photo: Path) -> None:
    gemini.push(fg.server_error())
    result = make_service(app, gemini).generate(photo, "a doctor's coat")
    assert result["avatar_id"]
    assert len(gemini.requests) == 3  # 500, then stage 1 again, then stage 2


FAILURES = [
    ("invalid_key", [fg.invalid_key()], "gemini_key_invalid", "GEMINI_API_KEY", 1),
    ("quota", [fg.quota()] * 3, "gemini_quota", "quota", 3),
    ("safety_stage1", [fg.prompt_blocked()], "gemini_blocked", "safety", 1),
    ("safety_stage2", [fg.text_reply("p"), fg.safety_candidate()], "gemini_blocked", "safety", 2),
    ("no_image", [fg.text_reply("p"), fg.no_image()], "gemini_no_image", "without an image", 2),
    ("malformed", [fg.malformed()], "gemini_bad_response", "broken", 1),
    ("truncated", [fg.text_reply("p"), fg.truncated()], "gemini_bad_response", "broken", 2),
    ("unknown_model", [fg.error_reply(404, "", "models/gemini-2.5-flash is not found")],
     "gemini_model_not_found", "GEMINI.TEXT_MODEL", 1),
    ("error_echoing_the_key", [fg.error_reply(400, "", f"Bad request from key {KEY}")],
     "gemini_refused", "[redacted]", 1),
    ("not_an_image", [fg.text_reply("p"), fg.image_reply(b"<html>nope</html>")],
     "unsupported_format", "", 2),
]


@pytest.mark.parametrize(("replies", "code", "words", "calls"),
                         [f[1:] for f in FAILURES], ids=[f[0] for f in FAILURES])
def test_failures_are_clear_recorded_and_leave_no_avatar(
        app: Any, gemini: fg.FakeGemini, photo: Path, replies: list[fg.Reply], code: str,
        words: str, calls: int) -> None:
    svc = make_service(app, gemini)
    gemini.push(*replies)
    with pytest.raises(UserFacingError) as info:
        svc.generate(photo, "a doctor's coat")
    err = info.value
    assert (err.code, len(gemini.requests)) == (code, calls)
    assert words.lower() in (err.message + err.hint).lower() and err.hint
    assert avatars(app) == []
    assert list(app.paths.generated.iterdir()) == []
    [task] = svc.history()
    assert task["status"] == "failed" and task["error_code"] == code and task["avatar_id"] is None
    assert svc.stats()["failed"] == 1
    no_key_anywhere(app, str(err), err.hint, json.dumps(svc.history()))


def test_a_slow_answer_times_out(app: Any, gemini: fg.FakeGemini, photo: Path) -> None:
    svc = make_service(app, gemini, timeout_s=0.3)
    gemini.push(fg.slow(5), fg.slow(5), fg.slow(5))
    with pytest.raises(UserFacingError) as info:
        svc.generate(photo, "a doctor's coat")
    assert info.value.code == "gemini_timeout" and "GEMINI.TIMEOUT_S" in info.value.hint
    assert svc.history()[0]["error_code"] == "gemini_timeout" and avatars(app) == []


def test_no_key_fails_before_any_network_call(app: Any, gemini: fg.FakeGemini,
                                              photo: Path) -> None:
    config = dataclasses.replace(GeminiConfig(), base_url=gemini.url)
    svc = GenerationService(app.db, app.library, config)
    with pytest.raises(UserFacingError) as info:
        svc.generate(photo, "a doctor's coat")
    assert info.value.code == "gemini_no_key" and "GEMINI_API_KEY" in info.value.message
    assert gemini.requests == []
    assert svc.history()[0]["error_code"] == "gemini_no_key"


def test_budget_refuses_a_task_when_spent(app: Any, gemini: fg.FakeGemini, photo: Path) -> None:
    svc = make_service(app, gemini, credit_budget=1.0)
    svc.generate(photo, "first")
    assert svc.stats()["budget_left"] == 0.0
    with pytest.raises(UserFacingError) as info:
        svc.generate(photo, "second")
    assert info.value.code == "budget_exhausted" and "CREDIT_BUDGET" in info.value.hint
    assert len(gemini.requests) == 2 and len(svc.history()) == 1


def test_cancel_during_a_slow_stage_records_cancelled(app: Any, gemini: fg.FakeGemini,
                                                      photo: Path) -> None:
    svc = make_service(app, gemini)
    gemini.push(fg.text_reply("p"), fg.slow(5))
    cancel = threading.Event()
    errors: list[UserFacingError] = []

    def run() -> None:
        try:
            svc.generate(photo, "a doctor's coat", cancel=cancel)
        except UserFacingError as e:
            errors.append(e)

    worker = threading.Thread(target=run)
    worker.start()
    while len(gemini.requests) < 2:  # stage 2 has been sent
        worker.join(0.02)
    [running] = [t for t in svc.history() if t["status"] == "generating"]
    svc.cancel(running["id"])
    worker.join(10)
    assert [e.code for e in errors] == ["cancelled"]
    assert svc.history()[0]["status"] == "cancelled" and avatars(app) == []


def _cancel_once_sent(svc: GenerationService, gemini: fg.FakeGemini, photo: Path,
                     requests: int) -> list[UserFacingError]:
    """Start a task, cancel it once `requests` calls reached the provider; its errors."""
    cancel = threading.Event()
    errors: list[UserFacingError] = []

    def run() -> None:
        try:
            svc.generate(photo, "a doctor's coat", cancel=cancel)
        except UserFacingError as e:
            errors.append(e)

    worker = threading.Thread(target=run)
    worker.start()
    while len(gemini.requests) < requests:
        worker.join(0.02)
    [running] = [t for t in svc.history() if t["status"] in ("analysing", "generating")]
    svc.cancel(running["id"])
    worker.join(10)
    return errors


def test_cancelling_while_the_image_is_drawn_records_the_billed_credit(
        app: Any, gemini: fg.FakeGemini, photo: Path) -> None:
    svc = make_service(app, gemini, credit_budget=5.0)
    drawn = threading.Event()  # the image is answered only after the cancel
    gemini.push(fg.text_reply("p"), fg.Reply(200, fg.image_reply().body, hold=drawn))
    try:
        errors = _cancel_once_sent(svc, gemini, photo, requests=2)  # stage 2 has been sent
    finally:
        drawn.set()  # the abandoned call gets its answer (no retry to disturb other tests)
    assert [e.code for e in errors] == ["cancelled"]
    [task] = svc.history()
    # The provider draws (and bills) the image whether or not we wait for it.
    assert task["status"] == "cancelled" and task["credits"] > 0
    stats = svc.stats()
    assert stats["credits_used"] == task["credits"]
    assert stats["budget_left"] == 5.0 - task["credits"]
    assert avatars(app) == []


def test_cancelling_before_the_image_is_asked_for_costs_nothing(
        app: Any, gemini: fg.FakeGemini, photo: Path) -> None:
    svc = make_service(app, gemini)
    analysed = threading.Event()
    gemini.push(fg.Reply(200, fg.text_reply("p").body, hold=analysed))
    try:
        errors = _cancel_once_sent(svc, gemini, photo, requests=1)  # stage 1 only
    finally:
        analysed.set()
    assert [e.code for e in errors] == ["cancelled"]
    [task] = svc.history()
    assert task["status"] == "cancelled" and task["credits"] == 0
    assert len(gemini.requests) == 1  # the image model was never called


def test_handlers_start_from_an_avatar_and_report_history(app: Any, gemini: fg.FakeGemini,
                                                          photo: Path) -> None:
    app.generator = make_service(app, gemini)
    source = app.library.import_file(photo).avatar
    r = app.handlers.call("generate.start", {"avatar_id": source.id, "prompt": CHINESE})
    assert r["ok"], r
    assert {"avatars", "tasks"} <= set(r["changed"])
    assert r["data"]["avatar_id"] != source.id
    h = app.handlers.call("generate.history", {})
    assert h["data"]["tasks"][0]["status"] == "succeeded"
    assert app.handlers.call("generate.stats", {})["data"]["succeeded"] == 1
    bad = app.handlers.call("generate.start", {"prompt": "x"})
    assert bad["error"]["code"] == "invalid_request"
    assert app.handlers.call("generate.cancel", {"task_id": "0" * 32})["error"]["code"] \
        == "not_running"


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ecan", *args], env=env, capture_output=True,
                          text=True, timeout=60)


def test_cli_generate_json_and_failure(clean_env: dict[str, str], gemini: fg.FakeGemini,
                                       photo: Path) -> None:
    env = {**clean_env, "GEMINI_API_KEY": KEY, "GEMINI_BASE_URL": gemini.url}
    ok = run_cli(env, "generate", "--image", str(photo), "--prompt", CHINESE, "--json")
    assert ok.returncode == 0, ok.stderr
    doc = json.loads(ok.stdout)
    assert {"task_id", "avatar_id", "professional_prompt", "timings"} <= set(doc)
    human = run_cli(env, "generate", "--image", str(photo), "--prompt", "again")
    assert human.returncode == 0 and "refined prompt:" in human.stdout
    gemini.push(fg.invalid_key())
    bad = run_cli(env, "generate", "--image", str(photo), "--prompt", CHINESE, "--json")
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["error"]["code"] == "gemini_key_invalid"
    assert "Traceback" not in bad.stderr and "GEMINI_API_KEY" in bad.stderr
    home = Path(clean_env["ECAN_HOME"])
    for text in (ok.stdout, ok.stderr, human.stdout, human.stderr, bad.stdout, bad.stderr):
        assert KEY not in text
    for f in home.rglob("*"):
        if f.is_file():
            assert KEY.encode() not in f.read_bytes(), f
    nokey = {k: v for k, v in env.items() if k != "GEMINI_API_KEY"}
    n = len(gemini.requests)
    missing = run_cli(nokey, "generate", "--image", str(photo), "--prompt", "x")
    assert missing.returncode == 1 and "GEMINI_API_KEY" in missing.stderr
    assert len(gemini.requests) == n
    assert os.environ.get("GEMINI_API_KEY") != KEY
