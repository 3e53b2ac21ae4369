"""Signing in on a new computer brings the library with it: the window restores the cloud's
avatars after the first sign-in on an empty library."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ecan.app import build_app
from ecan.auth.secrets import MemoryKeyring
from tests.ui.conftest import Gui


def test_first_sign_in_restores_the_library_into_the_gallery(
        make_demo_cloud: Callable[..., Any], clean_env: dict[str, str], tmp_path: Path,
        qtbot: Any, make_pictures: Callable[..., list[Path]]) -> None:
    cloud = make_demo_cloud()
    user = cloud.info.users[0]
    config = str(cloud.write_config(tmp_path / "cloud.yml"))

    # The first computer: sign in, import two pictures, sync them.
    first = build_app({**clean_env, "ECAN_HOME": str(tmp_path / "first"), "ECAN_CONFIG": config},
                      keyring_backend=MemoryKeyring())
    try:
        assert first.handlers.call("auth.sign_in", {"username": user.username,
                                                    "password": user.password})["ok"]
        pictures = [str(p) for p in make_pictures(2, "mine")]
        assert all(r["ok"] for r in first.handlers.call(
            "avatar.import_paths", {"paths": pictures})["data"]["results"])
        assert first.engine.drain(timeout=60).synced == 2
    finally:
        first.close()

    # The second computer: an empty library; signing in in the window is all the user does.
    gui = Gui({**clean_env, "ECAN_HOME": str(tmp_path / "second"), "ECAN_CONFIG": config},
              qtbot, sync=True)
    try:
        assert gui.window.avatars.current_avatars() == []
        gui.window.open_sign_in(False)
        dialog = gui.window.signin_dialog
        dialog.username.setText(user.username)
        dialog.password.setText(user.password)
        dialog.sign_in_button.click()
        qtbot.waitUntil(lambda: len(gui.window.avatars.current_avatars()) == 2, timeout=20_000)
        assert {a["sync_state"] for a in gui.window.avatars.current_avatars()} == {"synced"}
    finally:
        gui.close()
