"""Recognising an avatar's video by its content: MP4 (an ISO BMFF `ftyp` box with a video brand)
or WebM (EBML with the `webm` doctype). Anything else is refused, whatever its extension."""

from __future__ import annotations

import struct
from dataclasses import dataclass

# A long screen recording fits; uploads stream in parts, so memory stays flat whatever the size.
MAX_VIDEO_BYTES = 2 * 1024 * 1024 * 1024
SNIFF_BYTES = 64

# ftyp brands of MP4 video. HEIC/AVIF (`heic`, `mif1`, `avif`) and QuickTime (`qt  `) share the
# box but are not what we accept.
_MP4_BRANDS = {b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1",
               b"M4V ", b"dash", b"mmp4", b"MSNV", b"3gp4", b"3gp5"}


@dataclass(frozen=True)
class VideoFormat:
    ext: str
    mime_type: str


def sniff_video(head: bytes) -> VideoFormat | None:
    if len(head) >= 12 and head[4:8] == b"ftyp":
        size = struct.unpack(">I", head[:4])[0]
        brands = [head[8:12]] + [head[j:j + 4] for j in range(16, min(size, len(head)) - 3, 4)]
        if any(b in _MP4_BRANDS for b in brands):
            return VideoFormat("mp4", "video/mp4")
        return None
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        # DocType element (0x4282), then its size byte (0x80 | n) and the text.
        at = head.find(b"\x42\x82")
        if at >= 0 and head[at + 3:at + 7] == b"webm":
            return VideoFormat("webm", "video/webm")
    return None
