"""Session-wide corpus fixtures; test modules import them by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.corpus.make_corpus import Expect, write_corpus


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Expect]]:
    folder = tmp_path_factory.mktemp("corpus")
    return folder, write_corpus(folder)
