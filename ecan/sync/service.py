"""The sync engine as a process of its own (`ecan sync-service`), driven by the desktop window.

Why a process: uploads are many Python threads (botocore signing, SQLite, hashing); in the
window's process they take the interpreter lock from the GUI thread often enough to drop frames.
Here they have their own interpreter, and the window only reads small messages from a pipe. The
engine here is the window's only one: the window asks it (ecan.bridge.sync_process), it never
keeps a second copy of its state.

The pipe protocol is one JSON object per line, both ways.
    window -> service (stdin):
        {"op": "session", "session": <keyring blob or null>}   the window's sign-in state
        {"op": "call", "id": N, "method": M, "args": {...}}   a SyncControl call
            (ecan.sync.control.CALLS), answered by one reply line
        {"op": "stop", "timeout": S}   finish in-flight jobs for up to S seconds, then exit
    service -> window (stdout):
        the engine's events (ecan.sync.events.to_wire), and
        {"reply": N, "ok": true, "data": ...} | {"reply": N, "ok": false, "error": {code,
            message, hint}}   a call's answer; the events a call causes come before its reply.
The engine starts once the first session message arrived, so it never reports "sign-in
needed" for a session that is on its way. Calls run on threads of their own (a restore takes
minutes; status must not wait for it). End of input (the window is gone) stops the service
like "stop". A malformed line is logged and skipped: it never stops syncing."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from ecan.errors import UserFacingError
from ecan.pipe import MAX_LINE, encode_line
from ecan.sync.control import SyncControl, check_call, dispatch
from ecan.sync.events import SyncEvent, to_wire

if TYPE_CHECKING:
    from ecan.sync.engine import SyncEngine

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 5.0


class Writer:
    """Writes events and replies from any thread, one whole line at a time. A closed pipe (the
    window went away) silences it instead of failing the upload that emitted the event."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self.closed = False

    def __call__(self, event: SyncEvent) -> None:
        self.write(to_wire(event))

    def write(self, message: dict[str, Any]) -> None:
        line = encode_line(message)
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
    if not isinstance(cmd, dict) or cmd.get("op") not in ("session", "call", "stop"):
        raise ValueError("not a command (expected op: session, call or stop)")
    if cmd["op"] == "session" and not isinstance(cmd.get("session"), (str, type(None))):
        raise ValueError("session must be a string or null")
    if cmd["op"] == "stop" and not isinstance(cmd.get("timeout", STOP_TIMEOUT_S), (int, float)):
        raise ValueError("timeout must be a number of seconds")
    if cmd["op"] == "call":
        if not isinstance(cmd.get("id"), int) or isinstance(cmd.get("id"), bool):
            raise ValueError("a call needs a whole-number id")
        cmd.setdefault("args", {})
        check_call(cmd.get("method"), cmd["args"])
    return cmd


def answer(control: SyncControl, cmd: dict[str, Any], write: Writer) -> None:
    """Run one call and write its reply (an error the user can act on travels as one)."""
    reply: dict[str, Any] = {"reply": cmd["id"]}
    try:
        reply.update(ok=True, data=dispatch(control, cmd["method"], cmd["args"]))
    except UserFacingError as e:
        reply.update(ok=False, error=e.to_dict())
    except Exception:  # a bug: logged here, one line for the window
        log.exception("sync service: %s failed", cmd["method"])
        reply.update(ok=False, error={
            "code": "internal_error", "message": f"Sync could not {cmd['method']}.",
            "hint": "Details are in the log."})
    write.write(reply)


def serve(engine_now: Callable[[], SyncEngine], adopt_session: Callable[[str | None], bool],
          commands: TextIO, events: TextIO) -> int:
    """Run the engine until told to stop or the window's end of the pipe closes.
    `engine_now()` is the engine of the library open now: signing in or out opens another one
    (ecan.accounts), and the session message that follows tells this process to follow the
    window there. `adopt_session` takes over the window's session (AuthService.adopt_session)."""
    write = Writer(events)
    engine = engine_now()
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
            current = engine_now()  # the previous library's engine is stopped by the switch
            if current is not engine:
                engine, started = current, False
            if not adopt_session(cmd["session"]):
                log.warning("sync service: the window's session was unreadable; signed out")
            if not started:
                engine.start(write)
                started = True
            else:
                engine.session_changed()
            continue
        threading.Thread(target=answer, args=(engine, cmd, write), daemon=True,
                         name=f"ecan-sync-{cmd['method']}").start()
    if started:
        engine.stop(max(0.0, min(timeout, 60.0)))
    log.info("sync service stopped")
    return 0
