"""The window runs Python's garbage collector on its own schedule (ecan.ui.gc_scheduler)."""

from __future__ import annotations

import gc
from typing import Any

from ecan.ui.gc_scheduler import GcScheduler


def test_collections_run_on_the_gui_thread_and_full_ones_wait_for_a_quiet_moment(
        qtbot: Any, monkeypatch: Any) -> None:
    import ecan.ui.gc_scheduler as mod

    busy = [True]
    calls: list[int] = []
    monkeypatch.setattr(mod, "YOUNG_INTERVAL_MS", 20)
    monkeypatch.setattr(mod, "FULL_EVERY_S", 0.0)
    monkeypatch.setattr(gc, "collect", lambda generation=2: calls.append(generation) or 0)
    scheduler = GcScheduler(lambda: busy[0])
    try:
        scheduler.start()
        assert not gc.isenabled()  # no collection at an allocation's whim, on any thread
        qtbot.waitUntil(lambda: len(calls) >= 3, timeout=2_000)
        assert set(calls) == {1}  # busy: young generations only
        busy[0] = False
        qtbot.waitUntil(lambda: 2 in calls, timeout=2_000)
    finally:
        scheduler.stop()
    assert gc.isenabled()
