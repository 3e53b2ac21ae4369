"""Import speed: `AvatarLibrary.import_paths` on 24 photos of 12 MP against two single-process
Pillow loops in the same run: the least an importer must do, done well (read, sha256, `draft()`
for JPEG, EXIF-orient, 256 px and 64 px thumbnails, write the original and both thumbnails; goal:
ecan <= 0.7x it), and the plain loop without `draft()` (goal: <= 0.5x). Then the scale rows:
importing 250, 1,000 and 2,000 photos (2 MP, byte-distinct) in a fresh process each: throughput
and peak RSS, which should stay flat as the count grows. Writes benchmarks/out/import.json.

Run: `.venv/bin/python benchmarks/bench_import.py [--reps N] [--scale 250,1000,2000]`. The 12 MP
photos are made once into $ECAN_BENCH_CACHE (default: benchmarks/out/cache, git-ignored); the
scale corpus is made per run and removed."""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ecan.avatars import imaging  # noqa: E402
from ecan.avatars import library as library_module  # noqa: E402
from ecan.avatars.library import AvatarLibrary  # noqa: E402
from ecan.db import Database  # noqa: E402
from ecan.paths import AppPaths  # noqa: E402

COUNT = 24
SIZE = (4000, 3000)
OUT = Path(__file__).resolve().parent / "out" / "import.json"


def make_photo(seed: int) -> Image.Image:
    """Photo-like content: smooth gradients and shapes (compressible) plus sensor-like noise
    (not), so file sizes (3-6 MB) and decode costs resemble a phone's 12 MP JPEG."""
    rnd = random.Random(seed)
    small = Image.new("RGB", (400, 300))
    d = ImageDraw.Draw(small)
    for y in range(300):
        t = y / 299
        d.line((0, y, 399, y), fill=(int(60 + 150 * t), int(120 + 80 * t), int(220 - 90 * t)))
    for _ in range(40):
        x, y, r = rnd.randint(0, 400), rnd.randint(0, 300), rnd.randint(5, 60)
        d.ellipse((x - r, y - r, x + r, y + r),
                  fill=(rnd.randint(0, 255), rnd.randint(0, 255), rnd.randint(0, 255)))
    big = small.filter(ImageFilter.GaussianBlur(2)).resize(SIZE, Image.Resampling.BICUBIC)
    noise = Image.effect_noise(SIZE, 40).convert("RGB")
    return Image.blend(big, noise, 0.12)


def photos(cache: Path) -> list[Path]:
    cache.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(COUNT):
        p = cache / f"photo_{i:02d}.jpg"
        if not p.exists():
            exif = Image.Exif()
            exif[0x0112] = (1, 6, 8, 3)[i % 4]
            exif[0x010F] = "bench camera"
            exif.get_ifd(0x8825).update({1: "N", 2: (1.0, 2.0, 3.0)})
            tmp = p.with_suffix(".part")
            make_photo(i).save(tmp, "JPEG", quality=92, exif=exif)
            os.replace(tmp, p)
        paths.append(p)
    return paths


def plain_pillow(files: list[Path], out: Path) -> None:
    for f in files:
        data = f.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        im = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
        im.thumbnail((256, 256))
        (out / f"{sha}.jpg").write_bytes(data)
        im.save(out / f"{sha}_thumb.png")


def drafted_pillow(files: list[Path], out: Path) -> None:
    """The honest baseline: what an importer cannot skip, with Pillow's own shortcut for JPEG
    thumbnails (decode at 1/2..1/8 scale), in one process."""
    for f in files:
        data = f.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        with Image.open(io.BytesIO(data)) as im:
            if im.format == "JPEG":
                im.draft("RGB", (256, 256))
            upright = ImageOps.exif_transpose(im)
        upright.thumbnail((256, 256))
        small = upright.copy()
        small.thumbnail((64, 64))
        (out / f"{sha}.jpg").write_bytes(data)
        upright.save(out / f"{sha}_256.png")
        small.save(out / f"{sha}_64.png")


def ecan_import(files: list[Path], home: Path) -> None:
    paths = AppPaths(home).ensure()
    lib = AvatarLibrary(paths, Database(paths.database))
    outcomes = lib.import_paths(files)
    assert all(o.ok for o in outcomes), [o.error for o in outcomes if not o.ok]
    lib.db.dispose()


def prepare_pool(files: list[Path], pool_cls: type) -> None:
    """imaging.prepare alone on a pool: threads vs processes, to pick the batch strategy."""
    with pool_cls(max_workers=2) as pool:
        list(pool.map(_prepare_file, files))


def _prepare_file(path: Path) -> int:
    return len(imaging.prepare(path.read_bytes(), path.name).thumb)


def timed(fn: Callable[[Path], None], reps: int, scratch: Path) -> list[float]:
    times = []
    for _ in range(reps):
        target = Path(tempfile.mkdtemp(dir=scratch))
        start = time.perf_counter()
        fn(target)
        times.append(time.perf_counter() - start)
        shutil.rmtree(target)
    return times


def summary(times: list[float]) -> dict[str, float]:
    return {"median_s": round(statistics.median(times), 4), "min_s": round(min(times), 4),
            "max_s": round(max(times), 4), "runs": len(times)}


def scale_corpus(folder: Path, n: int) -> None:
    """n byte-distinct 2 MP JPEGs (variants of 20 pictures: a COM segment with the index)."""
    folder.mkdir(parents=True)
    bases = []
    for i in range(20):
        buf = io.BytesIO()
        make_photo(100 + i).resize((1600, 1200)).save(buf, "JPEG", quality=88)
        bases.append(buf.getvalue())
    for i in range(n):
        data = bases[i % len(bases)]
        tag = f"bench photo {i}".encode()
        (folder / f"p{i:05d}.jpg").write_bytes(
            data[:2] + b"\xff\xfe" + len(tag + b"..").to_bytes(2, "big") + tag + data[2:])


def scale_child(folder: Path, home: Path) -> int:
    """In a fresh process: import the folder; print seconds and peak RSS."""
    import resource

    files = sorted(folder.iterdir())
    start = time.perf_counter()
    ecan_import(files, home)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"photos": len(files), "s": round(elapsed, 2), "peak_rss_mb": round(peak)}))
    return 0


def import_scale(n: int) -> dict[str, float]:
    import subprocess

    work = Path(tempfile.mkdtemp(prefix="ecan-bench-import-scale-"))
    try:
        scale_corpus(work / "photos", n)
        out = subprocess.run([sys.executable, __file__, "--scale-child", str(work / "photos"),
                              str(work / "home")], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"photos": n, "s": r["s"], "photos_per_s": round(n / r["s"], 1),
            "peak_rss_mb": r["peak_rss_mb"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--scale", default="250,1000,2000",
                    help="photo counts for the throughput / peak-RSS rows ('' for none)")
    ap.add_argument("--scale-child", nargs=2, metavar=("FOLDER", "HOME"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.scale_child:
        return scale_child(Path(args.scale_child[0]), Path(args.scale_child[1]))
    cache = Path(os.environ.get("ECAN_BENCH_CACHE",
                                Path(__file__).resolve().parent / "out" / "cache"))
    t0 = time.perf_counter()
    files = photos(cache / "photos-12mp")
    print(f"{COUNT} photos ready in {cache} ({time.perf_counter() - t0:.1f} s), "
          f"{sum(f.stat().st_size for f in files) / 2**20:.0f} MB", file=sys.stderr)
    scratch = Path(tempfile.mkdtemp(prefix="ecan-bench-run-"))
    try:
        results: dict[str, dict[str, float]] = {}
        # Interleaved so that a noisy neighbour hurts both sides alike.
        runs: dict[str, list[float]] = {"plain_pillow": [], "drafted_pillow": [], "ecan": [],
                                        "ecan_1_worker": []}
        for _ in range(args.reps):
            runs["plain_pillow"] += timed(lambda d: plain_pillow(files, d), 1, scratch)
            runs["drafted_pillow"] += timed(lambda d: drafted_pillow(files, d), 1, scratch)
            runs["ecan"] += timed(lambda d: ecan_import(files, d), 1, scratch)
        workers = library_module.WORKERS
        library_module.WORKERS = 1
        try:
            runs["ecan_1_worker"] = timed(lambda d: ecan_import(files, d), max(1, args.reps // 2),
                                          scratch)
        finally:
            library_module.WORKERS = workers
        pools = {
            "prepare_threads_2": timed(lambda d: prepare_pool(files, ThreadPoolExecutor), 3,
                                       scratch),
            "prepare_processes_2": timed(lambda d: prepare_pool(files, ProcessPoolExecutor), 3,
                                         scratch),
        }
        for name, times in {**runs, **pools}.items():
            results[name] = summary(times)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    ratio = results["ecan"]["median_s"] / results["plain_pillow"]["median_s"]
    drafted = results["ecan"]["median_s"] / results["drafted_pillow"]["median_s"]
    scale = [import_scale(n) for n in (int(x) for x in args.scale.split(",") if x)]
    doc = {"benchmark": "import", "photos": COUNT, "pixels": f"{SIZE[0]}x{SIZE[1]}",
           "results": results, "ratio_ecan_vs_plain": round(ratio, 3), "goal": 0.5,
           "goal_met": ratio <= 0.5, "ratio_ecan_vs_drafted": round(drafted, 3),
           "goal_drafted": 0.7, "goal_drafted_met": drafted <= 0.7, "scale": scale,
           "load": "/".join(f"{x:.2f}" for x in os.getloadavg()),
           "cpus": os.cpu_count(), "python": platform.python_version(),
           "pillow": Image.__version__}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=2) + "\n")
    for name, r in results.items():
        print(f"{name:22s} median {r['median_s']:.3f} s  (min {r['min_s']:.3f}, "
              f"max {r['max_s']:.3f}, n={r['runs']})")
    print(f"ecan / plain Pillow = {ratio:.2f}x (goal <= 0.5x): "
          f"{'met' if ratio <= 0.5 else 'NOT met'}")
    print(f"ecan / drafted Pillow = {drafted:.2f}x (goal <= 0.7x): "
          f"{'met' if drafted <= 0.7 else 'NOT met'}")
    for r in scale:
        print(f"import {r['photos']} photos of 2 MP: {r['photos_per_s']:.1f} photos/s, peak RSS "
              f"{r['peak_rss_mb']:.0f} MB")
    print(f"written to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
