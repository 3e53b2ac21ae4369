"""What a handler call changed, as data with ids (ecan.handlers.changes), and the window's models
of the handlers' answers (ecan.handlers.models), on a real app: the CLI's `changed` words stay as
they were, the ids come beside them, and a model refuses an answer of the wrong shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ecan.handlers.changes import ALL, Changes
from ecan.handlers.models import AgentSaved, AvatarPage, AvatarRows, BadAnswer, ImportBatch
from tests.corpus.make_corpus import files


def picture(tmp_path: Path) -> Path:
    path = tmp_path / "good.png"
    path.write_bytes(files()["good.png"][0])
    return path


def test_a_call_names_the_rows_it_changed_beside_the_kinds(app: Any, tmp_path: Path) -> None:
    h = app.handlers
    path = picture(tmp_path)
    imported = h.call("avatar.import_paths", {"paths": [str(path), "/no/such/file.png"]})
    assert imported["changed"] == ["avatars", "sync"]  # the contract, as before
    batch = ImportBatch.parse(imported["data"])
    (avatar_id,) = batch.ids
    assert imported["changed_ids"] == {"avatars": [avatar_id]}
    assert Changes.from_response(imported) == Changes(avatars=frozenset({avatar_id}), sync=True)

    edited = h.call("avatar.update", {"id": avatar_id, "name": "Renamed"})
    assert Changes.from_response(edited).avatars == frozenset({avatar_id})

    saved = h.call("agent.save", {"name": "Helper", "avatar_id": avatar_id})
    agent_id = AgentSaved.parse(saved["data"]).agent["id"]
    # The agent by id; the avatars it stopped or started using are not known: all of them.
    assert Changes.from_response(saved) == Changes(avatars=ALL, agents=frozenset({agent_id}),
                                                   sync=True)
    assert h.call("agent.delete", {"id": agent_id})["ok"]

    deleted = h.call("avatar.delete", {"id": avatar_id})
    assert Changes.from_response(deleted).avatars == frozenset({avatar_id})
    assert AvatarRows.parse(h.call("avatar.get_many", {"ids": [avatar_id]})["data"]).avatars == ()

    # A call that changes nothing says so; one that names no ids changed all of a kind.
    assert not Changes.from_response(h.call("avatar.list", {}))
    assert Changes.from_response(h.call("sync.retry", {})).avatars is ALL


def test_nothing_imported_is_no_change_to_any_row(app: Any) -> None:
    refused = app.handlers.call("avatar.import_paths", {"paths": ["/no/such/file.png"]})
    assert refused["changed_ids"] == {"avatars": []}
    changes = Changes.from_response(refused)
    assert changes.avatars == frozenset() and changes.sync


def test_a_page_is_parsed_once_and_a_wrong_shape_is_refused(app: Any, tmp_path: Path) -> None:
    app.handlers.call("avatar.import_paths", {"paths": [str(picture(tmp_path))]})
    page = AvatarPage.parse(app.handlers.call("avatar.list", {"limit": 1})["data"])
    assert len(page.avatars) == 1 and page.more  # the 8 built-in avatars follow
    assert page.counts == {"system": 8, "uploaded": 1, "generated": 0}
    for wrong in (None, [], {"avatars": "x"}, {"avatars": [{"name": "no id"}]},
                  {"avatars": [], "counts": {"uploaded": "many"}}):
        with pytest.raises(BadAnswer):
            AvatarPage.parse(wrong)


def test_changes_combine_and_refuse_unknown_kinds() -> None:
    one = Changes(avatars=frozenset({"a"}))
    assert (one | Changes(avatars=frozenset({"b"}), sync=True)) == Changes(
        avatars=frozenset({"a", "b"}), sync=True)
    assert (one | Changes(avatars=ALL)).avatars is ALL
    assert Changes.everything().kinds() == {"avatars", "agents", "sync", "auth", "settings",
                                           "tasks"}
    with pytest.raises(ValueError):
        Changes.of(["avatar"])
