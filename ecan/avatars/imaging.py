"""Image intake as pure functions: decide what a file is by its bytes, refuse what is not a safe
PNG/JPEG/GIF/WebP/HEIC, strip private metadata without re-encoding, and make the thumbnails.

What is stored (the original that syncs to the cloud) is the user's file with its metadata removed
at the byte level, so its pixels are exactly the user's and no re-encode is paid:

- JPEG: APP1 (EXIF, XMP), APP3..APP13 (IPTC/Photoshop), APP15 and COM segments are dropped, and
  so is anything after the end-of-image marker (an MPO's second picture carries its own EXIF);
  APP0 (JFIF), APP2 ICC profiles and APP14 (Adobe colour transform, needed for CMYK) are kept.
  The EXIF orientation is the one tag kept: it is written back as a minimal EXIF block holding
  only Orientation, so viewers still show the picture upright.
- PNG: eXIf, tEXt, iTXt, zTXt and tIME chunks and any bytes after IEND are dropped.
- WebP: EXIF and XMP chunks are dropped, the VP8X flags and the RIFF size fixed.
- GIF: stored as is (it carries no EXIF/GPS).
- HEIC/HEIF (iPhone photos): decoded through pillow-heif and stored as a JPEG (a PNG where the
  picture has transparency). Why not keep the HEIC: its metadata (EXIF with GPS, XMP) sits in
  items the `iloc` box points into, so removing it without re-encoding means rewriting the
  container's offsets; and the stored original is what agents' runtimes, browsers and links
  serve, which mostly cannot show HEIC. One re-encode at high quality buys a file everything
  reads, with nothing but the pixels and the colour profile in it. The same picture converts to
  the same bytes, so importing it twice is still one avatar.

Thumbnails (256 px and 64 px PNGs, upright, RGB or RGBA) are decoded from the stored bytes, so
making them is also the proof that the stored file decodes. JPEGs are decoded at a reduced DCT
scale (`draft`) before the orientation is applied, which is most of the speed.
"""

from __future__ import annotations

import io
import re
import struct
from dataclasses import dataclass

from PIL import GifImagePlugin, Image, ImageFile, ImageOps, JpegImagePlugin, PngImagePlugin

from ecan.errors import UserFacingError

try:  # WebP support is optional in Pillow builds; without it WebP is refused, never crashes.
    from PIL import WebPImagePlugin
except ImportError:  # pragma: no cover - depends on the Pillow build
    WebPImagePlugin = None  # type: ignore[assignment]

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000
# A 60,000 x 1 strip is under the pixel limit but is no avatar; WebP's own limit is 16,383.
MAX_SIDE = 16_384
THUMB_SIZE = 256
SMALL_THUMB_SIZE = 64
ORIENTATION_TAG = 0x0112

SUPPORTED = "PNG, JPEG, GIF, WebP or HEIC"
# What a HEIC becomes: high enough that the one re-encode is not visible in an avatar.
HEIF_JPEG_QUALITY = 92


@dataclass(frozen=True)
class FormatInfo:
    format: str  # PNG, JPEG, GIF, WEBP (a HEIC is stored as JPEG or PNG)
    ext: str
    mime_type: str


FORMATS = {
    "PNG": FormatInfo("PNG", "png", "image/png"),
    "JPEG": FormatInfo("JPEG", "jpg", "image/jpeg"),
    "GIF": FormatInfo("GIF", "gif", "image/gif"),
    "WEBP": FormatInfo("WEBP", "webp", "image/webp"),
}


@dataclass(frozen=True)
class Prepared:
    """A validated, sanitised image ready to be stored."""

    data: bytes  # the sanitised original (what is stored and synced)
    info: FormatInfo
    width: int  # as displayed (after EXIF orientation)
    height: int
    animated: bool
    thumb: bytes  # 256 px PNG
    thumb_small: bytes  # 64 px PNG


def refuse(code: str, filename: str, reason: str, hint: str = "") -> UserFacingError:
    return UserFacingError(code, f"{filename}: {reason}",
                           hint or f"Use a {SUPPORTED} image under {MAX_BYTES // 2**20} MB "
                                   f"and {MAX_PIXELS // 1_000_000} megapixels.")


# ftyp brands of HEVC-coded HEIF (what iPhones and most Android phones write). `mif1`/`msf1`
# alone are generic HEIF structure brands that AVIF shares, so they count only beside a HEVC
# brand; pillow-heif's wheels decode HEVC, not AV1.
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}
_HEIF_GENERIC = {b"mif1", b"msf1", b"heif"}


def _is_heif(head: bytes) -> bool:
    if len(head) < 12 or head[4:8] != b"ftyp":
        return False
    size = struct.unpack(">I", head[:4])[0]
    brands = {head[8:12]} | {head[j:j + 4] for j in range(16, min(size, len(head)) - 3, 4)}
    return bool(brands & _HEIF_BRANDS) and (head[8:12] in _HEIF_BRANDS | _HEIF_GENERIC)


def sniff_format(head: bytes) -> str | None:
    """The allow-listed format these first bytes announce, or None. "HEIF" is accepted on the
    way in and stored converted (see the module's docstring)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if _is_heif(head):
        return "HEIF"
    return None


def _describe(head: bytes) -> str:
    """A short, human guess at what a refused file is, for the error line."""
    if not head:
        return "the file is empty (0 bytes)"
    if head.startswith(b"PK\x03\x04"):
        return "this is a ZIP archive, not an image"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<svg", b"<?xml", b"<!doctype svg")) or b"<svg" in head.lower():
        return "SVG images are not accepted (they can carry scripts)"
    if stripped.startswith((b"<html", b"<!doctype html")):
        return "this is an HTML page, not an image"
    if head[4:8] == b"ftyp":
        if head[8:12] in (b"avif", b"avis"):
            return "AVIF images are not accepted yet"
        if head[8:12] == b"qt  ":
            return "QuickTime (.mov) videos are not accepted yet: export it as MP4"
        return "this is a video, not a picture (import MP4 or WebM videos as video avatars)"
    return "not a supported image"


def _open(data: bytes, fmt: str) -> ImageFile.ImageFile:
    """Open with the one plugin the magic bytes named: no other decoder is ever tried, and
    Image.open's global decompression-bomb warning is not involved (we check our own limits
    against the header right after this)."""
    fp = io.BytesIO(data)
    if fmt == "PNG":
        return PngImagePlugin.PngImageFile(fp)
    if fmt == "JPEG":
        return JpegImagePlugin.JpegImageFile(fp)
    if fmt == "GIF":
        return GifImagePlugin.GifImageFile(fp)
    if WebPImagePlugin is None:
        raise OSError("this Pillow has no WebP support")
    return WebPImagePlugin.WebPImageFile(fp)


def prepare(data: bytes, filename: str, *, as_stored: bool = False) -> Prepared:
    """Validate, sanitise and thumbnail one image. Raises UserFacingError naming `filename`.
    `as_stored`: bytes an earlier prepare() cleaned and stored (restore brings them back), kept
    as they are: their checksum names them in the cloud."""
    if not data:
        raise refuse("empty_file", filename, "the file is empty (0 bytes)")
    if len(data) > MAX_BYTES:
        raise refuse("too_large", filename,
                     f"{len(data) / 2**20:.1f} MB is over the {MAX_BYTES // 2**20} MB limit")
    fmt = sniff_format(data[:64])
    if fmt is None:
        raise refuse("unsupported_format", filename, _describe(data[:512]))
    if fmt == "HEIF":
        data = _heif_to_stored(data, filename)
        fmt = "PNG" if data.startswith(b"\x89PNG") else "JPEG"
    info = FORMATS[fmt]
    try:
        im = _open(data, fmt)
    except Image.DecompressionBombError:
        raise refuse("too_many_pixels", filename, "the image is too large in pixels") from None
    except SyntaxError:  # Pillow's word for "the header does not parse"
        raise refuse("invalid_image", filename,
                      f"not a valid {fmt} image (its header is damaged)") from None
    except (OSError, ValueError, struct.error, EOFError, IndexError) as e:
        raise refuse("invalid_image", filename,
                     f"not a valid {fmt} image (damaged or truncated: {_reason(e)})") from None
    with im:
        w, h = im.size
        if w <= 0 or h <= 0:
            raise refuse("invalid_image", filename, f"the {fmt} header gives no size")
        if w * h > MAX_PIXELS:
            raise refuse("too_many_pixels", filename,
                         f"{w} x {h} is {w * h / 1e6:.1f} megapixels, over the "
                         f"{MAX_PIXELS // 1_000_000} MP limit")
        if max(w, h) > MAX_SIDE:
            raise refuse("too_many_pixels", filename,
                         f"{w} x {h} is wider or taller than the {MAX_SIDE} px limit")
        try:
            orientation = _orientation(im) if fmt == "JPEG" else 1
        except Exception:  # a broken EXIF block must not sink the picture
            orientation = 1
    try:
        clean = data if as_stored else sanitize(data, fmt, orientation)
    except ValueError as e:
        raise refuse("invalid_image", filename, f"not a valid {fmt} image ({e})") from None
    try:
        thumb, small, animated = make_thumbnails(clean, fmt)
    except Image.DecompressionBombError:
        raise refuse("too_many_pixels", filename, "the image is too large in pixels") from None
    except (OSError, SyntaxError, ValueError, struct.error, EOFError, IndexError,
            MemoryError, ZeroDivisionError) as e:
        raise refuse("invalid_image", filename,
                     f"the {fmt} image cannot be decoded (damaged or truncated: {_reason(e)})"
                     ) from None
    if orientation in (5, 6, 7, 8):
        w, h = h, w
    return Prepared(clean, info, w, h, animated, thumb, small)


def _heif_to_stored(data: bytes, filename: str) -> bytes:
    """The HEIC's primary picture, upright, as a JPEG (PNG with transparency) holding only the
    pixels and the ICC profile. The declared size is checked against the limits before a pixel
    is decoded (open_heif reads only the header boxes; libheif keeps its own limits too)."""
    import pillow_heif  # here: its import loads libheif, which only HEIC imports need

    try:
        heif = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=True)
        w, h = heif.size
    except (ValueError, RuntimeError, OSError, EOFError, struct.error) as e:
        raise refuse("invalid_image", filename,
                     f"not a valid HEIC image (damaged or truncated: {_reason(e)})") from None
    if w <= 0 or h <= 0:
        raise refuse("invalid_image", filename, "the HEIC header gives no size")
    if w * h > MAX_PIXELS:
        raise refuse("too_many_pixels", filename,
                     f"{w} x {h} is {w * h / 1e6:.1f} megapixels, over the "
                     f"{MAX_PIXELS // 1_000_000} MP limit")
    if max(w, h) > MAX_SIDE:
        raise refuse("too_many_pixels", filename,
                     f"{w} x {h} is wider or taller than the {MAX_SIDE} px limit")
    try:
        # libheif applies the container's rotation and mirroring (irot/imir): upright pixels.
        im = heif.to_pillow()
        im.load()
    except (ValueError, RuntimeError, OSError, EOFError, MemoryError, struct.error) as e:
        raise refuse("invalid_image", filename,
                     f"the HEIC image cannot be decoded (damaged or truncated: {_reason(e)})"
                     ) from None
    icc = heif.info.get("icc_profile") or None
    buf = io.BytesIO()
    if im.mode in ("RGBA", "LA", "PA"):
        im.convert("RGBA").save(buf, "PNG", icc_profile=icc, compress_level=6)
    else:
        im.convert("RGB").save(buf, "JPEG", quality=HEIF_JPEG_QUALITY, icc_profile=icc)
    return buf.getvalue()


POSTER_JPEG_QUALITY = 90


def prepare_poster(frame: Image.Image, note: str) -> Prepared:
    """A video's poster frame (decoded by us, so it carries no user metadata) as the avatar's
    stored JPEG and thumbnails. `note` goes into a JPEG comment: it names the video, so two
    videos that open on the same frame still make two avatars (keys are by content)."""
    buf = io.BytesIO()
    _normalise_mode(frame).convert("RGB").save(buf, "JPEG", quality=POSTER_JPEG_QUALITY,
                                                comment=note.encode())
    data = buf.getvalue()
    thumb, small, _animated = make_thumbnails(data, "JPEG")
    return Prepared(data, FORMATS["JPEG"], frame.width, frame.height, False, thumb, small)


def _reason(e: BaseException) -> str:
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    return text[:120]


def _orientation(im: Image.Image) -> int:
    value = im.getexif().get(ORIENTATION_TAG, 1)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


# --- thumbnails -----------------------------------------------------------------------------

def _normalise_mode(im: Image.Image) -> Image.Image:
    """RGB, or RGBA where the picture has transparency; 16-bit greys scaled, not clipped."""
    mode = im.mode
    if mode in ("RGB", "RGBA"):
        return im
    if mode.startswith("I;16") or mode == "I":
        # 16-bit samples scaled to 8 bits (convert("L") would clip everything above 255).
        return im.convert("I").point(lambda v: v * (1 / 257)).convert("L").convert("RGB")
    if mode == "F":
        return im.convert("L").convert("RGB")
    if mode in ("LA", "PA", "La", "RGBa") or (mode == "P" and "transparency" in im.info) \
            or (mode == "L" and "transparency" in im.info):
        return im.convert("RGBA")
    return im.convert("RGB")  # 1, L, P, CMYK, YCbCr, LAB, HSV


def _png(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    # Level 3: much faster than the default for a 256 px image, and barely larger.
    im.save(buf, "PNG", compress_level=3)
    return buf.getvalue()


def make_thumbnails(data: bytes, fmt: str) -> tuple[bytes, bytes, bool]:
    """(256 px PNG, 64 px PNG, animated) from an allow-listed image's bytes."""
    with _open(data, fmt) as im:
        animated = bool(getattr(im, "is_animated", False))
        if animated:
            im.seek(0)
        if fmt == "JPEG":
            # Decode at 1/2..1/8 scale; square box because orientation may swap the sides.
            im.draft("RGB" if im.mode == "RGB" else None, (THUMB_SIZE, THUMB_SIZE))
        im.load()
        upright = ImageOps.exif_transpose(im) if fmt == "JPEG" else im.copy()
    upright = _normalise_mode(upright)
    upright.thumbnail((THUMB_SIZE, THUMB_SIZE), Image.Resampling.LANCZOS)
    small = upright.copy()
    small.thumbnail((SMALL_THUMB_SIZE, SMALL_THUMB_SIZE), Image.Resampling.LANCZOS)
    return _png(upright), _png(small), animated


# --- metadata stripping ---------------------------------------------------------------------

def sanitize(data: bytes, fmt: str, orientation: int = 1) -> bytes:
    """The image without private metadata; pixels untouched. ValueError if the structure is
    broken."""
    if fmt == "JPEG":
        return _strip_jpeg(data, orientation)
    if fmt == "PNG":
        return _strip_png(data)
    if fmt == "WEBP":
        return _strip_webp(data)
    return data


_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}
# The first real marker after entropy-coded data (searched in C: a scan is megabytes).
_JPEG_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def _minimal_exif(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = orientation
    payload = exif.tobytes()  # b"Exif\0\0" + a TIFF block holding only Orientation
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def _keep_jpeg_segment(marker: int, payload: bytes) -> bool:
    if marker == 0xE0:  # JFIF / JFXX
        return True
    if marker == 0xE2:
        return payload.startswith(b"ICC_PROFILE\0")
    if marker == 0xEE:  # Adobe: says how to read CMYK/YCCK
        return True
    if 0xE1 <= marker <= 0xEF or marker == 0xFE:  # EXIF, XMP, IPTC, comments...
        return False
    return True  # tables, frame headers, restart intervals


def _strip_jpeg(data: bytes, orientation: int) -> bytes:
    """Walk every segment (tables between progressive scans too) up to the end-of-image
    marker; whatever follows it (an MPO's second picture with its own EXIF, trailers) is
    dropped along with the metadata segments."""
    out = [b"\xff\xd8"]
    i, n = 2, len(data)
    wrote_exif = orientation == 1
    seen_scan = False
    while True:
        if i >= n:
            raise ValueError("truncated: no end-of-image marker")
        if data[i] != 0xFF:
            raise ValueError("damaged segment structure")
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            raise ValueError("truncated: no end-of-image marker")
        marker = data[i]
        i += 1
        if marker in _JPEG_STANDALONE:
            out.append(bytes((0xFF, marker)))
            continue
        if marker == 0xD9:
            if not seen_scan:
                raise ValueError("no image data")
            out.append(b"\xff\xd9")
            return b"".join(out)
        if i + 2 > n:
            raise ValueError("truncated segment")
        length = struct.unpack(">H", data[i:i + 2])[0]
        if length < 2 or i + length > n:
            raise ValueError("truncated segment")
        if not wrote_exif and marker != 0xE0:
            out.append(_minimal_exif(orientation))  # after JFIF's APP0, before the rest
            wrote_exif = True
        if marker == 0xDA:  # a scan: header, then entropy-coded data up to the next marker
            out.append(b"\xff\xda" + data[i:i + length])
            i += length
            # FF00 is a stuffed byte, FFD0-D7 restart markers, FFFF fill: all part of the scan.
            found = _JPEG_MARKER.search(data, i)
            if found is None:
                raise ValueError("truncated image data")
            k = found.start()
            out.append(data[i:k])
            i = k
            seen_scan = True
            continue
        if _keep_jpeg_segment(marker, data[i + 2:i + length]):
            out.append(bytes((0xFF, marker)))
            out.append(data[i:i + length])
        i += length


_PNG_DROP = {b"eXIf", b"tEXt", b"iTXt", b"zTXt", b"tIME"}


def _strip_png(data: bytes) -> bytes:
    out = [data[:8]]
    i, n = 8, len(data)
    while True:
        if i + 12 > n:
            raise ValueError("truncated chunk")
        length = struct.unpack(">I", data[i:i + 4])[0]
        ctype = data[i + 4:i + 8]
        end = i + 12 + length
        if end > n:
            raise ValueError("truncated chunk")
        if ctype not in _PNG_DROP:
            out.append(data[i:end])
        i = end
        if ctype == b"IEND":
            return b"".join(out)  # anything after IEND is not part of the image


def _strip_webp(data: bytes) -> bytes:
    n = min(len(data), 8 + struct.unpack("<I", data[4:8])[0])
    chunks: list[bytes] = []
    i = 12
    while i + 8 <= n:
        fourcc = data[i:i + 4]
        size = struct.unpack("<I", data[i + 4:i + 8])[0]
        end = i + 8 + size + (size & 1)
        if i + 8 + size > n:
            raise ValueError("truncated chunk")
        chunk = data[i:min(end, n)]
        if fourcc == b"VP8X" and size >= 1:
            chunk = chunk[:8] + bytes((chunk[8] & ~0x0C,)) + chunk[9:]  # clear EXIF, XMP
        if fourcc not in (b"EXIF", b"XMP "):
            chunks.append(chunk if len(chunk) % 2 == 0 else chunk + b"\0")
        i = end
    if not chunks:
        raise ValueError("no image data")
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body
