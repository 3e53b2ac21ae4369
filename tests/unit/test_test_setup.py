"""The test suite's own set-up: what makes its runs repeatable."""

from __future__ import annotations

import os

import pytest


def test_hypothesis_runs_the_same_examples_every_time() -> None:
    if os.environ.get("HYPOTHESIS_PROFILE", "ci") != "ci":
        pytest.skip("another hypothesis profile was asked for")
    from hypothesis import settings

    current = settings()
    assert current.derandomize is True and current.database is None
    assert current.deadline is None and current.max_examples == 40
