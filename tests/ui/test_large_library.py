"""A library larger than the gallery's first page: the window shows that page at once, the
rest as it is scrolled, counts the whole library, and searches and filters all of it."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from PIL import Image

from tests.ui.conftest import Gui

N = 2500  # two and a half of the gallery's pages


def seed(env: dict[str, str], n: int = N) -> None:
    """n avatars straight into SQLite (newest first: "avatar 00000" ... "avatar 02499"); every
    tenth from the 1,500th on failed to sync."""
    from ecan.db import Database
    from ecan.paths import AppPaths

    paths = AppPaths(Path(env["ECAN_HOME"])).ensure()
    Database(paths.database).dispose()
    thumb = paths.thumbnails / "shared_256.png"
    Image.new("RGB", (32, 32), (90, 140, 200)).save(thumb)
    rel = str(thumb.relative_to(paths.home))
    now = time.time()
    conn = sqlite3.connect(paths.database)
    conn.executemany(
        "INSERT INTO avatar (id, name, resource_type, sha256, format, ext, mime_type, width, "
        "height, bytes, image_path, thumb_path, thumb_small_path, sync_state, created_at, "
        "updated_at) VALUES (?,?,'uploaded',?,'PNG','png','image/png',32,32,100,?,?,?,?,?,?)",
        [(f"{i:032x}", f"avatar {i:05d}", f"{i:064x}", f"resource/avatars/uploaded/{i}.png",
          rel, rel, "failed" if i >= 1500 and i % 10 == 0 else "synced", now - i, now - i)
         for i in range(n)])
    conn.commit()
    conn.close()


def shown_names(page: Any) -> list[str]:
    return [str(a.get("name")) for a in page.current_avatars()]


def test_a_large_library_is_shown_by_its_first_page_and_the_rest_as_it_is_scrolled(
        clean_env: dict[str, str], qtbot: Any) -> None:
    seed(clean_env)
    gui = Gui(clean_env, qtbot)
    try:
        page = gui.window.avatars
        assert 0 < page.model.loaded() < N  # shown before the whole library was read
        assert shown_names(page)[0] == "avatar 00000"
        assert page.count_label.text().replace(",", "").startswith(f"{N} avatar")
        # Scrolled to the end, page after page, down to the oldest avatar.
        deadline = time.monotonic() + 30
        while page.model.has_more() and time.monotonic() < deadline:
            page.view.scrollToBottom()
            qtbot.wait(20)
        assert not page.model.has_more()
        names = shown_names(page)  # the built-in avatars come last, and are not shown here
        assert names[-1] == f"avatar {N - 1:05d}" and len(set(names)) == N
        assert page.count_label.text().replace(",", "").startswith(f"{N} avatar")
    finally:
        gui.close()


def test_search_and_filters_see_the_whole_large_library(clean_env: dict[str, str],
                                                        qtbot: Any) -> None:
    seed(clean_env)
    gui = Gui(clean_env, qtbot)
    try:
        page = gui.window.avatars
        page.state_filter.setCurrentIndex(3)  # "Failed to sync": all past the first page
        failed = [f"avatar {i:05d}" for i in range(1500, N, 10)]
        qtbot.waitUntil(lambda: shown_names(page) == failed, timeout=10_000)
        assert page.count_label.text().startswith(f"{len(failed)} of ")
        page.state_filter.setCurrentIndex(0)
        page.search.setText("avatar 02444")
        qtbot.waitUntil(lambda: shown_names(page) == ["avatar 02444"], timeout=10_000)
    finally:
        gui.close()


def test_the_gallery_is_laid_out_once_and_scrolling_adds_no_rows(clean_env: dict[str, str],
                                                                 qtbot: Any) -> None:
    """The scroll bar spans the whole library from the start and rows are read as they come into
    view: a page arriving fills cards in, it never inserts rows (each insert made the view lay
    out every row again: scrolling 100,000 avatars to the end took minutes, in 170 ms stalls)."""
    seed(clean_env)
    gui = Gui(clean_env, qtbot)
    try:
        page = gui.window.avatars
        assert page.model.rowCount() == page.proxy.rowCount() == N
        assert page.model.loaded() < N
        bar = page.view.verticalScrollBar()
        span = -1
        while bar.maximum() != span:  # the view lays the rows out a batch per turn
            span = bar.maximum()
            qtbot.wait(200)
        assert span > 0
        inserted: list[int] = []
        page.proxy.rowsInserted.connect(lambda _p, first, last: inserted.append(last - first + 1))
        deadline = time.monotonic() + 30
        while page.model.has_more() and time.monotonic() < deadline:
            bar.setValue(bar.maximum())
            qtbot.wait(20)
        assert not page.model.has_more()
        assert inserted == [] and bar.maximum() == span
        # The last card is the oldest avatar, read in, not a placeholder.
        last = page.proxy.index(N - 1, 0)
        assert last.data() == f"avatar {N - 1:05d}"
        assert shown_names(page)[-1] == f"avatar {N - 1:05d}" and len(shown_names(page)) == N
    finally:
        gui.close()
