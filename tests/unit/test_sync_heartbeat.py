"""A job's claim is renewed by heartbeats; one another engine took over is said in the log,
and one settled or given back here just before its worker let go is not (a stop at the end of
`ecan sync --timeout` logged every job it gave back as "taken over by another process")."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ecan.storage.memory import MemoryBlobStore
from ecan.sync.testing import write_avatar
from tests.unit.sync_machines import machine, q


def test_a_claim_taken_over_is_said_and_one_given_back_here_is_not(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    paths, db, engine = machine(tmp_path / "a", MemoryBlobStore())
    write_avatar(paths, db.path, seed=1)
    write_avatar(paths, db.path, seed=2)
    mine, given_back = engine.outbox.claim(), engine.outbox.claim()
    assert mine is not None and given_back is not None
    engine._active.update({mine.id: mine, given_back.id: given_back})

    conn = db.connect()
    conn.execute("UPDATE outbox SET locked_by = 'another-engine' WHERE id = ?", (mine.id,))
    conn.close()
    assert engine.outbox.release(given_back)
    with caplog.at_level(logging.WARNING, logger="ecan.sync"):
        engine._beat(mine)
        engine._beat(given_back)
    said = [r.getMessage() for r in caplog.records]
    assert said == [f"job {mine.id} was taken over by another process: stopping it"]
    assert engine._lost == {mine.id, given_back.id}  # neither is this engine's to run now
    assert q(db, "SELECT locked_by FROM outbox WHERE id = ?", given_back.id)[0][0] is None
    engine.close()
