"""A system avatar published in the cloud arrives while the window runs: the sync process brings it
(tests/unit/test_system_pull.py) and announces it as a finished "system" job; the window then
shows it among the built-in avatars without a reload or a restart."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from ecan.db.models import SyncState
from ecan.sync.events import JobFinished


def test_a_published_system_avatar_shows_up_among_the_built_in_ones(gui: Any,
                                                                     qtbot: Any) -> None:
    page = gui.window.avatars
    page.state_filter.setCurrentIndex(2)  # "Built-in avatars"
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=10_000)
    before = page.model.rowCount()
    buf = io.BytesIO()
    Image.new("RGB", (90, 90), (200, 120, 40)).save(buf, "PNG")
    # What the engine's pull stored in the sync process (the same library file).
    arrived = gui.app.library.import_bytes(
        buf.getvalue(), "zephyr.png", resource_type="system", name="zephyr",
        sync_state=SyncState.SYNCED.value, cloud_image_key="shared/system/zephyr.png").avatar
    assert page.model.avatar(arrived.id) is None
    gui.worker.deliver(JobFinished(0, "system", arrived.id, 0, 0.0))
    qtbot.waitUntil(lambda: page.model.avatar(arrived.id) is not None, timeout=10_000)
    assert page.model.rowCount() == before + 1
    assert page.model.avatar(arrived.id)["name"] == "zephyr"
