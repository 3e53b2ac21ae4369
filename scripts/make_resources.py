"""Draws ecan's shipped pictures with Pillow (nothing copied): the system avatars in
ecan/assets/system_avatars/ and the sample photos in ecan/assets/samples/ used by the headless
demo.

Run from the repository root: `.venv/bin/python scripts/make_resources.py`. Deterministic, so
re-running gives the same bytes (and the same content hashes)."""

from __future__ import annotations

import math
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
SYSTEM = ROOT / "ecan" / "assets" / "system_avatars"
SAMPLES = ROOT / "ecan" / "assets" / "samples"
SIZE = 512

# name, background top, background bottom, skin, hair/accent, shirt
PALETTES = [
    ("aurora", (64, 94, 180), (140, 200, 230), (241, 200, 170), (60, 40, 30), (230, 90, 80)),
    ("ember", (150, 40, 40), (250, 170, 90), (200, 150, 110), (30, 25, 25), (50, 60, 90)),
    ("fern", (30, 90, 60), (160, 210, 140), (230, 185, 150), (150, 80, 40), (240, 220, 120)),
    ("harbor", (20, 40, 80), (90, 140, 170), (120, 85, 60), (20, 20, 20), (200, 200, 210)),
    ("lumen", (90, 50, 140), (230, 170, 220), (250, 215, 190), (240, 200, 90), (60, 150, 140)),
    ("nova", (10, 10, 40), (70, 60, 150), (180, 130, 100), (200, 60, 120), (240, 240, 240)),
    ("sable", (60, 60, 60), (190, 190, 180), (225, 175, 140), (90, 60, 40), (120, 40, 60)),
    ("tide", (0, 110, 130), (150, 230, 220), (160, 110, 80), (40, 30, 60), (250, 140, 60)),
]


def gradient(size: tuple[int, int], top: tuple[int, int, int],
             bottom: tuple[int, int, int]) -> Image.Image:
    w, h = size
    column = Image.new("RGB", (1, h))
    for y in range(h):
        t = y / max(1, h - 1)
        pixel = tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        column.putpixel((0, y), pixel)
    return column.resize((w, h))


def portrait(seed: int, palette: tuple) -> Image.Image:
    """A simple flat-style bust: background, shoulders, head, hair, eyes, smile."""
    _, top, bottom, skin, hair, shirt = palette
    rnd = random.Random(seed)
    im = gradient((SIZE, SIZE), top, bottom)
    d = ImageDraw.Draw(im)
    # soft background circles
    for _ in range(6):
        r = rnd.randint(30, 110)
        x, y = rnd.randint(0, SIZE), rnd.randint(0, SIZE // 2)
        tint = tuple(min(255, c + 25) for c in top)
        d.ellipse((x - r, y - r, x + r, y + r), fill=tint)
    im = im.filter(ImageFilter.GaussianBlur(6))
    d = ImageDraw.Draw(im)
    cx = SIZE // 2
    d.ellipse((cx - 190, 360, cx + 190, 700), fill=shirt)  # shoulders
    d.rectangle((cx - 40, 300, cx + 40, 390), fill=skin)  # neck
    head_w, head_h = rnd.randint(110, 130), rnd.randint(135, 150)
    style = seed % 3
    if style == 0:  # long hair behind the head
        d.rounded_rectangle((cx - head_w - 25, 110, cx + head_w + 25, 380), 90, fill=hair)
    d.ellipse((cx - head_w, 250 - head_h, cx + head_w, 250 + head_h), fill=skin)
    if style in (0, 1):
        d.pieslice((cx - head_w - 8, 250 - head_h - 12, cx + head_w + 8, 250 + head_h - 40),
                   180, 360, fill=hair)
    else:  # short crop
        d.chord((cx - head_w, 250 - head_h - 6, cx + head_w, 250 + 10), 180, 360, fill=hair)
    eye_y = 250 + rnd.randint(-5, 15)
    for dx in (-45, 45):
        d.ellipse((cx + dx - 11, eye_y - 11, cx + dx + 11, eye_y + 11), fill=(35, 30, 40))
        d.ellipse((cx + dx - 4, eye_y - 7, cx + dx + 2, eye_y - 1), fill=(255, 255, 255))
    d.arc((cx - 40, eye_y + 20, cx + 40, eye_y + 70), 20, 160, fill=(150, 60, 60), width=6)
    cheek = tuple(min(255, c + 10) for c in (230, 140, 140))
    for dx in (-75, 75):
        d.ellipse((cx + dx - 16, eye_y + 30, cx + dx + 16, eye_y + 50), fill=cheek)
    return im


def photo(size: tuple[int, int], seed: int) -> Image.Image:
    """A landscape-ish 'photo': sky gradient, sun, layered hills, some noise for texture."""
    rnd = random.Random(seed)
    w, h = size
    im = gradient(size, (rnd.randint(40, 120), rnd.randint(100, 170), 230), (250, 220, 180))
    d = ImageDraw.Draw(im)
    sr = h // 10
    sx, sy = rnd.randint(sr, w - sr), rnd.randint(sr, h // 3)
    d.ellipse((sx - sr, sy - sr, sx + sr, sy + sr), fill=(255, 240, 180))
    for layer in range(4):
        base = h * (0.5 + 0.12 * layer)
        amp, freq = h * 0.08, rnd.uniform(1.5, 4.0)
        phase = rnd.uniform(0, 6.28)
        pts = [(x, base - amp * math.sin(freq * x / w * 6.28 + phase)) for x in range(0, w + 8, 8)]
        green = (30 + 20 * layer, 110 - 15 * layer, 50 + 10 * layer)
        d.polygon(pts + [(w, h), (0, h)], fill=green)
    noise = Image.effect_noise(size, 18).convert("RGB")
    return Image.blend(im, noise, 0.06)


def main() -> None:
    SYSTEM.mkdir(parents=True, exist_ok=True)
    SAMPLES.mkdir(parents=True, exist_ok=True)
    for i, palette in enumerate(PALETTES):
        portrait(i, palette).save(SYSTEM / f"{palette[0]}.png", optimize=True)

    # A JPEG stored sideways with EXIF orientation 6 (shown upright by viewers), with a GPS
    # tag that ecan must strip.
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "ecan sample camera"
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)})
    photo((1600, 1200), 1).rotate(90, expand=True).transpose(Image.Transpose.ROTATE_180) \
        .save(SAMPLES / "meadow.jpg", quality=88, exif=exif)
    portrait(11, PALETTES[2]).resize((800, 800)).save(SAMPLES / "portrait.jpg", quality=90)
    rgba = portrait(12, PALETTES[4]).convert("RGBA")
    mask = Image.new("L", rgba.size, 0)
    ImageDraw.Draw(mask).ellipse((8, 8, SIZE - 8, SIZE - 8), fill=255)
    rgba.putalpha(mask)
    rgba.save(SAMPLES / "round-badge.png", optimize=True)
    photo((1024, 768), 2).save(SAMPLES / "lake.webp", quality=85)
    portrait(13, PALETTES[6]).resize((300, 300)).convert("P", palette=Image.Palette.ADAPTIVE) \
        .save(SAMPLES / "pixel.gif")
    frames = [portrait(20 + k, PALETTES[k % len(PALETTES)]).resize((200, 200)) for k in range(4)]
    frames[0].save(SAMPLES / "wave.gif", save_all=True, append_images=frames[1:], duration=300,
                   loop=0)


if __name__ == "__main__":
    main()
