"""The library shared by several processes at once (two `ecan import`s, the window's import
workers, a delete in the window): whatever rows survive, every row's files are there and hold
the bytes its sha256 names. Real spawned processes on one ECAN_HOME; each child widens the
race windows (every rename, every unlink a little slower) so a race shows in a few rounds."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

from PIL import Image

ROUNDS = 3
PICTURES = 6


def _slow_file_ops() -> None:
    """Make the filesystem step of a check-then-act slow, in this process only."""
    real_replace, real_unlink = os.replace, os.unlink

    def replace(src: Any, dst: Any, **kw: Any) -> None:
        time.sleep(0.02)
        real_replace(src, dst, **kw)

    def unlink(path: Any, **kw: Any) -> None:
        time.sleep(0.02)
        real_unlink(path, **kw)

    os.replace = replace  # type: ignore[assignment]
    os.unlink = unlink  # type: ignore[assignment]


def _library(home: str) -> Any:
    from ecan.avatars.library import AvatarLibrary
    from ecan.db import Database
    from ecan.paths import AppPaths

    paths = AppPaths(Path(home)).ensure()
    return AvatarLibrary(paths, Database(paths.database), system_resources=Path(home) / "none")


def _import_in_step(home: str, pictures: list[str], barrier: Any) -> None:
    """Import each picture; every process starts its store step together (after decoding)."""
    from ecan.avatars import imaging

    _slow_file_ops()
    real_prepare = imaging.prepare

    def prepare(data: bytes, filename: str, **kw: Any) -> Any:
        prepared = real_prepare(data, filename, **kw)
        barrier.wait(60)
        return prepared

    imaging.prepare = prepare  # type: ignore[assignment]
    library = _library(home)
    for p in pictures:
        library.import_file(Path(p))


def _delete_signalling(home: str, avatar_id: str, go: Any) -> None:
    """Delete the avatar; `go` is set when its first picture file is about to go (or when the
    delete is over), and that file then goes slowly."""
    real_unlink = os.unlink

    def unlink(path: Any, **kw: Any) -> None:
        if "resource" in str(path) and not go.is_set():
            go.set()
            time.sleep(0.5)
        real_unlink(path, **kw)

    os.unlink = unlink  # type: ignore[assignment]
    try:
        _library(home).delete(avatar_id)
    finally:
        go.set()


def _import_after(home: str, picture: str, go: Any) -> None:
    from ecan.avatars import imaging

    real_prepare = imaging.prepare

    def prepare(data: bytes, filename: str, **kw: Any) -> Any:
        prepared = real_prepare(data, filename, **kw)
        go.wait(60)
        return prepared

    imaging.prepare = prepare  # type: ignore[assignment]
    _library(home).import_file(Path(picture))


def _pictures(folder: Path, n: int) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        p = folder / f"IMG_{i}.jpg"
        Image.effect_noise((320, 240), 20 + i).convert("RGB").save(p, quality=85)
        out.append(str(p))
    return out


def _run(ctx: Any, target: Any, *args: Any) -> Any:
    proc = ctx.Process(target=target, args=args)
    proc.start()
    return proc


def _join(procs: list[Any]) -> None:
    for proc in procs:
        proc.join(120)
        assert proc.exitcode == 0, f"a library process failed (exit {proc.exitcode})"


def _assert_every_row_has_its_files(home: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(home / "ecan.sqlite3")
    try:
        rows = conn.execute("SELECT sha256, image_path, thumb_path, thumb_small_path "
                            "FROM avatar").fetchall()
    finally:
        conn.close()
    missing = []
    for sha, image, thumb, small in rows:
        if not (home / image).is_file() or \
                hashlib.sha256((home / image).read_bytes()).hexdigest() != sha:
            missing.append(image)
        missing += [rel for rel in (thumb, small) if not (home / rel).is_file()]
    assert missing == [], f"{len(missing)} files of the library's rows are gone: {missing}"
    return len(rows)


def test_two_processes_importing_the_same_pictures_lose_none(tmp_path: Path) -> None:
    pictures = _pictures(tmp_path / "in", PICTURES)
    ctx = multiprocessing.get_context("spawn")
    for round_ in range(ROUNDS):
        home = tmp_path / f"home{round_}"
        barrier = ctx.Barrier(2)
        _join([_run(ctx, _import_in_step, str(home), pictures, barrier) for _ in range(2)])
        assert _assert_every_row_has_its_files(home) == PICTURES


def test_a_delete_racing_an_import_of_the_same_picture_loses_no_file(tmp_path: Path) -> None:
    pictures = _pictures(tmp_path / "in", 2)
    ctx = multiprocessing.get_context("spawn")
    for round_ in range(ROUNDS):
        home = tmp_path / f"home{round_}"
        library = _library(str(home))
        avatar_id = library.import_file(Path(pictures[0])).avatar.id
        library.import_file(Path(pictures[1]))
        library.db.dispose()
        go = ctx.Event()
        _join([_run(ctx, _delete_signalling, str(home), avatar_id, go),
               _run(ctx, _import_after, str(home), pictures[0], go)])
        # The delete and the import may land in either order; the library stays whole.
        assert _assert_every_row_has_its_files(home) in (1, 2)
