"""The desktop app's import workers (ecan.avatars.import_pool): real spawned processes writing
the same library, refusals carried back intact, and a worker that dies mid-import costs no file."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from PIL import Image

from ecan.app import build_app


def _photos(folder: Path, n: int) -> list[Path]:
    folder.mkdir()
    out = []
    for i in range(n):
        p = folder / f"photo{i}.jpg"
        Image.effect_noise((900, 700), 30 + i).convert("RGB").save(p, quality=80)
        out.append(p)
    return out


def test_workers_import_into_the_library_and_refusals_keep_their_reason(
        clean_env: dict[str, str], tmp_path: Path) -> None:
    photos = _photos(tmp_path / "in", 4)
    (tmp_path / "in" / "notes.jpg").write_bytes(b"PK\x03\x04 a zip in disguise")
    app = build_app(clean_env, image_workers=True)
    try:
        res = app.handlers.call("avatar.import_paths", {"paths": [str(tmp_path / "in")]})
        assert res["ok"], res
        results = {Path(r["path"]).name: r for r in res["data"]["results"]}
        assert all(results[p.name]["ok"] for p in photos)
        bad = results["notes.jpg"]
        assert not bad["ok"] and "notes.jpg" in bad["error"] and "ZIP" in bad["error"].upper()
        listed = app.handlers.call("avatar.list", {"resource_type": "uploaded"})["data"]
        assert len(listed["avatars"]) == 4
        for a in listed["avatars"]:  # files really written by the workers
            assert Path(a["thumb_path"]).is_file() and Path(a["image_path"]).is_file()
        worker_pids = {p.pid for p in (app.import_pool._pool._processes or {}).values()}  # type: ignore[union-attr]
        assert worker_pids and os.getpid() not in worker_pids
    finally:
        app.close()


def test_a_worker_killed_mid_batch_loses_no_file(clean_env: dict[str, str],
                                                  tmp_path: Path) -> None:
    photos = _photos(tmp_path / "in", 24)
    app = build_app(clean_env, image_workers=True)
    try:
        app.import_pool.import_one(photos[0])  # workers up
        pool = app.import_pool._pool
        assert pool is not None
        killed: list[int] = []

        def kill_mid_batch(done: int, _total: int) -> None:
            # After the first file of the batch: the other import thread's file is in a
            # worker now, and every later file goes to the broken pool first.
            if done == 1:
                for proc in list(pool._processes.values()):
                    os.kill(proc.pid, signal.SIGKILL)
                    killed.append(proc.pid)

        outcomes = app.library.import_paths(photos, progress=kill_mid_batch)
        assert killed
        assert all(o.ok for o in outcomes), [o.error for o in outcomes if not o.ok]
        assert app.import_pool._pool is not pool  # fresh workers took over
        listed = app.handlers.call("avatar.list", {"resource_type": "uploaded"})["data"]
        assert len(listed["avatars"]) == 24
    finally:
        app.close()
