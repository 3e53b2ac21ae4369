"""Recognising an avatar's video by its content: MP4 (an ISO BMFF `ftyp` box with a video brand)
or WebM (EBML with the `webm` doctype), then probing it through PyAV (FFmpeg's libraries, which
its wheels carry) within limits and taking its poster frame. Anything else is refused, whatever
its extension."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ecan.errors import UserFacingError

if TYPE_CHECKING:
    import av
    from PIL import Image

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


# An avatar's video is a loop or a short clip; an hour is far past any of them.
MAX_VIDEO_SECONDS = 3600
MAX_VIDEO_SIDE = 8192
MAX_VIDEO_PIXELS = 40_000_000  # the pictures' limit: 8K UHD (35 MP) fits
MAX_STREAMS = 16
# The decoders a poster frame may go through: what phones, browsers and screen recorders write.
# Everything else FFmpeg has stays unused on a file nobody vouched for.
VIDEO_CODECS = frozenset({"h264", "hevc", "vp8", "vp9", "av1", "mpeg4"})
# Fades start from black: the poster is the first frame that is not, among the first few.
POSTER_SCAN_FRAMES = 48
_DARK = 24
# FFmpeg's demuxer names for the two containers: forcing one means no other demuxer (HLS,
# concat: playlists that open other files) is ever tried on a file named .mp4.
_DEMUXER = {"mp4": "mp4", "webm": "webm"}
HINT = "Use an MP4 or WebM video (H.264, HEVC, VP8, VP9 or AV1) under an hour long."


@dataclass(frozen=True)
class VideoProbe:
    duration: float  # seconds
    width: int  # as displayed (rotation applied)
    height: int
    codec: str
    poster: Image.Image  # RGB, upright


def _refuse(code: str, label: str, reason: str) -> UserFacingError:
    return UserFacingError(code, f"{label}: {reason}", HINT)


def probe_video(path: Path, fmt: VideoFormat, label: str) -> VideoProbe:
    """Open the video with the demuxer its magic bytes named, check the limits from its headers,
    walk every packet of its video stream (no decoding: it proves the file holds what its index
    promises, and measures a WebM that declares no duration), and decode the first frames for
    the poster. Raises UserFacingError naming `label`."""
    import av

    def open_it() -> av.container.InputContainer:
        return av.open(str(path), format=_DEMUXER[fmt.ext],
                       options={"protocol_whitelist": "file"})

    try:
        with open_it() as container:
            duration, codec = _check(container, label)
        # Opened again rather than seeking back: a WebM without cues may not seek.
        with open_it() as container:
            poster = _poster(container, container.streams.video[0])
        if poster is None:
            raise _refuse("invalid_video", label, "no frame of it can be decoded")
        return VideoProbe(duration, poster.width, poster.height, codec, poster)
    except UserFacingError:
        raise
    except (av.error.FFmpegError, OSError, ValueError, EOFError, IndexError) as e:
        raise _refuse("invalid_video", label,
                      f"not a valid {fmt.ext.upper()} video (damaged or truncated: "
                      f"{_reason(e)})") from None
    except MemoryError:
        raise _refuse("too_many_pixels", label, "the video's frames are too large") from None


def _check(container: av.container.InputContainer, label: str) -> tuple[float, str]:
    """(duration in seconds, codec) once the limits and the packets check out."""
    streams = container.streams
    if len(streams) > MAX_STREAMS:
        raise _refuse("invalid_video", label, f"{len(streams)} streams is more than a video has")
    if not streams:
        raise _refuse("invalid_video", label, "it holds nothing (damaged or truncated)")
    if not streams.video:
        raise _refuse("unsupported_format", label, "it has no video (only sound or data)")
    stream = streams.video[0]
    codec = stream.codec_context.name
    if codec not in VIDEO_CODECS:
        raise _refuse("unsupported_format", label, f"its video is coded as {codec!r}")
    w, h = stream.codec_context.width, stream.codec_context.height
    if w <= 0 or h <= 0:
        raise _refuse("invalid_video", label, "its header gives no picture size")
    if max(w, h) > MAX_VIDEO_SIDE or w * h > MAX_VIDEO_PIXELS:
        raise _refuse("too_many_pixels", label,
                      f"{w} x {h} is over the {MAX_VIDEO_SIDE} px, "
                      f"{MAX_VIDEO_PIXELS // 1_000_000} MP limit")
    declared = container.duration / 1_000_000 if container.duration else None
    if declared is not None and declared > MAX_VIDEO_SECONDS:
        raise _refuse("too_large", label, f"{declared / 60:.0f} minutes is over the "
                                          f"{MAX_VIDEO_SECONDS // 60} minute limit")
    base = stream.time_base
    start = stream.start_time or 0
    end = 0.0
    packets = 0
    for packet in container.demux(stream):
        if packet.pts is None or base is None:
            continue
        packets += 1
        end = max(end, float((packet.pts - start + (packet.duration or 0)) * base))
        if end > MAX_VIDEO_SECONDS:
            raise _refuse("too_large", label,
                          f"it is over the {MAX_VIDEO_SECONDS // 60} minute limit")
    if packets == 0:
        raise _refuse("invalid_video", label, "it holds no video frames")
    indexed = stream.frames  # MP4: the sample count its index promises (WebM: 0, unknown)
    if (indexed and packets < indexed) or (declared and end < declared * 0.9 - 0.5):
        raise _refuse("invalid_video", label,
                      "it is truncated (the file ends before the video does)")
    return round(declared if declared else end, 3), codec


def _poster(container: av.container.InputContainer, stream: av.VideoStream
            ) -> Image.Image | None:
    """The first frame that is not (nearly) black among the first few; else the first."""
    from PIL import Image

    first: Image.Image | None = None
    for n, frame in enumerate(container.decode(stream)):
        im = frame.to_image().convert("RGB")
        rotation = int(getattr(frame, "rotation", 0) or 0) % 360
        if rotation:  # a phone's portrait video is stored sideways with a display matrix
            im = im.rotate(rotation, expand=True, resample=Image.Resampling.NEAREST)
        if max(hi for _lo, hi in im.getextrema()) > _DARK:
            return im
        if first is None:
            first = im
        if n + 1 >= POSTER_SCAN_FRAMES:
            break
    return first


def _reason(e: BaseException) -> str:
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    return text[:120]
