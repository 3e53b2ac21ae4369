"""Fixtures shared by every test layer: a fresh ECAN_HOME per test and an app wired on it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _hypothesis_profiles() -> None:
    """One fixed profile everywhere (CI and local runs alike): the same examples every run, no
    deadline on a loaded machine, no example database carried between runs. A failure then
    reproduces; HYPOTHESIS_PROFILE=explore searches wider on purpose."""
    try:
        from hypothesis import settings
    except ImportError:  # only the fuzz tests need it
        return
    settings.register_profile("ci", derandomize=True, deadline=None, max_examples=40,
                              database=None, print_blob=True)
    settings.register_profile("explore", max_examples=500, deadline=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


_hypothesis_profiles()

pytest_plugins = ["tests.fixtures_cloud"]

# Names from the user's shell that would change what ecan reads; tests start from none of them.
_ECAN_ENV = ("ECAN_HOME", "ECAN_CONFIG", "ECAN_CALLBACK_PORT", "AVATAR_CLOUD_", "AWS_",
             "S3_BUCKET_NAME", "R2_",
             "USE_R2_STORAGE", "GEMINI_", "NANO_BANANA_")


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """os.environ without ecan/AWS settings, and ECAN_HOME in a fresh folder."""
    for name in list(os.environ):
        if name.startswith(_ECAN_ENV):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "ecan-home"
    monkeypatch.setenv("ECAN_HOME", str(home))
    # boto3 must never find the developer's own credentials or config.
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    env = dict(os.environ)
    return env


@pytest.fixture
def ecan_home(clean_env: dict[str, str]) -> Path:
    return Path(clean_env["ECAN_HOME"])


@pytest.fixture
def app(clean_env: dict[str, str]) -> Iterator[object]:
    from ecan.app import build_app

    a = build_app(clean_env)
    yield a
    a.close()
