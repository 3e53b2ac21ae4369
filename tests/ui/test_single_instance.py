"""One window per library (ecan.ui.single_instance): a second launch on the same ECAN_HOME
raises the first window; another library is another instance; a socket left by a crash does
not block the start; and another user of the computer cannot make ecan think it is already
running by creating the socket first."""

from __future__ import annotations

import hashlib
import os
import socket
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtNetwork import QLocalServer

from ecan.ui.single_instance import SingleInstance

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="Unix domain sockets")


def _old_predictable_name(home: Path) -> str:
    """The name ecan used to listen on (in the shared temp folder): anyone could compute it."""
    digest = hashlib.sha256(str(home.resolve()).encode("utf-8")).hexdigest()[:16]
    user = os.environ.get("USER") or os.environ.get("USERNAME") or "user"
    return f"ecan-{user}-{digest}"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    h.mkdir(mode=0o700)
    return h


def test_a_second_launch_on_the_same_library_raises_the_first(home: Path, qtbot: Any) -> None:
    first = SingleInstance(home)
    assert not first.notify_running() and first.listen()
    try:
        with qtbot.waitSignal(first.raise_requested, timeout=10_000):
            assert SingleInstance(home).notify_running()
    finally:
        first.close()


def test_another_library_is_another_instance(home: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir(mode=0o700)
    first = SingleInstance(home)
    assert first.listen()
    try:
        second = SingleInstance(other)
        assert not second.notify_running()
        assert second.listen()
        second.close()
    finally:
        first.close()


def test_a_socket_another_user_created_first_does_not_stop_ecan(home: Path) -> None:
    squatter = QLocalServer()  # listening where the other user could predict ecan looks
    QLocalServer.removeServer(_old_predictable_name(home))
    assert squatter.listen(_old_predictable_name(home))
    try:
        mine = SingleInstance(home)
        assert not mine.notify_running(), "ecan would say 'already running' and exit"
        assert mine.listen()
        # Where it listens, only this user can create anything.
        folder = Path(mine.name).parent
        st = folder.stat()
        assert folder.is_absolute() and st.st_uid == os.getuid()
        assert stat.S_IMODE(st.st_mode) & 0o077 == 0
        mine.close()
    finally:
        squatter.close()


def test_a_socket_left_by_a_crash_does_not_block_the_start(home: Path) -> None:
    name = SingleInstance(home).name
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(name)  # bound, never listening, never removed: what a killed ecan leaves
    stale.close()
    assert Path(name).exists()
    instance = SingleInstance(home)
    assert not instance.notify_running()
    assert instance.listen()
    instance.close()


def test_a_library_whose_path_is_too_long_for_a_socket(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*["a-rather-long-folder-name"] * 6)
    deep.mkdir(parents=True, mode=0o700)
    first = SingleInstance(deep)
    assert len(os.fsencode(first.name)) < 100
    assert first.listen()
    try:
        assert SingleInstance(deep).notify_running()
        folder = Path(first.name).parent
        assert stat.S_IMODE(folder.stat().st_mode) & 0o077 == 0
        assert folder.stat().st_uid == os.getuid()
    finally:
        first.close()
