"""The intake rules on the corpus: what is accepted, what is refused and why, what is stripped,
and that thumbnails are upright and normalised."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from ecan.avatars import imaging
from ecan.errors import UserFacingError
from tests.corpus.make_corpus import (
    Expect,
    gps_exif,
    heic_declaring,
    heic_with_gps,
    rotated_jpeg_with_gps,
    write_corpus,
)

Corpus = tuple[Path, dict[str, Expect]]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    folder = tmp_path_factory.mktemp("corpus")
    return folder, write_corpus(folder)


def _open(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def test_every_corpus_file_is_accepted_or_refused_with_its_reason(corpus: Corpus) -> None:
    folder, expected = corpus
    for name, expect in expected.items():
        data = (folder / name).read_bytes()
        if expect.ok:
            p = imaging.prepare(data, name)
            assert p.animated == expect.animated, name
            for thumb, limit in ((p.thumb, 256), (p.thumb_small, 64)):
                im = _open(thumb)
                assert im.format == "PNG" and im.mode in ("RGB", "RGBA"), name
                assert max(im.size) <= limit, name
        else:
            with pytest.raises(UserFacingError) as err:
                imaging.prepare(data, name)
            assert err.value.code == expect.code, (name, err.value.message)
            # One line, naming the file, with a hint.
            assert err.value.message.startswith(f"{name}: ") and "\n" not in err.value.message
            assert err.value.hint


def test_gps_and_xmp_are_gone_but_orientation_stays() -> None:
    data = rotated_jpeg_with_gps()
    assert b"secret place" in data and _open(data).getexif().get_ifd(0x8825)
    p = imaging.prepare(data, "rotated.jpg")
    stored = _open(p.data)
    exif = stored.getexif()
    assert not exif.get_ifd(0x8825)  # no GPS
    assert 0x010F not in exif  # no camera make either
    assert exif.get(0x0112) == 8  # shown upright by any viewer
    assert b"secret place" not in p.data and b"Corpus Camera" not in p.data
    # The pixels are the user's: identical decode, no re-encode.
    assert stored.tobytes() == _open(data).tobytes()


def test_thumbnail_is_rotated_upright() -> None:
    p = imaging.prepare(rotated_jpeg_with_gps(), "rotated.jpg")
    assert (p.width, p.height) == (120, 160)
    thumb = _open(p.thumb).convert("RGB")
    w, h = thumb.size
    assert h > w
    top, bottom = thumb.getpixel((w // 2, 2)), thumb.getpixel((w // 2, h - 3))
    assert top[0] > 180 and top[2] < 80  # the red band is on top
    assert bottom[2] > 120 and bottom[0] < 80


def test_png_and_webp_metadata_stripped(corpus: Corpus) -> None:
    folder, _ = corpus
    png = imaging.prepare((folder / "text_chunks.png").read_bytes(), "t.png")
    assert b"my home address" not in png.data and b"eXIf" not in png.data
    assert _open(png.data).size == (40, 30)
    webp_src = (folder / "good.webp").read_bytes()
    assert b"EXIF" in webp_src
    webp = imaging.prepare(webp_src, "w.webp")
    assert b"EXIF" not in webp.data and b"Corpus Camera" not in webp.data
    assert _open(webp.data).size == (200, 150)


def test_modes_are_normalised(corpus: Corpus) -> None:
    folder, _ = corpus
    gray = _open(imaging.prepare((folder / "gray16.png").read_bytes(), "g.png").thumb)
    w, h = gray.size
    bright, dark = gray.getpixel((w // 2, 2)), gray.getpixel((w // 2, h - 3))
    # 50000/65535 scaled, not clipped to white; 1000/65535 nearly black.
    assert 170 < bright[0] < 210 and dark[0] < 10
    pal = _open(imaging.prepare((folder / "palette_alpha.png").read_bytes(), "p.png").thumb)
    assert pal.mode == "RGBA"
    assert pal.getpixel((0, 0))[3] == 0
    assert pal.getpixel((pal.width // 2, pal.height // 2))[3] == 255
    cmyk = _open(imaging.prepare((folder / "cmyk.jpg").read_bytes(), "c.jpg").thumb)
    assert cmyk.mode == "RGB"
    r, g, b = cmyk.getpixel((cmyk.width // 2, 1))
    assert r > 150 and b < 100  # the red band survived the CMYK conversion


def test_size_limit_is_checked_before_decoding() -> None:
    with pytest.raises(UserFacingError) as err:
        imaging.prepare(b"\x89PNG\r\n\x1a\n" + b"\0" * imaging.MAX_BYTES, "huge.png")
    assert err.value.code == "too_large"


def test_sanitize_keeps_a_jpeg_without_metadata_byte_identical(corpus: Corpus) -> None:
    folder, _ = corpus
    data = (folder / "good.jpg").read_bytes()
    assert imaging.sanitize(data, "JPEG") == data
    exif_only = io.BytesIO()
    Image.new("RGB", (16, 16)).save(exif_only, "JPEG", exif=gps_exif(1).tobytes())
    stripped = imaging.sanitize(exif_only.getvalue(), "JPEG", 1)
    assert b"Exif" not in stripped


def test_a_second_picture_after_the_first_is_dropped() -> None:
    """MPO files (and some editors) append a second JPEG, with its own EXIF, after the first."""
    plain = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 10)).save(plain, "JPEG", progressive=True)
    data = plain.getvalue() + rotated_jpeg_with_gps() + b"trailer"
    p = imaging.prepare(data, "mpo.jpg")
    assert b"Corpus Camera" not in p.data and b"trailer" not in p.data
    assert p.data.endswith(b"\xff\xd9") and _open(p.data).size == (64, 48)


def test_a_heic_is_stored_as_an_upright_jpeg_without_its_metadata() -> None:
    data = heic_with_gps()
    assert b"secret place" in data and b"Corpus Camera" in data
    p = imaging.prepare(data, "IMG_0001.HEIC")
    assert p.info.format == "JPEG" and p.info.ext == "jpg"
    stored = _open(p.data)
    assert stored.format == "JPEG"
    assert b"secret place" not in p.data and b"Corpus Camera" not in p.data
    assert not stored.getexif()  # no GPS, no camera, nothing
    # Upright: the HEIC was stored sideways with orientation 8.
    assert (p.width, p.height) == stored.size == (120, 160)
    top, bottom = stored.getpixel((60, 5)), stored.getpixel((60, 150))
    assert top[0] > 180 and top[2] < 80 and bottom[2] > 120 and bottom[0] < 80
    # The same photo imported twice converts to the same bytes (one avatar, not two).
    assert imaging.prepare(data, "again.heic").data == p.data


def test_hostile_heics_are_refused_before_decoding() -> None:
    heic = heic_with_gps()
    for declared in ((60_000, 60_000), (9_000, 9_000), (20_000, 10)):
        with pytest.raises(UserFacingError) as err:
            imaging.prepare(heic_declaring(heic, *declared), "bomb.heic")
        assert err.value.code == "too_many_pixels", declared
    with pytest.raises(UserFacingError) as err:
        imaging.prepare(heic[:40], "cut.heic")
    assert err.value.code == "invalid_image" and err.value.message.startswith("cut.heic: ")
    # An AVIF shares the HEIF container but is not a HEIC.
    avif = heic[:8] + b"avif" + heic[12:]
    with pytest.raises(UserFacingError) as err:
        imaging.prepare(avif, "a.avif")
    assert err.value.code == "unsupported_format" and "AVIF" in err.value.message
