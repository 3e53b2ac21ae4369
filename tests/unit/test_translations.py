"""Every message a user can read in the window has its Chinese: every tr() string of the
window, and every message and hint the domain writes (UserFacingError), are translated in
ecan_zh_CN.ts; the .ts files are current with the source and the .qm files with the .ts. And a
domain error, formatted with its values, reads in Chinese in a Chinese window."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "ecan" / "assets" / "translations"
BIN = Path(sys.executable).parent
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def load_messages() -> ModuleType:
    spec = importlib.util.spec_from_file_location("i18n_messages",
                                                  ROOT / "scripts" / "i18n_messages.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def messages_of(ts: Path) -> dict[tuple[str, str], ET.Element]:
    """(context, source) -> its <translation>."""
    out = {}
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            assert translation is not None
            out[(name, message.findtext("source") or "")] = translation
    return out


def finished(translation: ET.Element) -> bool:
    forms = translation.findall("numerusform")
    return translation.get("type") is None and (
        bool(translation.text) if not forms else all(f.text for f in forms))


def test_every_window_string_is_translated_and_the_ts_is_current(tmp_path: Path) -> None:
    committed = TRANSLATIONS / "ecan_zh_CN.ts"
    fresh = tmp_path / "ecan_zh_CN.ts"
    shutil.copy(committed, fresh)
    subprocess.run([str(BIN / "pyside6-lupdate"), *sorted(str(p) for p in
                    (ROOT / "ecan" / "ui").glob("*.py")), "-ts", str(fresh),
                    "-target-language", "zh_CN", "-no-obsolete", "-silent"], check=True,
                   capture_output=True)
    found = {k: v for k, v in messages_of(fresh).items() if k[0] != "Messages"}
    kept = {k: v for k, v in messages_of(committed).items() if k[0] != "Messages"}
    assert set(found) - set(kept) == set(), "strings in the source missing from the .ts: " \
        "run scripts/i18n.py"
    untranslated = [source for (_ctx, source), t in found.items() if not finished(t)]
    assert untranslated == [], "window strings without Chinese (add them to ZH in " \
        "scripts/i18n.py)"


def test_every_domain_message_and_hint_is_translated() -> None:
    module = load_messages()
    written = module.extract()
    # The extraction finds what the domain really writes (a few it must know).
    assert {"Syncing is not running right now.", "{0} is not a bandwidth limit.",
            "'{duration}' is not a duration.", "You are not signed in.",
            "Sign in again: `ecan login --username NAME`.", "{0} is not a region",
            # Settings' "Test connection" shows the doctor's checks.
            "wrote, read back and deleted {0}"} <= set(written)
    ts = messages_of(TRANSLATIONS / "ecan_zh_CN.ts")
    missing = [t for t in written if ("Messages", t) not in ts or not finished(ts[("Messages", t)])]
    assert missing == [], "domain messages without Chinese (add them to ZH in " \
        "scripts/i18n_messages.py and run scripts/i18n.py)"
    for text in written:
        chinese = ts[("Messages", text)].text or ""
        assert sorted(PLACEHOLDER.findall(chinese)) == sorted(PLACEHOLDER.findall(text)), text
    templates = json.loads((TRANSLATIONS / "message_templates.json").read_text("utf-8"))
    assert templates == sorted(t for t in written if module.placeholders(t))


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_the_qm_files_are_compiled_from_the_ts_files(tmp_path: Path, language: str) -> None:
    out = tmp_path / f"ecan_{language}.qm"
    subprocess.run([str(BIN / "pyside6-lrelease"), str(TRANSLATIONS / f"ecan_{language}.ts"),
                    "-qm", str(out), "-silent"], check=True, capture_output=True)
    assert out.read_bytes() == (TRANSLATIONS / f"ecan_{language}.qm").read_bytes(), \
        "the .qm is stale: run scripts/i18n.py"


def test_domain_errors_read_in_the_windows_language(qapp: Any) -> None:
    from dataclasses import replace

    from ecan.bridge.messages import translate_error, translate_text
    from ecan.config import Config, validate_config
    from ecan.errors import ConfigError, UserFacingError
    from ecan.sync.pause import pause_end
    from ecan.ui.i18n import Languages

    config = Config()
    with pytest.raises(ConfigError) as bad_region:
        validate_config(replace(config, storage=replace(config.storage, region="moon-1")))
    with pytest.raises(UserFacingError) as bad_duration:
        pause_end("soon")
    langs = Languages(qapp)
    try:
        langs.apply("en")
        # English stays exactly as the domain wrote it.
        assert translate_text(bad_region.value.message) == bad_region.value.message
        langs.apply("zh_CN")
        region = translate_text(bad_region.value.message)
        assert region.startswith("STORAGE.REGION") and region.endswith("'moon-1' 不是有效的区域")
        assert translate_text(bad_region.value.hint).startswith("请写一个 AWS 区域")
        error = translate_error(bad_duration.value.to_dict())
        assert error["message"] == "“soon” 不是有效的时长。"
        assert "30m" in error["hint"] and error["code"] == "invalid_duration"
        assert translate_text("Syncing is not running right now.") == "同步当前没有运行。"
        # Not one of the domain's messages: left alone.
        assert translate_text("Quelque chose: autre") == "Quelque chose: autre"
    finally:
        langs.apply("en")
