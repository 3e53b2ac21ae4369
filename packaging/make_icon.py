"""Draws ecan's application icon (our own artwork: a rounded tile with a stylised avatar and a
sync arc) and writes every size the platforms want. Run: python packaging/make_icon.py"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def draw(size: int = 1024) -> Image.Image:
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    r = size // 5
    # Vertical gradient tile: indigo to teal.
    tile = Image.new("RGBA", (size, size))
    td = ImageDraw.Draw(tile)
    for y in range(size):
        t = y / (size - 1)
        c = (int(79 + (20 - 79) * t), int(70 + (184 - 70) * t), int(229 + (166 - 229) * t), 255)
        td.line([(0, y), (size, y)], fill=c)
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).rounded_rectangle([0, 0, size - 1, size - 1], radius=r, fill=255)
    img.paste(tile, (0, 0), mask)
    white = (255, 255, 255, 255)
    cx = size // 2
    # Head and shoulders.
    d.ellipse([cx - size * 0.14, size * 0.22, cx + size * 0.14, size * 0.50], fill=white)
    d.pieslice([cx - size * 0.27, size * 0.55, cx + size * 0.27, size * 1.05], 180, 360, fill=white)
    # Sync arc around the figure.
    w = max(2, size // 28)
    d.arc([size * 0.12, size * 0.12, size * 0.88, size * 0.88], 200, 330, fill=white, width=w)
    ax, ay = size * 0.80, size * 0.28
    d.polygon([(ax, ay - size * 0.07), (ax + size * 0.06, ay + size * 0.03),
               (ax - size * 0.06, ay + size * 0.02)], fill=white)
    return img


def main() -> None:
    master = draw()
    out = HERE / "icons"
    out.mkdir(exist_ok=True)
    for s in SIZES:
        master.resize((s, s), Image.Resampling.LANCZOS).save(out / f"ecan-{s}.png", optimize=True)
    master.resize((256, 256), Image.Resampling.LANCZOS).save(
        HERE / "windows" / "ecan.ico", sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)])
    # The macOS app bundle's icon (BUNDLE in ecan.spec): Pillow scales the 1024 px master to
    # every size an .icns carries, Retina ones included.
    master.save(HERE / "macos" / "ecan.icns", format="ICNS")


if __name__ == "__main__":
    main()
