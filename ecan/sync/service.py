"""The sync engine as a process of its own (`ecan sync-service`), driven by the desktop window.

Why a process: uploads are many Python threads (botocore signing, SQLite, hashing); in the
window's process they take the interpreter lock from the GUI thread often enough to drop frames.
Here they have their own interpreter, and the window only reads small events from a pipe.

The pipe protocol is one JSON object per line, both ways.
    window -> service (stdin):
        {"op": "session", "session": <keyring blob or null>}   the window's sign-in state
        {"op": "wake"}      new work, signed in, settings changed (pause, bandwidth): look now
        {"op": "stop", "timeout": S}   finish in-flight jobs for up to S seconds, then exit
    service -> window (stdout): the engine's events (ecan.sync.events.to_wire).
The engine starts once the first session message arrived, so it never reports "sign-in
needed" for a session that is on its way. End of input (the window is gone) stops the service
like "stop". A malformed line is logged and skipped: it never stops syncing."""

from __future__ import annotations

import json
import logging
import threading
from typing import TYPE_CHECKING, Any, TextIO

from ecan.pipe import MAX_LINE, encode_line
from ecan.sync.events import SyncEvent, to_wire

if TYPE_CHECKING:
    from ecan.app import App

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 5.0
class EventWriter:
    """Writes events from any thread, one whole line at a time. A closed pipe (the window
    went away) silences it instead of failing the upload that emitted the event."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self.closed = False

    def __call__(self, event: SyncEvent) -> None:
        line = encode_line(to_wire(event))
        with self._lock:
            if self.closed:
                return
            try:
                self._stream.write(line)
                self._stream.flush()
            except (OSError, ValueError):
                self.closed = True


def parse_command(line: str) -> dict[str, Any]:
    """One command line -> {"op": ..., ...}. Raises ValueError saying what is wrong."""
    if len(line) > MAX_LINE:
        raise ValueError(f"a command of {len(line)} characters is too long")
    try:
        cmd = json.loads(line)
    except json.JSONDecodeError as e:
        raise ValueError(f"not JSON ({e.msg})") from None
    if not isinstance(cmd, dict) or cmd.get("op") not in ("session", "wake", "stop"):
        raise ValueError("not a command (expected op: session, wake or stop)")
    if cmd["op"] == "session" and not isinstance(cmd.get("session"), (str, type(None))):
        raise ValueError("session must be a string or null")
    if cmd["op"] == "stop" and not isinstance(cmd.get("timeout", STOP_TIMEOUT_S), (int, float)):
        raise ValueError("timeout must be a number of seconds")
    return cmd


def serve(app: App, commands: TextIO, events: TextIO) -> int:
    """Run the engine until told to stop or the window's end of the pipe closes."""
    engine = app.sync
    emit = EventWriter(events)
    started = False
    timeout = STOP_TIMEOUT_S
    for line in commands:
        if not line.strip():
            continue
        try:
            cmd = parse_command(line)
        except ValueError as e:
            # Never echo the line: it may be a session that arrived cut in half.
            log.warning("sync service: ignored a malformed command from the window: %s", e)
            continue
        op = cmd["op"]
        if op == "stop":
            timeout = float(cmd.get("timeout", STOP_TIMEOUT_S))
            break
        if op == "session":
            if not app.auth.adopt_session(cmd["session"]):
                log.warning("sync service: the window's session was unreadable; signed out")
            if not started:
                engine.start(emit)
                started = True
            continue
        if started:  # wake
            engine.reload_settings()
            engine.wake()
    if started:
        engine.stop(max(0.0, min(timeout, 60.0)))
    log.info("sync service stopped")
    return 0
