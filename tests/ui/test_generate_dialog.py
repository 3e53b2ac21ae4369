"""The generate dialog offscreen over the real bridge, app and google-genai client against the
fake Gemini server: a Chinese request to a kept-or-discarded avatar, an error shown with its
fix, the history and statistics tab, cancel, and the dialog in Simplified Chinese."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from ecan.config import GeminiConfig
from ecan.imagegen.gemini import GeminiGenerator
from ecan.imagegen.service import GenerationService
from tests import fakegemini as fg

KEY = "AIzaSyUI-test-key-not-real-000000000000"
CHINESE = "让这个人穿上医生的白大褂，背景是医院"


@pytest.fixture(scope="module")
def fake() -> Iterator[fg.FakeGemini]:
    server = fg.FakeGemini().start()
    yield server
    server.stop()


@pytest.fixture
def setup(clean_env: dict[str, str], fake: fg.FakeGemini, qtbot: Any, tmp_path: Path
          ) -> Iterator[tuple[Any, Any, Path]]:
    from ecan.app import build_app
    from ecan.bridge.bridge import Bridge
    from ecan.ui.generate_dialog import GenerateDialog

    fake.reset()
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
    yield app, dialog, photo
    dialog.close()
    bridge.close()
    app.close()
    fake.reset()


def generated(app: Any) -> list[Any]:
    return app.library.list(resource_type="generated")


def test_chinese_request_shows_prompt_result_and_timings_then_discard(
        setup: tuple[Any, Any, Path], fake: fg.FakeGemini, qtbot: Any) -> None:
    app, dialog, photo = setup
    dialog.photo.setText(str(photo))
    dialog.request.setPlainText(CHINESE)
    with qtbot.waitSignal(dialog.generated, timeout=20_000) as blocker:
        dialog.generate_button.click()
    result = blocker.args[0]
    assert any(CHINESE in t for t in fake.requests[0].texts())
    assert dialog.professional.toPlainText() == fake.default_professional_prompt
    assert dialog.result_box.isVisible() and "total" in dialog.timings.text()
    qtbot.waitUntil(lambda: dialog.preview.pixmap() is not None
                    and not dialog.preview.pixmap().isNull(), timeout=10_000)
    assert [a.id for a in generated(app)] == [result["avatar_id"]]
    with qtbot.waitSignal(dialog.discarded, timeout=10_000):
        dialog.discard_button.click()
    assert generated(app) == [] and not dialog.result_box.isVisible()


def test_keep_leaves_the_avatar_and_history_shows_it(setup: tuple[Any, Any, Path],
                                                     qtbot: Any, languages: Any) -> None:
    languages.apply("en")
    app, dialog, photo = setup
    dialog.photo.setText(str(photo))
    dialog.request.setPlainText("white coat")
    with qtbot.waitSignal(dialog.generated, timeout=20_000):
        dialog.generate_button.click()
    dialog.keep_button.click()
    assert len(generated(app)) == 1
    dialog.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=10_000)
    qtbot.waitUntil(lambda: dialog.stats.text().startswith("1 task · "), timeout=10_000)
    assert dialog.table.item(0, 1).text() == "succeeded"
    assert "100%" in dialog.stats.text()


def test_an_error_is_shown_with_its_fix_and_recorded(setup: tuple[Any, Any, Path],
                                                     fake: fg.FakeGemini, qtbot: Any) -> None:
    app, dialog, photo = setup
    fake.push(fg.invalid_key())
    dialog.photo.setText(str(photo))
    dialog.request.setPlainText("white coat")
    dialog.generate_button.click()
    qtbot.waitUntil(lambda: "GEMINI_API_KEY" in dialog.status.text(), timeout=20_000)
    assert KEY not in dialog.status.text() and dialog.generate_button.isEnabled()
    assert not dialog.result_box.isVisible() and generated(app) == []
    dialog.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=10_000)
    assert dialog.table.item(0, 1).text() == "failed"


def test_missing_input_is_refused_without_a_task(setup: tuple[Any, Any, Path]) -> None:
    app, dialog, photo = setup
    dialog.generate_button.click()
    assert "photo" in dialog.status.text()
    dialog.photo.setText(str(photo))
    dialog.generate_button.click()
    assert "look like" in dialog.status.text()
    assert app.generator.history() == []


def test_cancel_while_drawing(setup: tuple[Any, Any, Path], fake: fg.FakeGemini,
                              qtbot: Any) -> None:
    app, dialog, photo = setup
    fake.push(fg.text_reply("p"), fg.slow(5))
    dialog.photo.setText(str(photo))
    dialog.request.setPlainText("white coat")
    dialog.generate_button.click()
    qtbot.waitUntil(lambda: len(fake.requests) == 2, timeout=10_000)
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=10_000)
    assert app.generator.history()[0]["status"] == "cancelled" and generated(app) == []


def test_dialog_in_simplified_chinese(setup: tuple[Any, Any, Path], tmp_path: Path,
                                      qtbot: Any) -> None:
    """The dialog's zh_CN table compiled the way scripts/i18n.py does, installed live."""
    from PySide6.QtCore import QCoreApplication, QTranslator

    from ecan.ui.generate_dialog import ZH_CN

    _app, dialog, _photo = setup
    messages = "".join(f"<message><source>{escape(s)}</source>"
                       f"<translation>{escape(t)}</translation></message>"
                       for s, t in ZH_CN.items())
    ts = tmp_path / "gen_zh_CN.ts"
    ts.write_text('<?xml version="1.0" encoding="utf-8"?><TS version="2.1" language="zh_CN">'
                  f"<context><name>GenerateDialog</name>{messages}</context></TS>",
                  encoding="utf-8")
    lrelease = Path(sys.executable).parent / "pyside6-lrelease"
    subprocess.run([str(lrelease), str(ts), "-qm", str(ts.with_suffix(".qm"))], check=True,
                   capture_output=True)
    translator = QTranslator()
    assert translator.load(str(ts.with_suffix(".qm")))
    QCoreApplication.installTranslator(translator)
    try:
        qtbot.waitUntil(lambda: dialog.windowTitle() == "生成 AI 头像", timeout=5_000)
        assert dialog.generate_button.text() == "生成"
        assert dialog.request.placeholderText().startswith("例如：让这个人穿上医生的白大褂")
    finally:
        QCoreApplication.removeTranslator(translator)
    qtbot.waitUntil(lambda: dialog.windowTitle() == "Generate an AI avatar", timeout=5_000)


def test_main_window_opens_the_dialog(gui: Any, qtbot: Any) -> None:
    from ecan.ui.generate_dialog import GenerateDialog

    assert gui.window.act_generate.isVisible()
    gui.window.act_generate.trigger()
    dialog = gui.window.generate_dialog
    assert isinstance(dialog, GenerateDialog)
    qtbot.waitUntil(dialog.isVisible, timeout=5_000)
    dialog.close()


def test_without_a_key_the_dialog_says_so_when_it_opens(clean_env: dict[str, str],
                                                        qtbot: Any) -> None:
    from ecan.app import build_app
    from ecan.bridge.bridge import Bridge
    from ecan.ui.generate_dialog import GenerateDialog

    app = build_app({k: v for k, v in clean_env.items() if not k.startswith("GEMINI")})
    app.generator = GenerationService(app.db, app.library,
                                      dataclasses.replace(GeminiConfig(), api_key=""))
    bridge = Bridge(app.handlers)
    try:
        dialog = GenerateDialog(bridge)
        qtbot.addWidget(dialog)
        dialog.show()
        # Before anything is filled in or clicked.
        qtbot.waitUntil(lambda: "GEMINI_API_KEY" in dialog.status.text(), timeout=10_000)
        assert not dialog.generate_button.isEnabled()
        assert app.generator.history() == []
        dialog.close()
    finally:
        bridge.close()
        app.close()


def test_the_picker_starts_on_the_selected_avatar_and_tab_leaves_the_request(
        gui: Any, qtbot: Any, make_pictures: Any) -> None:
    from PySide6.QtCore import Qt

    ids = [r["avatar_id"] for r in gui.call(
        "avatar.import_paths", {"paths": [str(p) for p in make_pictures(3)]})["results"]]
    page = gui.window.avatars
    page.reload()
    qtbot.waitUntil(lambda: len(page.current_avatars()) == 3, timeout=10_000)
    page.select_id(ids[1])
    gui.window.act_generate.trigger()
    dialog = gui.window.generate_dialog
    qtbot.waitUntil(lambda: dialog.avatar.currentData() == ids[1], timeout=10_000)
    assert dialog.use_avatar.isChecked() and dialog.avatar.isEnabled()

    dialog.activateWindow()
    dialog.request.setFocus()
    qtbot.waitUntil(dialog.request.hasFocus, timeout=5000)
    qtbot.keyClicks(dialog.request, "white coat")
    qtbot.keyClick(dialog.request, Qt.Key.Key_Tab)
    assert not dialog.request.hasFocus()
    assert dialog.request.toPlainText() == "white coat"
    dialog.close()
