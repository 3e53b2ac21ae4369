"""The domain's messages in the window's language. The domain is Qt-free and writes English
(UserFacingError's message and hint); the window translates them here, by their English text,
from the `Messages` context of the .ts files that scripts/i18n.py fills from the source. A
formatted message ("'x' is not a region") is recognised by its template ("{0} is not a
region", listed in message_templates.json), translated, and refilled with the same values."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from PySide6.QtCore import QCoreApplication

from ecan.resources import assets_dir

CONTEXT = "Messages"
TEMPLATES = "message_templates.json"
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
# How deep values are themselves translated ("STORAGE.REGION: 'x' is not a region").
_DEPTH = 2


class _Template:
    def __init__(self, text: str) -> None:
        self.text = text
        literals = _PLACEHOLDER.split(text)
        self.tokens = _PLACEHOLDER.findall(text)
        self.literal_length = sum(len(x) for x in literals)
        # "{0}: {1}" says nothing by itself: it is only ours when a value is.
        self.wordless = not re.search(r"[A-Za-z]", "".join(literals))
        self.pattern = re.compile(
            "^" + "(.+?)".join(re.escape(x.replace("{{", "{").replace("}}", "}"))
                               for x in literals) + "$", re.DOTALL)


@functools.cache
def _templates() -> tuple[_Template, ...]:
    """The formatted messages, most specific first (a read-only file, read once)."""
    try:
        texts = json.loads((assets_dir() / "translations" / TEMPLATES).read_text("utf-8"))
    except (OSError, ValueError):
        return ()
    made = [_Template(t) for t in texts if isinstance(t, str)]
    return tuple(sorted(made, key=lambda t: -t.literal_length))


def _translate(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


def translate_text(text: str, depth: int = 0) -> str:
    """`text` in the window's language when it is one of the domain's messages; else as is."""
    if not text:
        return text
    exact = _translate(text)
    if exact != text:
        return exact
    if depth > _DEPTH:
        return text
    for template in _templates():
        match = template.pattern.match(text)
        if match is None:
            continue
        translated = _translate(template.text)
        if translated == template.text:
            return text  # no translation for the language in use (English)
        values = [translate_text(v, depth + 1) for v in match.groups()]
        if template.wordless and values == list(match.groups()):
            continue
        return _fill(translated, dict(zip(template.tokens, values, strict=True)))
    return text


def _fill(translated: str, values: dict[str, str]) -> str:
    # Not str.format: a value may hold braces of its own.
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(0), m.group(0)), translated)


def translate_error(error: dict[str, Any]) -> dict[str, Any]:
    """An error dict ({code, message, hint}) with its message and hint translated."""
    out = dict(error)
    for key in ("message", "hint"):
        if isinstance(out.get(key), str):
            out[key] = translate_text(out[key])
    return out
