"""Agents on a real SQLite library: unique names, usage counts, and saving an agent queues its
avatar and the bindings for the cloud."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from ecan.db.models import Avatar, JobKind, JobStatus, OutboxJob, SyncState
from ecan.errors import UserFacingError
from tests.corpus.make_corpus import files


def jobs(app: Any) -> list[OutboxJob]:
    with app.db.session() as s:
        return list(s.exec(select(OutboxJob).order_by(OutboxJob.id)))


def imported(app: Any, name: str = "good.png") -> str:
    data = files()[name][0]
    return str(app.library.import_bytes(data, name).avatar.id)


def set_state(app: Any, avatar_id: str, state: str) -> None:
    with app.db.session() as s:
        a = s.get(Avatar, avatar_id)
        a.sync_state = state
        s.add(a)


def done_all_jobs(app: Any) -> None:
    with app.db.session() as s:
        for j in s.exec(select(OutboxJob)):
            j.status = JobStatus.DONE.value
            s.add(j)


def test_names_are_unique_and_required(app: Any) -> None:
    svc = app.agents
    a = svc.save(name="  Helper   Bot ")
    assert a.name == "Helper Bot"
    with pytest.raises(UserFacingError) as err:
        svc.save(name="Helper Bot")
    assert err.value.code == "name_taken"
    b = svc.save(name="Other")
    with pytest.raises(UserFacingError) as err:
        svc.save(name="Helper Bot", agent_id=b.id)
    assert err.value.code == "name_taken"
    with pytest.raises(UserFacingError) as err:
        svc.save(name="   ")
    assert err.value.code == "invalid_name"
    assert [x.name for x in svc.list()] == ["Helper Bot", "Other"]


def test_unknown_avatar_is_refused_and_nothing_saved(app: Any) -> None:
    with pytest.raises(UserFacingError) as err:
        app.agents.save(name="A", avatar_id="nope")
    assert err.value.code == "not_found"
    assert app.agents.list() == []


def test_saving_queues_a_failed_avatar_and_one_metadata_job(app: Any) -> None:
    aid = imported(app)
    done_all_jobs(app)
    set_state(app, aid, SyncState.FAILED.value)
    app.agents.save(name="A", avatar_id=aid)
    app.agents.save(name="B", avatar_id=aid)
    ready = [j for j in jobs(app) if j.status == JobStatus.READY.value]
    assert [j.kind for j in ready if j.kind == JobKind.UPLOAD.value] == ["upload"]
    meta = [json.loads(j.payload) for j in ready if j.kind == JobKind.METADATA.value]
    # One coalesced job for the agents document, and one journal entry per agent's change.
    assert [p for p in meta if p["what"] == "agents"] == [{"what": "agents"}]
    assert len([p for p in meta if p["what"] == "agent"]) == 2
    assert app.library.get(aid).sync_state == "queued"
    assert app.library.get(aid).usage_count == 2


def test_queued_avatar_with_waiting_job_gets_no_second_job(app: Any) -> None:
    aid = imported(app)
    app.agents.save(name="A", avatar_id=aid)
    uploads = [j for j in jobs(app) if j.kind == "upload"]
    assert len(uploads) == 1


def test_unsynced_avatar_without_a_job_gets_one_and_synced_gets_none(app: Any) -> None:
    aid = imported(app)
    done_all_jobs(app)  # queued, but its job is gone (e.g. restored library)
    app.agents.save(name="A", avatar_id=aid)
    assert len([j for j in jobs(app) if j.kind == "upload" and j.status == 0]) == 1
    bid = imported(app, "good.jpg")
    done_all_jobs(app)
    set_state(app, bid, SyncState.SYNCED.value)
    app.agents.save(name="B", avatar_id=bid)
    assert [j for j in jobs(app) if j.kind == "upload" and j.status == 0] == []
    system = app.library.system_avatars()[0]
    app.agents.save(name="C", avatar_id=system.id)  # synced, read-only: nothing to upload
    assert [j for j in jobs(app) if j.kind == "upload" and j.status == 0] == []


def test_rebinding_and_delete_keep_usage_counts(app: Any, tmp_path: Path) -> None:
    a1, a2 = imported(app), imported(app, "good.jpg")
    agent = app.agents.save(name="A", avatar_id=a1)
    app.agents.set_avatar(agent.id, a2)
    assert app.library.get(a1).usage_count == 0 and app.library.get(a2).usage_count == 1
    app.library.delete(a1)  # no longer used: allowed
    with pytest.raises(UserFacingError) as err:
        app.library.delete(a2)
    assert err.value.code == "in_use" and "'A'" in err.value.message
    app.agents.delete(agent.id)
    app.library.delete(a2)
    with pytest.raises(UserFacingError) as err:
        app.agents.get(agent.id)
    assert err.value.code == "not_found"
