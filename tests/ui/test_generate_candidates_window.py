"""The generate dialog with candidates, offscreen over the real bridge and app and the real
google-genai client against the fake Gemini server: before (the photo) and after (three
candidates) side by side, two of three chosen and kept as two avatars, a style preset sent, and
the history showing the task with its thumbnail, ready to run again."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ecan.config import GeminiConfig
from ecan.imagegen.gemini import GeminiGenerator
from ecan.imagegen.presets import BY_NAME
from ecan.imagegen.service import GenerationService
from tests import fakegemini as fg

KEY = "AIzaSyUI-test-key-not-real-111111111111"
COLOURS = [(220, 40, 40), (40, 200, 60), (50, 60, 210)]


@pytest.fixture
def setup(clean_env: dict[str, str], qtbot: Any, tmp_path: Path
          ) -> Iterator[tuple[Any, Any, Path, fg.FakeGemini]]:
    from ecan.app import build_app
    from ecan.bridge.bridge import Bridge
    from ecan.ui.generate_dialog import GenerateDialog

    fake = fg.FakeGemini().start()
    app = build_app(clean_env)
    config = dataclasses.replace(GeminiConfig(), api_key=KEY, base_url=fake.url, timeout_s=5.0)
    app.generator = GenerationService(app.db, app.library, config, generator=GeminiGenerator(
        config, retry_attempts=2, retry_initial_delay_s=0.01))
    bridge = Bridge(app.handlers)
    dialog = GenerateDialog(bridge)
    qtbot.addWidget(dialog)
    dialog.show()
    photo = tmp_path / "me.png"
    photo.write_bytes(fg.png_bytes(96, (10, 200, 90)))
    yield app, dialog, photo, fake
    dialog.close()
    bridge.close()
    app.close()
    fake.stop()


def generated(app: Any) -> list[Any]:
    return app.library.list(resource_type="generated")


def run_three(dialog: Any, photo: Path, fake: fg.FakeGemini, qtbot: Any) -> dict[str, Any]:
    fake.push(fg.text_reply("A watercolour portrait."),
              *(fg.image_reply(fg.png_bytes(64 + i, c)) for i, c in enumerate(COLOURS)))
    dialog.photo.setText(str(photo))
    dialog.request.setPlainText("paint me")
    dialog.preset.setCurrentIndex(dialog.preset.findData("watercolour"))
    dialog.candidates.setValue(3)
    with qtbot.waitSignal(dialog.generated, timeout=30_000) as blocker:
        dialog.generate_button.click()
    return dict(blocker.args[0])


def shown(widget: Any) -> bool:
    pixmap = widget.pixmap()
    return pixmap is not None and not pixmap.isNull()


def test_before_and_after_then_two_of_three_kept(setup: Any, qtbot: Any,
                                                 languages: Any) -> None:
    languages.apply("en")
    app, dialog, photo, fake = setup
    result = run_three(dialog, photo, fake, qtbot)
    assert any(BY_NAME["watercolour"].suffix in t for t in fake.requests[0].texts())
    assert len(fake.requests) == 4  # one refinement, three drawings

    # Before: the photo; after: three candidates to choose from, none in the library yet.
    assert dialog.result_box.isVisible() and dialog.choices.isVisible()
    assert not dialog.preview.isVisible()
    qtbot.waitUntil(lambda: shown(dialog.before), timeout=10_000)
    assert len(dialog.choice_buttons) == 3
    qtbot.waitUntil(lambda: all(not b.icon().isNull() for b in dialog.choice_buttons),
                    timeout=10_000)
    assert [b.text() for b in dialog.choice_buttons] == [
        "Candidate 1", "Candidate 2", "Candidate 3"]
    assert dialog.keep_button.text() == "Keep chosen"
    assert generated(app) == []

    dialog.keep_button.click()  # nothing chosen yet: says so, keeps nothing
    assert "at least one" in dialog.status.text() and generated(app) == []

    dialog.choice_buttons[0].click()
    dialog.choice_buttons[2].click()
    with qtbot.waitSignal(dialog.kept, timeout=10_000) as kept:
        dialog.keep_button.click()
    ids = kept.args[0]
    assert len(ids) == 2 and sorted(a.id for a in generated(app)) == sorted(ids)
    assert dialog.status.text() == "Kept 2 avatars; the others were discarded."
    [task] = app.generator.history()
    assert task["preset"] == "watercolour" and task["credits"] == 3.0
    assert result["task_id"] == task["id"] and task["pending_candidates"] == []


def test_discard_all_keeps_nothing(setup: Any, qtbot: Any) -> None:
    app, dialog, photo, fake = setup
    run_three(dialog, photo, fake, qtbot)
    with qtbot.waitSignal(dialog.discarded, timeout=10_000):
        dialog.discard_button.click()
    assert generated(app) == [] and not dialog.result_box.isVisible()


def test_history_shows_the_thumbnail_and_runs_a_past_task_again(setup: Any, qtbot: Any,
                                                                languages: Any) -> None:
    languages.apply("en")
    app, dialog, photo, fake = setup
    run_three(dialog, photo, fake, qtbot)
    dialog.choice_buttons[1].click()
    with qtbot.waitSignal(dialog.kept, timeout=10_000):
        dialog.keep_button.click()
    dialog.request.setPlainText("something else")
    dialog.preset.setCurrentIndex(0)
    dialog.candidates.setValue(1)
    dialog.photo.clear()

    dialog.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=10_000)
    assert dialog.table.item(0, 3).text() == "Watercolour"
    qtbot.waitUntil(lambda: not dialog.table.item(0, 0).icon().isNull(), timeout=10_000)

    dialog.table.selectRow(0)
    dialog.reuse_button.click()  # the past prompt in the form, to edit
    assert dialog.tabs.currentIndex() == 0
    assert dialog.request.toPlainText() == "paint me"
    assert dialog.preset.currentData() == "watercolour" and dialog.candidates.value() == 3
    assert Path(dialog.photo.text()).is_file()  # the kept source photo

    dialog.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=10_000)
    dialog.table.selectRow(0)
    fake.push(fg.text_reply("again"),
              *(fg.image_reply(fg.png_bytes(70 + i, c)) for i, c in enumerate(COLOURS)))
    with qtbot.waitSignal(dialog.generated, timeout=30_000):
        dialog.rerun_button.click()
    assert len(app.generator.history()) == 2
