"""The wire format of the window's helper processes (`ecan sync-service`, `ecan decode-service`):
one compact JSON object per line, either way; a line may announce raw bytes that follow it (the
decoder's pixels). Qt-free: the helpers write it, the window's supervisor reads it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

MAX_LINE = 64 * 1024  # a sync session blob is ~2 KB; a line far longer is not one of ours


def encode_line(message: dict[str, Any]) -> str:
    """One message: compact JSON and a line end."""
    return json.dumps(message, separators=(",", ":")) + "\n"


@dataclass(frozen=True)
class Frame:
    """One message, and the bytes its line announced (empty when none)."""

    message: dict[str, Any]
    payload: bytes = b""


@dataclass(frozen=True)
class Garbled:
    """Output that is not a message; `why` says what was wrong. The bad part is skipped."""

    why: str


class Framer:
    """Cuts a byte stream into Frames. `payload_size(message)` says how many raw bytes follow
    a message's line (none by default); it raises ValueError for a message it refuses."""

    def __init__(self, payload_size: Callable[[dict[str, Any]], int] | None = None,
                 max_line: int = MAX_LINE) -> None:
        self._payload_size = payload_size
        self._max_line = max_line
        self._buffer = bytearray()
        self._pending: tuple[dict[str, Any], int] | None = None  # a line waiting for its bytes

    def reset(self) -> None:
        """A new process: whatever the last one left half-written is not part of its stream."""
        self._buffer.clear()
        self._pending = None

    def feed(self, data: bytes) -> Iterator[Frame | Garbled]:
        self._buffer += data
        while True:
            if self._pending is not None:
                message, size = self._pending
                if len(self._buffer) < size:
                    return  # the payload is still on its way
                payload = bytes(self._buffer[:size])
                del self._buffer[:size]
                self._pending = None
                yield Frame(message, payload)
                continue
            end = self._buffer.find(b"\n", 0, self._max_line + 1)
            if end < 0:
                if len(self._buffer) > self._max_line:
                    size = len(self._buffer)
                    self._buffer.clear()
                    yield Garbled(f"{size} bytes without a line end")
                return
            line = bytes(self._buffer[:end])
            del self._buffer[:end + 1]
            if not line.strip():
                continue
            try:
                message = json.loads(line)
                if not isinstance(message, dict):
                    raise ValueError("not a JSON object")
                size = self._payload_size(message) if self._payload_size else 0
            except (ValueError, KeyError, TypeError) as e:  # json's errors are ValueErrors
                yield Garbled(str(e)[:200])
                continue
            if size:
                self._pending = (message, size)
            else:
                yield Frame(message)
