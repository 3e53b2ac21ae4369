"""The generation service with the in-memory generator twin and a real library on SQLite:
cancel between and during stages, the budget counting running tasks, statistics, bad input
refused before a task exists."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from ecan.config import GeminiConfig
from ecan.errors import UserFacingError
from ecan.imagegen.memory import MemoryGenerator
from ecan.imagegen.service import GenerationService
from tests.fakegemini import png_bytes


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    p = tmp_path / "me.png"
    p.write_bytes(png_bytes(80))
    return p


def service(app: Any, gen: MemoryGenerator, budget: float = 0.0) -> GenerationService:
    return GenerationService(app.db, app.library, GeminiConfig(credit_budget=budget),
                             generator=gen)


def generated(app: Any) -> list[Any]:
    return app.library.list(resource_type="generated")


def test_cancel_between_stages_stops_before_the_image_model(app: Any, photo: Path) -> None:
    cancel = threading.Event()
    gen = MemoryGenerator(png_bytes(32, (1, 2, 3)),
                          on_stage=lambda stage: cancel.set() if stage == "analyse" else None)
    svc = service(app, gen)
    with pytest.raises(UserFacingError) as info:
        svc.generate(photo, "white coat", cancel=cancel)
    assert info.value.code == "cancelled"
    assert [c[0] for c in gen.calls] == ["analyse"]
    [task] = svc.history()
    assert task["status"] == "cancelled" and task["credits"] == 0 and generated(app) == []
    assert svc.stats()["cancelled"] == 1


def test_cancel_by_task_id_during_a_stage(app: Any, photo: Path) -> None:
    release = threading.Event()
    gen = MemoryGenerator(png_bytes(32), block=release)
    svc = service(app, gen)
    task_id = "ab" * 16
    errors: list[str] = []

    def run() -> None:
        try:
            svc.generate(photo, "white coat", task_id=task_id)
        except UserFacingError as e:
            errors.append(e.code)

    worker = threading.Thread(target=run)
    worker.start()
    while not gen.calls:
        worker.join(0.01)
    svc.cancel(task_id)
    worker.join(5)
    release.set()
    assert errors == ["cancelled"] and generated(app) == []
    with pytest.raises(UserFacingError) as info:
        svc.cancel(task_id)
    assert info.value.code == "not_running"


def test_budget_counts_a_running_task(app: Any, photo: Path) -> None:
    release = threading.Event()
    gen = MemoryGenerator(png_bytes(32), block=release)
    svc = service(app, gen, budget=1)
    worker = threading.Thread(target=lambda: svc.generate(photo, "one"))
    worker.start()
    while not gen.calls:
        worker.join(0.01)
    # The first task may still spend the only credit: a second one is refused now.
    with pytest.raises(UserFacingError) as info:
        svc.generate(photo, "two")
    assert info.value.code == "budget_exhausted"
    release.set()
    worker.join(5)
    stats = svc.stats()
    assert (stats["succeeded"], stats["credits_used"], stats["budget_left"]) == (1, 1.0, 0.0)


def test_failed_stage_costs_nothing_and_counts_in_stats(app: Any, photo: Path) -> None:
    gen = MemoryGenerator(png_bytes(32), fail_generate=UserFacingError(
        "gemini_no_image", "no image", "try again"))
    svc = service(app, gen, budget=5)
    with pytest.raises(UserFacingError):
        svc.generate(photo, "x")
    gen.fail_generate = None
    svc.generate(photo, "y")
    stats = svc.stats()
    assert stats["count"] == 2 and stats["success_rate"] == 0.5
    assert stats["credits_used"] == 1.0 and stats["budget_left"] == 4.0
    assert stats["avg_analyse_ms"] is not None
    failed = svc.history()[1]
    assert failed["error_code"] == "gemini_no_image" and failed["professional_prompt"]


def test_result_that_is_not_an_image_leaves_nothing(app: Any, photo: Path) -> None:
    svc = service(app, MemoryGenerator(b"GIF89a" + b"\x00" * 40, mime="image/gif"))
    with pytest.raises(UserFacingError):
        svc.generate(photo, "x")
    assert generated(app) == [] and list(app.paths.generated.iterdir()) == []
    assert svc.history()[0]["status"] == "failed"


@pytest.mark.parametrize(("path", "prompt", "code"), [
    (None, "x", "invalid_request"),
    ("photo", "   ", "invalid_request"),
    ("photo", "x" * 2001, "invalid_request"),
])
def test_bad_requests_are_refused_before_a_task(app: Any, photo: Path, path: str | None,
                                                prompt: str, code: str) -> None:
    gen = MemoryGenerator(png_bytes(32))
    svc = service(app, gen)
    with pytest.raises(UserFacingError) as info:
        svc.generate(photo if path else None, prompt)
    assert info.value.code == code and gen.calls == [] and svc.history() == []


def test_a_source_that_is_not_an_image_fails_without_calling_the_model(
        app: Any, tmp_path: Path) -> None:
    bad = tmp_path / "notes.png"
    bad.write_text("hello")
    gen = MemoryGenerator(png_bytes(32))
    svc = service(app, gen)
    with pytest.raises(UserFacingError) as info:
        svc.generate(bad, "x")
    assert "notes.png" in info.value.message and gen.calls == []
    assert svc.history()[0]["status"] == "failed"


def test_a_task_left_running_by_a_dead_process_is_reported_interrupted(
        app: Any, photo: Path) -> None:
    from ecan.db.models import GenerationTask

    with app.db.session() as s:
        s.add(GenerationTask(id="cd" * 16, status="generating", user_prompt="x",
                             text_model="t", image_model="i", created_at=1.0))
    svc = service(app, MemoryGenerator(png_bytes(32)), budget=1)
    [task] = svc.history()
    assert (task["status"], task["error_code"]) == ("failed", "interrupted")
    svc.generate(photo, "the credit it held is free again")
