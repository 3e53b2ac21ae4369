"""A storage change saved in Settings applies at once: the window's cloud access and its sync
process use it without a restart, and the status bar follows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.ui.conftest import Gui


def test_choosing_a_folder_in_settings_syncs_the_waiting_avatars_without_a_restart(
        clean_env: dict[str, str], qtbot: Any, tmp_path: Path,
        make_pictures: Callable[..., list[Path]]) -> None:
    gui = Gui(clean_env, qtbot, sync=True)
    try:
        window = gui.window
        # No cloud yet: two pictures dropped in stay on this computer.
        window.import_paths([str(p) for p in make_pictures(2)])
        qtbot.waitUntil(lambda: len([a for a in window.avatars.current_avatars()
                                     if a["resource_type"] == "uploaded"]) == 2, timeout=20_000)
        window.monitor.refresh()
        qtbot.waitUntil(lambda: "Saved on this computer" in window.sync_label.text(),
                        timeout=10_000)
        assert "Local only" in window.online_label.text()

        launches: list[int] = []
        gui.worker.helper.launched.connect(lambda: launches.append(1))
        # Settings > A folder > the folder > Save.
        cloud = tmp_path / "my-cloud"
        cloud.mkdir()
        window.open_settings()
        dialog = window.settings_dialog
        dialog.backend.setCurrentIndex(1)
        dialog.folder.setText(str(cloud))
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)

        mine = [a for a in window.avatars.current_avatars() if a["resource_type"] == "uploaded"]
        qtbot.waitUntil(lambda: all(any(cloud.rglob(f"{a['sha256']}_original.*"))
                                    and any(cloud.rglob(f"{a['sha256']}_thumb.png"))
                                    for a in mine), timeout=30_000)
        qtbot.waitUntil(lambda: {a["sync_state"] for a in window.avatars.current_avatars()
                                 if a["resource_type"] == "uploaded"} == {"synced"},
                        timeout=20_000)
        qtbot.waitUntil(lambda: "synced" in window.sync_label.text()
                        and "Saved on this computer" not in window.sync_label.text(),
                        timeout=20_000)
        assert window.sync_label.text().startswith("All ")
        assert "Online" in window.online_label.text()
        assert window.account_button.text() == "Cloud storage (no sign-in)"
        # The same sync process did it: nothing was restarted to get here.
        assert gui.worker.helper.running() and launches == []
    finally:
        gui.close()
