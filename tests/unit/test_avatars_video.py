"""Videos are recognised by their bytes, not their names."""

from __future__ import annotations

import struct

from ecan.avatars.video import sniff_video


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\0\0\0\0" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\0\0\0\x08free"


def test_mp4_and_webm_are_recognised() -> None:
    assert sniff_video(ftyp(b"isom", b"isom", b"avc1")).ext == "mp4"  # type: ignore[union-attr]
    assert sniff_video(ftyp(b"XXXX", b"mp42")).ext == "mp4"  # type: ignore[union-attr]
    webm = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm\x42\x87"
    assert sniff_video(webm).mime_type == "video/webm"  # type: ignore[union-attr]


def test_lookalikes_are_refused() -> None:
    assert sniff_video(ftyp(b"heic", b"mif1", b"heic")) is None  # a HEIC photo
    assert sniff_video(ftyp(b"qt  ")) is None  # QuickTime
    mkv = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska"
    assert sniff_video(mkv) is None
    assert sniff_video(b"") is None
    assert sniff_video(b"\x89PNG\r\n\x1a\n" + b"\0" * 40) is None
