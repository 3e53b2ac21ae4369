"""The pipe between the window and its sync process: events and commands go through intact,
and anything else is refused with a reason instead of being trusted."""

from __future__ import annotations

import json

import pytest

from ecan.sync.events import (
    JobFailed,
    JobFinished,
    JobStarted,
    Progress,
    StateChanged,
    from_wire,
    to_wire,
)
from ecan.sync.service import parse_command

EVENTS = [JobStarted(1, "upload", "a1", 0), Progress(10, 20, 1, 2, None, 3.5),
          JobFinished(2, "metadata", None, 0, 0.1),
          JobFailed(3, "upload", "a2", "access_denied", "denied", "grant it", None),
          JobFailed(4, "upload", "a3", "server_error", "500", "", 1700000000.5),
          StateChanged(online=False, paused=True, auth_required=False, signed_in=True,
                       signed_out=False)]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_every_event_survives_the_pipe(event: object) -> None:
    assert from_wire(json.loads(json.dumps(to_wire(event)))) == event  # type: ignore[arg-type]


@pytest.mark.parametrize("data", [
    None, [], "JobStarted", {"event": "RmRf"},
    {"event": "JobStarted", "job_id": 1, "kind": "upload", "avatar_id": "a"},  # missing field
    {"event": "JobStarted", "job_id": "1", "kind": "upload", "avatar_id": "a", "bytes_total": 0},
    {"event": "StateChanged", "online": 1, "paused": False, "auth_required": False,
     "signed_in": True},
    {"event": "Progress", "bytes_done": True, "bytes_total": 1, "items_done": 0,
     "items_total": 1, "avatar_id": None, "speed": 0.0},
])
def test_malformed_events_are_refused(data: object) -> None:
    with pytest.raises(ValueError):
        from_wire(data)


def test_commands_are_checked() -> None:
    assert parse_command('{"op": "call", "id": 1, "method": "wake"}') == {
        "op": "call", "id": 1, "method": "wake", "args": {}}
    assert parse_command('{"op": "call", "id": 2, "method": "retry_failed", '
                         '"args": {"avatar_id": null}}')["args"] == {"avatar_id": None}
    assert parse_command('{"op": "session", "session": null}')["session"] is None
    for bad, why in [("wake", "not JSON"), ('{"op": "shell"}', "not a command"),
                     ('{"op": "wake"}', "not a command"),
                     ('{"op": "session", "session": 5}', "string or null"),
                     ('{"op": "stop", "timeout": "soon"}', "seconds"),
                     ('{"op": "call", "method": "wake"}', "id"),
                     ('{"op": "call", "id": 1, "method": "close"}', "no sync call"),
                     ('{"op": "call", "id": 1, "method": "pause", "args": {"x": 1}}',
                      "no argument"),
                     ('{"op": "call", "id": 1, "method": "set_bandwidth_limit", '
                      '"args": {"kbps": true}}', "not int"),
                     ('{"op": "call", "id": 1, "method": "wake", "args": []}', "object"),
                     ('{"op": "call", "id": 1, "pad": "' + "x" * 70_000 + '"}', "too long")]:
        with pytest.raises(ValueError, match=why):
            parse_command(bad)
