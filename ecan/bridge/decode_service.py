"""Pictures decoded and scaled for the window, in a process of its own (`ecan decode-service`,
driven by ecan.bridge.decoder_process), including the gallery's finished tiles. It lives with
the window's other Qt-side code because it draws for the window (its sizes follow Qt's
rounding), but it imports no Qt, so it starts in a few tens of milliseconds
(tests/unit/test_architecture.py checks that).

Why a process: a loader thread in the window makes a dozen Qt calls per picture, and each one
hands the interpreter lock back and forth with the GUI thread (benchmarks/RESULTS.md has the
stalls measured). Here decoding has its own interpreter; the window only wraps finished pixels.
A picture that crashes the decoder takes down this process, not the window.

The pipe protocol; requests are answered one by one, in the order they came:
    window -> here (stdin), one line each:   {"id": N, "path": "...", "w": W, "h": H}
        and optionally "tile": R, for the gallery's finished tile: the picture fills W x H
        (centre-cropped) and its corners are rounded with radius R, antialiased.
    here -> window (stdout): the line  {"id": N, "w": w, "h": h}  and then w * h * 4 bytes of
        RGBA: the picture (its first frame) scaled to fit W x H, aspect kept (or the tile); or
        the line {"id": N, "error": "..."} when it cannot be read.
End of input ends the process."""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from typing import TYPE_CHECKING, BinaryIO

from ecan.pipe import MAX_LINE, encode_line

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)

MAX_BOX = 4096  # pixels a side: the window asks for thumbnails and previews, never more


def fit(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """`size` scaled to fit `box`, aspect kept, up or down: Qt's QSize.scaled(KeepAspectRatio),
    integer arithmetic and all, so a card looks as it did when Qt decoded it."""
    (w, h), (bw, bh) = size, box
    rw = bh * w // h
    if rw <= bw:
        return max(1, rw), bh
    return bw, max(1, bw * h // w)


def decode(path: str, box: tuple[int, int], tile: float | None = None
           ) -> tuple[int, int, bytes]:
    """The picture at `path` as RGBA pixels: scaled to fit `box`, or, with a `tile` radius,
    filling it (centre-cropped) with rounded corners. Returns (width, height, pixels)."""
    from PIL import Image, ImageChops, ImageOps

    with Image.open(path) as im:
        # JPEG can decode at a fraction of its size: never less than the box needs.
        im.draft("RGB", box)
        rgba = im.convert("RGBA")  # the first frame of an animation
        if tile is not None:
            rgba = ImageOps.fit(rgba, box, Image.Resampling.BICUBIC)
            rgba.putalpha(ImageChops.multiply(rgba.getchannel("A"), _rounded(box, tile)))
        else:
            size = fit(rgba.size, box)
            if size != rgba.size:
                rgba = rgba.resize(size, Image.Resampling.BICUBIC)
        return rgba.width, rgba.height, rgba.tobytes()


@functools.lru_cache(maxsize=8)
def _rounded(size: tuple[int, int], radius: float) -> Image.Image:
    """An antialiased rounded-rectangle mask (drawn 4x larger, then scaled down), the shape
    Qt's antialiased addRoundedRect clip gives the same tile."""
    from PIL import Image, ImageDraw

    big = Image.new("L", (size[0] * 4, size[1] * 4), 0)
    ImageDraw.Draw(big).rounded_rectangle((0, 0, big.width - 1, big.height - 1),
                                          radius * 4, fill=255)
    return big.resize(size, Image.Resampling.LANCZOS)


def _answer(out: BinaryIO, header: dict[str, object], pixels: bytes = b"") -> None:
    out.write(encode_line(header).encode() + pixels)
    out.flush()


def serve(requests: BinaryIO, out: BinaryIO) -> int:
    """Answer requests until end of input. A request that cannot be parsed is answered with an
    error when it names its id (the window waits for every id), else logged and skipped."""
    for line in requests:
        if len(line) > MAX_LINE or not line.strip():
            continue
        try:
            req = json.loads(line)
            ticket = int(req["id"])
        except (ValueError, KeyError, TypeError):
            log.warning("decode-service: skipped a malformed request")
            continue
        try:
            path = str(req["path"])
            box = (int(req["w"]), int(req["h"]))
            tile = float(req["tile"]) if req.get("tile") is not None else None
            if not (0 < box[0] <= MAX_BOX and 0 < box[1] <= MAX_BOX):
                raise ValueError(f"a box of {box[0]} x {box[1]} pixels is out of range")
            if tile is not None and not 0 <= tile <= min(box) / 2:
                raise ValueError(f"a tile radius of {tile} pixels is out of range")
            w, h, pixels = decode(path, box, tile)
        except Exception as e:  # noqa: BLE001 - any unreadable picture is one answer, not an end
            _answer(out, {"id": ticket, "error": f"{type(e).__name__}: {e}"[:300]})
            continue
        _answer(out, {"id": ticket, "w": w, "h": h}, pixels)
    return 0


def main() -> int:
    # Pixels own the real stdout; anything a library prints goes to stderr instead of
    # corrupting the stream.
    with os.fdopen(os.dup(sys.stdout.fileno()), "wb") as out:
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
        return serve(sys.stdin.buffer, out)
