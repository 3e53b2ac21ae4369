"""Writes the intake corpus: every kind of file a user can throw at `ecan import`, each with the
outcome we expect (accepted, or refused with an error code). Run directly to write one to a folder:
`python -m tests.corpus.make_corpus DIR`."""

from __future__ import annotations

import io
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

GPS_IFD = 0x8825


@dataclass(frozen=True)
class Expect:
    ok: bool
    code: str | None = None  # the error code when refused
    animated: bool = False


def _picture(size: tuple[int, int], seed: int = 0) -> Image.Image:
    """A picture with an unmistakable top: a red band across the top quarter, blue elsewhere."""
    w, h = size
    im = Image.new("RGB", size, (20, 40, 200 - seed % 50))
    ImageDraw.Draw(im).rectangle((0, 0, w, h // 4), fill=(230, 20, 20))
    return im


def _save(im: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def _png_chunk(ctype: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + ctype + data
            + struct.pack(">I", zlib.crc32(ctype + data) & 0xFFFFFFFF))


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that claims huge dimensions: the decompression-bomb shape."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 64, 9)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat)
            + _png_chunk(b"IEND", b""))


def gps_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Corpus Camera"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)})
    return exif


def rotated_jpeg_with_gps() -> bytes:
    """Stored sideways (160 x 120 landscape) with orientation 8, so upright it is 120 x 160
    portrait with the red band on top; carries a GPS position and an XMP packet."""
    upright = _picture((120, 160))
    stored = upright.transpose(Image.Transpose.ROTATE_270)  # orientation 8 undoes this
    return _save(stored, "JPEG", quality=92, exif=gps_exif(8).tobytes(),
                 xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret place</x:xmpmeta>')


def heic_with_gps(size: tuple[int, int] = (120, 160), orientation: int = 8) -> bytes:
    """A HEIC (made by pillow-heif, as an iPhone writes one) stored sideways with an EXIF
    orientation, a GPS position, a camera make and an XMP packet."""
    import pillow_heif

    upright = _picture(size)
    stored = upright.transpose(Image.Transpose.ROTATE_270) if orientation == 8 else upright
    buf = io.BytesIO()
    pillow_heif.from_pillow(stored).save(
        buf, quality=90, exif=gps_exif(orientation).tobytes(),
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret place</x:xmpmeta>')
    return buf.getvalue()


def heic_declaring(data: bytes, width: int, height: int) -> bytes:
    """The HEIC with its image's declared size (the `ispe` box) changed: a bomb's shape."""
    at = data.index(b"ispe")
    return data[:at + 8] + struct.pack(">II", width, height) + data[at + 16:]


SVG = (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert("x")</script><rect width="10" height="10"/></svg>')


def files() -> dict[str, tuple[bytes, Expect]]:
    out: dict[str, tuple[bytes, Expect]] = {}
    good = _picture((300, 200))
    out["good.png"] = (_save(good, "PNG"), Expect(True))
    png_text = Image.new("RGBA", (40, 30), (0, 200, 0, 128))
    info = __import__("PIL.PngImagePlugin", fromlist=["PngInfo"]).PngInfo()
    info.add_text("Comment", "my home address")
    out["text_chunks.png"] = (_save(png_text, "PNG", pnginfo=info, exif=gps_exif()),
                              Expect(True))
    out["good.jpg"] = (_save(_picture((320, 240), 1), "JPEG", quality=90), Expect(True))
    out["still.gif"] = (_save(_picture((64, 48), 2).convert("P"), "GIF"), Expect(True))
    frames = [_picture((50, 50), k * 20).rotate(90 * k) for k in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    out["animated.gif"] = (buf.getvalue(), Expect(True, animated=True))
    out["good.webp"] = (_save(_picture((200, 150), 3), "WEBP", quality=80,
                              exif=gps_exif().tobytes()), Expect(True))
    buf = io.BytesIO()
    frames[0].save(buf, "WEBP", save_all=True, append_images=frames[1:], duration=100)
    out["animated.webp"] = (buf.getvalue(), Expect(True, animated=True))
    out["cmyk.jpg"] = (_save(_picture((100, 80), 4).convert("CMYK"), "JPEG"), Expect(True))
    # Top half 50000/65535 (light grey), bottom half 1000/65535 (near black).
    gray16 = Image.frombytes("I;16", (40, 40),
                             struct.pack("<H", 50000) * 800 + struct.pack("<H", 1000) * 800)
    out["gray16.png"] = (_save(gray16, "PNG"), Expect(True))
    pal = Image.new("P", (32, 32), 0)
    pal.putpalette([0, 0, 0, 255, 0, 0] + [0] * (254 * 3))
    pal.paste(1, (8, 8, 24, 24))
    out["palette_alpha.png"] = (_save(pal, "PNG", transparency=0), Expect(True))
    out["rotated_gps.jpg"] = (rotated_jpeg_with_gps(), Expect(True))
    out["progressive.jpg"] = (_save(_picture((300, 300), 5), "JPEG", progressive=True),
                              Expect(True))
    out["wrong_ext.gif"] = (_save(_picture((30, 30), 6), "PNG"), Expect(True))  # a PNG, really
    heic = heic_with_gps()
    out["iphone.heic"] = (heic, Expect(True))
    out["truncated.heic"] = (heic[: len(heic) * 2 // 3], Expect(False, "invalid_image"))
    out["bomb.heic"] = (heic_declaring(heic, 60_000, 60_000), Expect(False, "too_many_pixels"))
    out["lying_size.heic"] = (heic_declaring(heic, 300, 300), Expect(False, "invalid_image"))

    jpg = _save(_picture((400, 300), 7), "JPEG", quality=95)
    out["truncated.jpg"] = (jpg[: len(jpg) // 2], Expect(False, "invalid_image"))
    png = _save(_picture((200, 200), 8), "PNG")
    out["truncated.png"] = (png[: len(png) - 40], Expect(False, "invalid_image"))
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr("a.txt", "hello")
    out["renamed_zip.png"] = (zbuf.getvalue(), Expect(False, "unsupported_format"))
    out["script.svg"] = (SVG, Expect(False, "unsupported_format"))
    out["svg_in_disguise.png"] = (SVG, Expect(False, "unsupported_format"))
    out["empty.png"] = (b"", Expect(False, "empty_file"))
    out["wide_60000.png"] = (_save(Image.new("1", (60_000, 1)), "PNG"),
                             Expect(False, "too_many_pixels"))
    out["bomb.png"] = (png_header_only(100_000, 100_000), Expect(False, "too_many_pixels"))
    out["just_over_40mp.png"] = (png_header_only(8000, 5001), Expect(False, "too_many_pixels"))
    out["notes.txt"] = (b"just some text\n", Expect(False, "unsupported_format"))
    out["page.html"] = (b"<!DOCTYPE html><html><body>hi</body></html>",
                        Expect(False, "unsupported_format"))
    out["garbage_after_magic.jpg"] = (b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + b"\xaa" * 300,
                                      Expect(False, "invalid_image"))
    return out


def write_corpus(dest: Path) -> dict[str, Expect]:
    dest.mkdir(parents=True, exist_ok=True)
    expected: dict[str, Expect] = {}
    for name, (data, expect) in files().items():
        (dest / name).write_bytes(data)
        expected[name] = expect
    return expected


def write_many(dest: Path, count: int) -> list[Path]:
    """`count` distinct tiny PNGs in nested folders (a library dump)."""
    written = []
    template = Image.new("RGB", (8, 8))
    for i in range(count):
        folder = dest / f"batch{i // 500:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        im = template.copy()
        im.putpixel((0, 0), (i & 255, (i >> 8) & 255, 7))
        path = folder / f"tiny_{i:05d}.png"
        im.save(path, "PNG", compress_level=1)
        written.append(path)
    return written


if __name__ == "__main__":
    for n, e in write_corpus(Path(sys.argv[1])).items():
        print(f"{n}: {'ok' if e.ok else e.code}")
