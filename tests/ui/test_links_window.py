"""Links from the details pane: "Copy private link" (once the avatar is in the cloud) asks how
long the link should work and copies a presigned URL that opens the original; "Copy public link"
is there only where a public URL base is configured."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ui.conftest import Gui


def sign_in(gui: Gui, qtbot: Any, user: Any) -> None:
    qtbot.waitUntil(lambda: gui.window.account_button.text() == "Sign in", timeout=10_000)
    gui.window.open_sign_in(False)
    dialog = gui.window.signin_dialog
    dialog.username.setText(user.username)
    dialog.password.setText(user.password)
    dialog.sign_in_button.click()
    qtbot.waitUntil(lambda: gui.window.account_button.text() == user.username, timeout=15_000)


def select(gui: Gui, qtbot: Any, name: str, state: str) -> Any:
    """Select the avatar `name` once the gallery shows it in `state`; its details pane."""
    from ecan.ui.gallery_model import AvatarRole

    page = gui.window.avatars

    def found() -> Any:
        page.reload()
        for r in range(page.proxy.rowCount()):
            index = page.proxy.index(r, 0)
            row = index.data(AvatarRole)
            if row.get("name") == name and row.get("sync_state") == state:
                return index
        return None

    qtbot.waitUntil(lambda: found() is not None, timeout=30_000)
    page.view.setCurrentIndex(found())
    return page.details


def test_a_private_link_is_copied_for_the_expiry_chosen(
        cloud_gui: Gui, qtbot: Any, demo_user: Any,
        make_pictures: Callable[..., list[Path]]) -> None:
    from PySide6.QtGui import QGuiApplication

    gui = cloud_gui
    sign_in(gui, qtbot, demo_user)
    (picture,) = make_pictures(1, "linked")
    gui.call("avatar.import_paths", {"paths": [str(picture)]})
    details = select(gui, qtbot, picture.stem, "synced")
    assert details.copy_presigned.isVisible()
    assert not details.copy_public.isVisible()  # no CDN / public URL base configured
    assert [a.text() for a in details.expiry_actions] == [
        "Works for 1 hour", "Works for 1 day", "Works for 7 days"]
    QGuiApplication.clipboard().clear()
    details.expiry_actions[1].trigger()  # 1 day
    qtbot.waitUntil(lambda: QGuiApplication.clipboard().text().startswith("http"),
                    timeout=15_000)
    url = QGuiApplication.clipboard().text()
    with urllib.request.urlopen(url, timeout=30) as r:  # noqa: S310 - the local cloud
        assert r.read() == picture.read_bytes()
    assert "works until" in gui.window.statusBar().currentMessage()


@pytest.fixture
def public_gui(clean_env: dict[str, str], qtbot: Any, tmp_path: Path) -> Iterator[Gui]:
    config = tmp_path / "auth_config.yml"
    config.write_text(f"STORAGE:\n  BACKEND: local\n  LOCAL_PATH: {tmp_path / 'cloud'}\n"
                      "  PUBLIC_URL_BASE: https://cdn.example.test/\n")
    g = Gui({**clean_env, "ECAN_CONFIG": str(config)}, qtbot, sync=True)
    yield g
    g.close()


def test_a_public_link_is_offered_where_one_is_configured(
        public_gui: Gui, qtbot: Any, make_pictures: Callable[..., list[Path]]) -> None:
    from PySide6.QtGui import QGuiApplication

    gui = public_gui
    (picture,) = make_pictures(1, "public")
    gui.call("avatar.import_paths", {"paths": [str(picture)]})
    details = select(gui, qtbot, picture.stem, "synced")
    assert details.copy_public.isVisible()
    details.copy_public.click()
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith("https://cdn.example.test/avatars/") and "_original.png" in copied
