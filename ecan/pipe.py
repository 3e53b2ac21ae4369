"""The wire format of the window's helper processes (`ecan sync-service`, `ecan decode-service`):
one compact JSON object per line, either way (the decoder's answers add raw pixels after
their line)."""

from __future__ import annotations

import json
from typing import Any

MAX_LINE = 64 * 1024  # a sync session blob is ~2 KB; a line far longer is not one of ours


def encode_line(message: dict[str, Any]) -> str:
    """One message: compact JSON and a line end."""
    return json.dumps(message, separators=(",", ":")) + "\n"
