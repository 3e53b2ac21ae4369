"""Fixtures for the storage contract suite: one moto S3 server per test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.contract.motoserver import moto_server


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint
