"""Malformed payloads thrown at every registered handler (whoever wrote it): every answer is a
structured `{ok, data}` or `{ok: false, error: {code, message, hint}}`, never an exception and
never an `internal_error`."""

from __future__ import annotations

import base64
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecan.app import build_app

# Text without path separators, dots or "~": a random string can then only name something in
# the empty working directory the test runs in, never walk "/" or the home folder.
TEXT = st.text(alphabet=st.characters(blacklist_characters="/\\.~", blacklist_categories=["Cs"]),
               max_size=40)
HUGE = st.sampled_from(["A" * 300_000, "\U0001f600" * 70_000, "x" * 5000, "\x00" * 100])
BAD_BASE64 = st.sampled_from(["@@@@", "QUJD=", "data:image/png;base64,!!", "====", "QQ",
                              "data:;base64,", " " * 10])
# Valid base64 of bytes that are no image, or the start of one.
B64 = st.one_of(st.binary(max_size=200), st.binary(max_size=60).map(
    lambda b: b"\x89PNG\r\n\x1a\n" + b)).map(lambda b: base64.b64encode(b).decode())
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                    TEXT, HUGE, BAD_BASE64, B64)
JSONISH = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)), max_leaves=10)


STRINGISH = st.one_of(TEXT, HUGE, BAD_BASE64, B64)


def typed(annotation: Any) -> st.SearchStrategy[Any]:
    """Well-typed but hostile values for a request field, so the handler body runs."""
    text = str(annotation)
    if "list" in text:
        return st.lists(STRINGISH, max_size=5)
    if "bool" in text:
        return st.booleans()
    if "int" in text:
        return st.integers()
    if "float" in text:
        return st.floats(allow_nan=True)
    if "str" in text:
        return st.one_of(STRINGISH, st.none()) if "None" in text else STRINGISH
    return JSONISH


def payloads(model: Any) -> st.SearchStrategy[Any]:
    """Random values, dicts built from the request's own field names with wrong, odd or missing
    values and extra keys, and well-typed hostile requests that reach the handler body."""
    fields = sorted(model.model_fields)
    required = {f: typed(i.annotation) for f, i in model.model_fields.items() if i.is_required()}
    optional = {f: typed(i.annotation) for f, i in model.model_fields.items()
                if not i.is_required()}
    well_typed = st.fixed_dictionaries(required, optional=optional)
    named = st.fixed_dictionaries(
        {}, optional={f: JSONISH for f in fields}) if fields else st.just({})
    with_extra = st.builds(lambda d, k, v: {**d, k: v}, named, TEXT, JSONISH)
    return st.one_of(well_typed, well_typed, well_typed, JSONISH, named, with_extra,
                     st.fixed_dictionaries({}, optional={f: st.one_of(TEXT, HUGE, BAD_BASE64, B64)
                                                         for f in fields}))


@pytest.fixture
def fuzz_app(clean_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
             ) -> Any:
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    app = build_app(clean_env)
    yield app
    app.close()


def _methods() -> list[str]:
    """The registered method names, read at collection time without opening a library or
    touching logging: the wiring is lazy, so registering builds no service."""
    from ecan.app import App
    from ecan.config import Config
    from ecan.paths import AppPaths

    home = Path(tempfile.mkdtemp(prefix="ecan-fuzz-collect-"))
    try:
        app = App(paths=AppPaths(home), config=Config(), log_path=home / "ecan.log", env={})
        return app.handlers.methods
    finally:
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.parametrize("method", _methods())
def test_malformed_payloads_get_structured_errors(fuzz_app: Any, method: str) -> None:
    spec = fuzz_app.handlers.spec(method)

    @settings(max_examples=40, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(payload=payloads(spec.request))
    def check(payload: Any) -> None:
        response = fuzz_app.handlers.call(method, payload)
        json.dumps(response)  # JSON-compatible, as the bridge and the CLI need
        assert isinstance(response, dict) and isinstance(response.get("ok"), bool)
        if not response["ok"]:
            err = response["error"]
            assert set(err) == {"code", "message", "hint"}
            assert all(isinstance(err[k], str) for k in err) and err["code"] and err["message"]
            assert err["code"] != "internal_error", (method, payload, err)

    check()


def test_unknown_methods_are_refused(fuzz_app: Any) -> None:
    for method in (None, 3, "", "avatar.nope", "x" * 10_000, ["avatar.list"]):
        r = fuzz_app.handlers.call(method, {})
        assert r["ok"] is False and r["error"]["code"] == "unknown_method"
