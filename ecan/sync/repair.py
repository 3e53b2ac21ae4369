"""Repair: an original that is missing here, or no longer the bytes its checksum names, is fetched
again from the cloud (issue 20: "a local file that is missing or damaged is fetched again").

Cost per sync: one stat per synced avatar (1,500 avatars: a few milliseconds); a file is hashed
only when its size differs from the row's or it was modified after the last check (FILES_KEY),
so a sync with nothing to do reads no pictures. A file damaged without its size or time changing
(bit rot under an unchanged mtime) is not caught here; the upload path checks every file it
sends. The first check on a library hashes nothing: it finds missing files and wrong sizes."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ecan.errors import UserFacingError

if TYPE_CHECKING:
    from ecan.db import Database
    from ecan.db.sync_state import Outbox
    from ecan.paths import AppPaths
    from ecan.sync.engine import Cloud
    from ecan.sync.restore import Restorer

log = logging.getLogger("ecan.sync")

FILES_KEY = "sync.files_checked_at"
SLACK_S = 2.0  # file systems with coarse mtimes: a file written just before a check counts


@dataclass
class RepairResult:
    fetched: int = 0
    failed: int = 0
    warnings: list[str] = field(default_factory=list)


def _sha_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def repair(db: Database, paths: AppPaths, outbox: Outbox, cloud: Cloud) -> RepairResult:
    result = RepairResult()
    started = time.time()
    raw = outbox.get_setting(FILES_KEY)
    try:
        checked_at = float(raw) if raw is not None else None
    except ValueError:
        checked_at = None
    conn = db.connect()
    try:
        rows = conn.execute(
            "SELECT sha256, ext, image_path, bytes FROM avatar WHERE sync_state = 'synced' "
            "AND deleted_at IS NULL AND resource_type != 'system'").fetchall()
    finally:
        conn.close()
    restorer: Restorer | None = None
    home = str(paths.home)
    for sha, ext, rel, size in rows:
        # Plain strings and os.stat: a Path per row cost as much as the stat itself (15,000
        # avatars: 77 -> 43 ms of every no-op sync).
        name = os.path.join(home, rel)
        try:
            st = os.stat(name)
            # Before the first check, files of the right size are trusted: the intake checked
            # what it stored, and hashing a whole library once per upgrade is not worth it.
            suspect = st.st_size != size or (checked_at is not None
                                             and st.st_mtime > checked_at - SLACK_S)
            if not suspect or _sha_file(name) == sha:
                continue
            why = "damaged"
        except FileNotFoundError:
            why = "missing"
        if restorer is None:  # only now: the restore path loads the library's intake
            from ecan.sync.restore import Restorer
            restorer = Restorer(db, paths, cloud, concurrency=1)
        try:
            fetched = restorer.fetch_original(sha, ext)
            path = Path(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(fetched, path)
        except Exception as e:  # one file must not stop the others; the next sync retries
            detail = e.message if isinstance(e, UserFacingError) else f"{type(e).__name__}: {e}"
            result.failed += 1
            result.warnings.append(f"could not fetch the {why} original of {sha[:12]} again: "
                                   f"{detail}")
            continue
        log.info("fetched the %s original of %s again", why, sha[:12])
        result.fetched += 1
    outbox.set_setting(FILES_KEY, repr(started))
    return result
