"""Small real videos for tests, encoded with PyAV (the same FFmpeg ecan probes with)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

BLACK = (0, 0, 0)
TEAL = (0, 150, 140)


def make_video(path: Path, *, fmt: str = "mp4", frames: int = 12, rate: int = 12,
               size: tuple[int, int] = (64, 48), black_frames: int = 0,
               colour: tuple[int, int, int] = TEAL, faststart: bool = False) -> Path:
    """`frames` frames at `rate` per second (so frames / rate seconds long): `black_frames`
    black ones (a fade-in), then `colour` with a moving white bar."""
    import av

    codec = "libx264" if fmt == "mp4" else "libvpx-vp9"
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), "w", format=fmt, options=options) as container:
        stream = container.add_stream(codec, rate=rate)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(frames):
            im = Image.new("RGB", size, BLACK if i < black_frames else colour)
            if i >= black_frames:
                x = (i * 4) % size[0]
                im.paste((255, 255, 255), (x, 0, min(size[0], x + 4), size[1]))
            for packet in stream.encode(av.VideoFrame.from_image(im)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
