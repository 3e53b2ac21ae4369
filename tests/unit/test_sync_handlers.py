"""The `sync.*` handlers on a real app (no cloud configured): contract shape, remembered
settings, and bad payloads refused with a clear error."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ecan.sync.testing import write_avatar


def test_sync_handlers(app: Any) -> None:
    h = app.handlers
    write_avatar(app.paths, app.db.path, seed=1)  # app.db migrates the new library
    status = h.call("sync.status")
    assert status["ok"], status
    data = status["data"]
    assert set(data) >= {"counts", "signed_in", "online", "identity_id", "paused", "auth_required"}
    assert data["counts"] == {"local": 1, "queued": 0, "syncing": 0, "synced": 0, "failed": 0,
                              "system": 0}
    assert h.call("sync.pause") == {"ok": True, "data": {"paused": True, "until": None},
                                    "changed": ["sync"]}
    assert h.call("sync.status")["data"]["paused"] is True
    assert h.call("sync.resume")["data"] == {"paused": False, "until": None}
    timed = h.call("sync.pause", {"duration": "30m"})["data"]
    assert timed["paused"] is True and timed["until"] > time.time() + 1700
    assert h.call("sync.status")["data"]["paused_until"] == timed["until"]
    r = h.call("sync.pause", {"duration": "a while"})
    assert r["ok"] is False and r["error"]["code"] == "invalid_duration" and r["error"]["hint"]
    assert h.call("sync.resume")["ok"]
    assert h.call("sync.set_bandwidth_limit", {"kbps": 512})["ok"]
    assert app.db.get_setting("sync.bandwidth_limit_kbps") == "512"
    for bad in ({"kbps": -1}, {"kbps": "fast"}, {}, {"kbps": 1, "extra": 2}):
        r = h.call("sync.set_bandwidth_limit", bad)
        assert r["ok"] is False and r["error"]["code"] == "invalid_request", bad
    assert h.call("sync.retry", {"avatar_id": "../x"})["error"]["code"] == "invalid_request"
    assert h.call("sync.retry", {})["data"] == {"retried": 0}
    r = h.call("sync.restore")
    assert r["ok"] is False and r["error"]["code"] == "no_cloud" and r["error"]["hint"]
    assert h.call("sync.restore", {"only_if_empty": True})["data"]["ran"] is False


def test_status_counts_only_the_users_own_avatars(app: Any, tmp_path: Path) -> None:
    """Built-in avatars ship with the app: they are never counted as the user's synced ones."""
    from PIL import Image

    from ecan.cli.output import unwrap

    assert unwrap(app.handlers.call("avatar.get_system_avatars", {}))  # registered, "synced"
    picture = tmp_path / "mine.png"
    Image.new("RGB", (64, 64), "teal").save(picture)
    assert unwrap(app.handlers.call("avatar.import_paths", {"paths": [str(picture)]}))
    counts = unwrap(app.handlers.call("sync.status", {}))["counts"]
    # ...but they are in the list, so status says how many are built in.
    assert counts == {"local": 1, "queued": 0, "syncing": 0, "synced": 0, "failed": 0,
                      "system": 8}
