"""Memory while uploading a big video: attach a 1 GB video to an avatar and sync it to the local
demo cloud (its admin keys as static keys), sampling this process's RSS. Goal: RSS growth
< 100 MB (uploads stream in parts). Writes benchmarks/out/video.json.

Run: .venv/bin/python benchmarks/bench_video.py [--mb 1024]"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
OUT = ROOT / "benchmarks" / "out" / "video.json"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def make_video(path: Path, mb: int) -> None:
    """A real MP4 (a second of H.264, which the library's probe accepts: it refuses a file that
    only starts like one), grown to `mb` MB by a trailing `free` box of varied bytes (players
    skip it; not sparse zeros, so nothing along the way can cheat by compressing)."""
    from tests.corpus.videos import make_video as encode

    encode(path, frames=12, rate=12, size=(320, 240), faststart=True)
    pad = mb * (1 << 20) - path.stat().st_size - 8
    block = os.urandom(1 << 20)
    with path.open("ab") as f:
        f.write((pad + 8).to_bytes(4, "big") + b"free")
        for i in range(pad >> 20):
            f.write(block[i % 256:] + block[: i % 256])
        f.write(block[: pad & ((1 << 20) - 1)])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=1024)
    args = ap.parse_args()
    from PIL import Image

    from ecan.app import build_app
    from ecan.democloud import DemoCloud

    work = Path(tempfile.mkdtemp(prefix="bench-video-"))
    video, picture = work / "talk.mp4", work / "face.png"
    cloud = DemoCloud()
    try:
        make_video(video, args.mb)
        Image.new("RGB", (256, 256), "navy").save(picture)
        info = cloud.start()
        # The cloud's admin keys as static keys: this measures the upload's memory, not sign-in.
        env = {**os.environ, "ECAN_HOME": str(work / "home"), "AVATAR_CLOUD_BUCKET": info.bucket,
               "AVATAR_CLOUD_ENDPOINT_URL": info.endpoint, "AVATAR_CLOUD_REGION": info.region,
               "AVATAR_CLOUD_ACCESS_KEY": info.admin.access_key_id,
               "AVATAR_CLOUD_SECRET_KEY": info.admin.secret_access_key}
        app = build_app(env)
        avatar = app.library.import_file(picture).avatar
        app.library.attach_video(avatar.id, video)
        video.unlink()  # the library holds its own copy; free the page cache's claim on ours
        app.cloud.open()  # clients built before the baseline: we measure the upload itself
        base, peak, stop = rss_mb(), [0.0], threading.Event()

        def sample() -> None:
            while not stop.wait(0.05):
                peak[0] = max(peak[0], rss_mb())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        start = time.perf_counter()
        result = app.engine.drain(timeout=1800)
        elapsed = time.perf_counter() - start
        stop.set()
        sampler.join()
        app.close()
    finally:
        cloud.stop()
        shutil.rmtree(work, ignore_errors=True)  # the library's own 1 GB copy of the video
    growth = peak[0] - base
    doc = {"benchmark": "video", "video_mb": args.mb, "synced": result.synced,
           "failed": result.failed, "upload_s": round(elapsed, 1),
           "rss_base_mb": round(base, 1), "rss_peak_mb": round(peak[0], 1),
           "rss_growth_mb": round(growth, 1), "goal_mb": 100, "goal_met": growth < 100}
    print(f"{args.mb} MB video synced={result.synced} in {elapsed:.1f}s; RSS {base:.0f} -> "
          f"{peak[0]:.0f} MB (growth {growth:.0f} MB, goal < 100 MB)")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
