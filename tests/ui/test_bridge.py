"""The bridge runs handlers off the GUI thread and delivers results and changes on it."""

from __future__ import annotations

import threading
from typing import Any

from ecan.handlers.changes import ALL, Changes
from ecan.handlers.registry import Empty, Handlers


def test_handlers_run_off_the_gui_thread_and_results_arrive_on_it(qtbot: Any) -> None:
    from ecan.bridge.bridge import Bridge

    handlers = Handlers()
    seen: dict[str, Any] = {}

    @handlers.register("demo.work", Empty, changes=["avatars"])
    def work(_req: Empty) -> dict[str, str]:
        seen["handler_thread"] = threading.current_thread()
        return {"done": "yes"}

    bridge = Bridge(handlers)
    changes: list[tuple[Changes, object]] = []
    bridge.changed.connect(lambda c, origin: changes.append((c, origin)))

    def success(data: Any) -> None:
        seen["data"] = data
        seen["callback_thread"] = threading.current_thread()

    bridge.run("demo.work", {}, on_success=success)
    qtbot.waitUntil(lambda: "data" in seen and bool(changes), timeout=5000)
    assert seen["data"] == {"done": "yes"}
    assert seen["handler_thread"] is not threading.main_thread()
    assert seen["callback_thread"] is threading.main_thread()
    assert changes == [(Changes(avatars=ALL), None)]
    bridge.close()


def test_changes_name_the_rows_and_the_screen_that_made_them(qtbot: Any) -> None:
    from ecan.bridge.bridge import Bridge

    handlers = Handlers()

    @handlers.register("demo.touch", Empty, changes=["avatars", "sync"],
                       ids=lambda _req, data: {"avatars": [data["id"]]})
    def touch(_req: Empty) -> dict[str, str]:
        return {"id": "a1"}

    bridge = Bridge(handlers)
    screen = object()
    changes: list[tuple[Changes, object]] = []
    bridge.changed.connect(lambda c, origin: changes.append((c, origin)))
    bridge.run("demo.touch", {}, origin=screen)
    qtbot.waitUntil(lambda: bool(changes), timeout=5000)
    assert changes == [(Changes(avatars=frozenset({"a1"}), sync=True), screen)]
    bridge.close()


def test_an_answer_of_the_wrong_shape_is_a_failure_not_a_crash_in_a_screen(qtbot: Any) -> None:
    from ecan.bridge import ops
    from ecan.bridge.bridge import Bridge

    handlers = Handlers()

    @handlers.register("avatar.list", Empty)
    def wrong(_req: Empty) -> dict[str, Any]:
        return {"avatars": "not a list"}

    bridge = Bridge(handlers)
    pages: list[Any] = []
    errors: list[dict[str, Any]] = []
    ops.list_avatars(bridge, on_success=pages.append, on_failure=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert pages == []
    assert errors[0]["code"] == "internal_error"
    assert errors[0]["message"] == "Something went wrong in avatar.list."
    bridge.close()


def test_a_failure_reaches_on_failure_or_the_failed_signal(qtbot: Any) -> None:
    from ecan.bridge.bridge import Bridge
    from ecan.errors import UserFacingError

    handlers = Handlers()

    @handlers.register("demo.refuse", Empty)
    def refuse(_req: Empty) -> None:
        raise UserFacingError("nope", "demo.refuse said no.", "Do something else.")

    bridge = Bridge(handlers)
    errors: list[dict[str, Any]] = []
    signalled: list[dict[str, Any]] = []
    bridge.failed.connect(signalled.append)
    bridge.run("demo.refuse", {}, on_failure=errors.append)
    bridge.run("demo.refuse", {})
    bridge.run("no.such.method", {})
    qtbot.waitUntil(lambda: len(errors) == 1 and len(signalled) == 2, timeout=5000)
    assert errors[0]["code"] == "nope" and errors[0]["hint"] == "Do something else."
    assert {e["code"] for e in signalled} == {"nope", "unknown_method"}
    bridge.close()


def test_thumbnails_load_in_the_background_into_a_bounded_cache(qtbot: Any, tmp_path: Any) -> None:
    from PIL import Image
    from PySide6.QtCore import QSize

    from ecan.bridge.thumbs import ThumbnailLoader

    paths = []
    for i in range(5):
        p = tmp_path / f"t{i}.png"
        Image.new("RGB", (256, 128), (i * 50, 0, 0)).save(p)
        paths.append(str(p))
    loader = ThumbnailLoader(QSize(64, 64), capacity=3)
    ready: list[str] = []
    loader.thumbnail_ready.connect(ready.append)
    assert all(loader.pixmap(p) is None for p in paths)
    qtbot.waitUntil(lambda: len(ready) == 5, timeout=5000)
    pix = loader.pixmap(paths[-1])
    assert pix is not None and pix.width() == 64 and pix.height() == 32
    # LRU with capacity 3: two of the five were evicted (and are being loaded again).
    assert sum(loader.pixmap(p) is not None for p in paths) == 3
    missing = str(tmp_path / "gone.png")
    loader.pixmap(missing)
    qtbot.waitUntil(lambda: missing in ready, timeout=5000)
    assert loader.pixmap(missing) is not None and loader.pixmap(missing).isNull()
    loader.close()


def test_a_list_packed_for_the_gallery_is_packed_off_the_gui_thread(qtbot: Any) -> None:
    """The gallery keeps rows packed; a page of 1,000 packed on the GUI thread would stall it,
    so the list's answer arrives packed, made on the worker."""
    from ecan.bridge import ops
    from ecan.bridge.bridge import Bridge
    from ecan.handlers.models import AvatarPage

    handlers = Handlers()
    rows = [{"id": "a", "name": "one"}, {"id": "b", "name": "two"}]

    @handlers.register("avatar.list", Empty)
    def listed(_req: Empty) -> dict[str, Any]:
        return {"avatars": rows, "more": True}

    packed_on: list[threading.Thread] = []

    def pack(row: dict[str, Any]) -> tuple[str, ...]:
        packed_on.append(threading.current_thread())
        return tuple(row.values())

    pages: list[AvatarPage] = []
    bridge = Bridge(handlers)
    ops.list_avatars(bridge, on_success=pages.append, pack=pack)
    ops.list_avatars(bridge, on_success=pages.append)
    qtbot.waitUntil(lambda: len(pages) == 2, timeout=5000)
    by_kind = {p.packed is None: p for p in pages}
    assert by_kind[False].rows() == (("a", "one"), ("b", "two")) and by_kind[False].more
    assert by_kind[True].rows() == tuple(rows)
    assert packed_on and threading.main_thread() not in packed_on
    bridge.close()
