"""Deferred imports (ecan.deferred_imports): a command's start does not load what keyring only
needs for plugin discovery, and a deferred module behaves as itself once used."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecan.deferred_imports import defer, is_loaded


@pytest.fixture
def slow_module(tmp_path: Path) -> Iterator[str]:
    """A module of our own on sys.path that notes each time it is executed."""
    name = f"ecan_test_deferred_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(
        "import pathlib, time\n"
        "with pathlib.Path(__file__).with_suffix('.runs').open('a') as f:\n"
        "    f.write('run\\n')\n"
        "time.sleep(0.05)  # long enough for two threads to ask at once\n"
        "VALUE = 42\n"
        "def answer():\n    return VALUE\n")
    sys.path.insert(0, str(tmp_path))
    try:
        yield name
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(name, None)


def _runs(tmp_path: Path, name: str) -> int:
    runs = tmp_path / f"{name}.runs"
    return len(runs.read_text().splitlines()) if runs.exists() else 0


def test_a_deferred_module_loads_once_on_first_use_and_is_then_itself(
        slow_module: str, tmp_path: Path) -> None:
    defer(slow_module)
    held = __import__(slow_module)  # what a dependency's `import` statement keeps
    assert not is_loaded(slow_module) and _runs(tmp_path, slow_module) == 0

    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(held.answer()))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert results == [42] * 4
    assert _runs(tmp_path, slow_module) == 1
    assert is_loaded(slow_module)
    real = sys.modules[slow_module]
    assert __import__(slow_module) is real and real.VALUE == 42
    assert held.VALUE == 42 and "answer" in dir(held)


def test_a_module_that_is_not_installed_still_fails_to_import() -> None:
    defer("ecan_no_such_module_anywhere")
    assert "ecan_no_such_module_anywhere" not in sys.modules
    with pytest.raises(ImportError):
        __import__("ecan_no_such_module_anywhere")


def test_the_session_store_starts_without_keyrings_plugin_machinery() -> None:
    """keyring imports importlib_metadata and more_itertools as it loads (and jaraco.context
    subprocess); ecan reads the session without them, keyring's plugin discovery
    (a first start looking for an OS keyring) still finds every backend, and the modules
    work as themselves once used."""
    probe = (
        "import sys\n"
        "from ecan.auth.secrets import SecretStore\n"
        "import keyrings.alt.file\n"
        "from ecan.deferred_imports import is_loaded\n"
        "print(*(is_loaded(m) for m in "
        "('importlib_metadata', 'more_itertools', 'subprocess')))\n"
        "import keyring.backend\n"
        "names = {type(k).__name__ for k in keyring.backend.get_all_keyring()}\n"
        "print('PlaintextKeyring' in names, is_loaded('importlib_metadata'))\n"
        "import platform, subprocess\n"
        "echo = subprocess.run([sys.executable, '-c', 'print(2)'], capture_output=True,\n"
        "                      text=True)\n"
        "print(platform.system(), echo.stdout.strip(), sys.modules['subprocess'] is subprocess)\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=60).stdout.split("\n")
    assert out[0] == "False False False"  # not loaded by the start
    assert out[1] == "True True"  # loaded, and working, once plugins are looked for
    assert out[2] == "Linux 2 True"
