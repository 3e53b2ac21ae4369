"""The picture decoder process's service loop (ecan.bridge.decode_service), headless: what the
window asks for, what comes back, and what a bad picture or a bad request gets."""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path

from PIL import Image

from ecan.bridge.decode_service import fit, serve


def ask(*requests: dict[str, object] | bytes) -> list[tuple[dict[str, object], bytes]]:
    """Run the service on these requests; its answers as (header, pixels)."""
    lines = b"".join(r if isinstance(r, bytes) else json.dumps(r).encode() + b"\n"
                     for r in requests)
    out = io.BytesIO()
    assert serve(io.BytesIO(lines), out) == 0
    data, answers = out.getvalue(), []
    while data:
        end = data.index(b"\n")
        header = json.loads(data[:end])
        size = 0 if "error" in header else int(header["w"]) * int(header["h"]) * 4
        answers.append((header, data[end + 1:end + 1 + size]))
        data = data[end + 1 + size:]
    return answers


def test_a_picture_comes_back_scaled_to_fit_as_rgba(tmp_path: Path) -> None:
    wide = tmp_path / "wide.png"
    Image.new("RGBA", (256, 128), (200, 40, 10, 128)).save(wide)
    [(header, pixels)] = ask({"id": 1, "path": str(wide), "w": 64, "h": 64})
    assert header == {"id": 1, "w": 64, "h": 32}
    assert len(pixels) == 64 * 32 * 4
    # Straight RGBA, not premultiplied (give or take the resampler's rounding).
    first = tuple(pixels[:4])
    assert all(abs(got - want) <= 1 for got, want in zip(first, (200, 40, 10, 128), strict=True))


def test_answers_come_in_order_and_a_bad_picture_is_one_error_not_the_end(
        tmp_path: Path) -> None:
    good = tmp_path / "good.jpg"
    Image.new("RGB", (1200, 900), (0, 90, 200)).save(good, quality=90)
    renamed_zip = tmp_path / "photo.png"
    renamed_zip.write_bytes(b"PK\x03\x04" + b"\0" * 200)
    truncated = tmp_path / "cut.png"
    buf = io.BytesIO()
    Image.new("RGB", (300, 300), (1, 2, 3)).save(buf, "PNG")
    truncated.write_bytes(buf.getvalue()[:120])
    answers = ask({"id": 7, "path": str(renamed_zip), "w": 112, "h": 112},
                  {"id": 8, "path": str(tmp_path / "gone.png"), "w": 112, "h": 112},
                  {"id": 9, "path": str(truncated), "w": 112, "h": 112},
                  {"id": 10, "path": str(good), "w": 112, "h": 112})
    assert [h["id"] for h, _ in answers] == [7, 8, 9, 10]
    assert all("error" in h for h, _ in answers[:3])
    assert "UnidentifiedImageError" in str(answers[0][0]["error"])
    assert answers[3][0] == {"id": 10, "w": 112, "h": 84}
    r, g, b, a = answers[3][1][:4]
    assert abs(r - 0) <= 3 and abs(g - 90) <= 3 and abs(b - 200) <= 3 and a == 255


def test_a_decompression_bomb_is_refused_without_decoding_it(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.png"
    # A PNG whose header says 40000 x 40000 (6.4 GB of RGBA once decoded).
    buf = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buf, "PNG")
    png = bytearray(buf.getvalue())
    png[16:24] = struct.pack(">II", 40000, 40000)
    png[29:33] = struct.pack(">I", zlib.crc32(bytes(png[12:29])))
    bomb.write_bytes(bytes(png))
    [(header, _)] = ask({"id": 1, "path": str(bomb), "w": 112, "h": 112})
    assert "DecompressionBomb" in str(header["error"])


def test_malformed_requests_are_answered_when_they_name_an_id_and_skipped_otherwise(
        tmp_path: Path) -> None:
    pic = tmp_path / "p.png"
    Image.new("RGB", (10, 10)).save(pic)
    answers = ask(b"not json\n", b'{"path": "x"}\n',
                  {"id": 3, "path": str(pic)},                              # no box
                  {"id": 4, "path": str(pic), "w": 100000, "h": 100000},    # absurd box
                  {"id": 5, "path": str(pic), "w": 20, "h": 20})
    assert [h["id"] for h, _ in answers] == [3, 4, 5]
    assert "error" in answers[0][0] and "out of range" in str(answers[1][0]["error"])
    assert answers[2][0] == {"id": 5, "w": 20, "h": 20}  # small pictures are scaled up too


def test_fit_matches_qt_keep_aspect_ratio() -> None:
    # Values from Qt's QSize(w, h).scaled(QSize(bw, bh), Qt.KeepAspectRatio).
    assert fit((256, 192), (224, 224)) == (224, 168)
    assert fit((192, 256), (112, 112)) == (84, 112)
    assert fit((255, 100), (64, 64)) == (64, 25)
    assert fit((1, 1000), (64, 64)) == (1, 64)  # Qt says 0 wide: nothing could be shown
    assert fit((10, 10), (200, 200)) == (200, 200)


def test_a_tile_fills_its_square_centre_cropped_with_rounded_corners(tmp_path: Path) -> None:
    wide = tmp_path / "wide.png"
    picture = Image.new("RGB", (300, 100), (200, 0, 0))
    picture.paste((0, 0, 200), (100, 0, 200, 100))  # the middle third
    picture.save(wide)
    [(header, pixels)] = ask({"id": 1, "path": str(wide), "w": 64, "h": 64, "tile": 8})
    assert header == {"id": 1, "w": 64, "h": 64}
    tile = Image.frombytes("RGBA", (64, 64), pixels)
    assert tile.getpixel((32, 32)) == (0, 0, 200, 255)  # only the middle third is left
    assert tile.getpixel((2, 32))[:3] == (0, 0, 200)
    assert tile.getpixel((0, 0))[3] == 0 and tile.getpixel((63, 63))[3] == 0  # rounded away
    assert 0 < tile.getpixel((2, 2))[3] < 255  # antialiased edge


def test_a_tile_radius_out_of_range_is_an_error(tmp_path: Path) -> None:
    pic = tmp_path / "p.png"
    Image.new("RGB", (10, 10)).save(pic)
    answers = ask({"id": 1, "path": str(pic), "w": 64, "h": 64, "tile": 40},
                  {"id": 2, "path": str(pic), "w": 64, "h": 64, "tile": "nan"})
    assert all("out of range" in str(h["error"]) for h, _ in answers)
