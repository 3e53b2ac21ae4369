"""GUI benchmarks: (1) the GUI thread's longest stall (a 5 ms QTimer heartbeat) while 200 photos
are imported and synced to the local demo cloud in the real main window (goal <= 16 ms);
(2) time to a shown, settled window and RSS with 10,000 avatars in the library (goals < 1.5 s,
< 350 MB). Prints the figures and writes benchmarks/out/gui.json.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_gui.py [--photos N] [--rows N]"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out" / "gui.json"


def make_photos(folder: Path, n: int) -> list[Path]:
    """Photo-like JPEGs (1600x1200, gradients plus noise) so decode and thumbnailing cost
    what a camera picture costs."""
    from PIL import Image, ImageDraw, ImageFilter

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    base = Image.effect_noise((1600, 1200), 40).convert("RGB")
    out = []
    for i in range(n):
        img = Image.new("RGB", (1600, 1200), (rng.randrange(256), rng.randrange(256), 90))
        d = ImageDraw.Draw(img)
        for _ in range(6):
            x, y = rng.randrange(1600), rng.randrange(1200)
            r = rng.randrange(80, 400)
            d.ellipse([x - r, y - r, x + r, y + r],
                      fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
        img = Image.blend(img.filter(ImageFilter.GaussianBlur(3)), base, 0.15)
        p = folder / f"photo-{i:04d}.jpg"
        img.save(p, quality=85)
        out.append(p)
    return out


class Heartbeat:
    """A 5 ms timer on the GUI thread; the longest gap between ticks is the longest stall."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.gaps: list[float] = []
        self.slow: list[tuple[float, float]] = []
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        gap = (now - self._last) * 1000
        self.gaps.append(gap)
        if gap > 16:
            self.slow.append((gap, now))
        self._last = now

    def summary(self) -> dict[str, float]:
        gaps = sorted(self.gaps)
        if not gaps:
            return {"max_ms": 0.0, "p99_ms": 0.0, "ticks": 0}
        # A tick is due every 5 ms: the stall is what exceeds that.
        return {"max_gap_ms": round(gaps[-1], 2),
                "max_stall_ms": round(max(0.0, gaps[-1] - 5), 2),
                "p99_gap_ms": round(gaps[int(len(gaps) * 0.99) - 1], 2),
                "ticks": len(gaps)}


def bench_stall(n_photos: int, concurrency: int | None = None) -> dict[str, Any]:
    from PySide6.QtCore import QEventLoop, QSettings, QTimer

    from ecan.app import build_app
    from ecan.auth.secrets import MemoryKeyring
    from ecan.bridge.bridge import Bridge
    from ecan.bridge.sync_process import SyncProcess
    from ecan.democloud import DemoCloud
    from ecan.ui.launcher import qt_app
    from ecan.ui.main_window import MainWindow

    qapp = qt_app()
    work = Path(tempfile.mkdtemp(prefix="ecan-bench-gui-"))
    make_photos(work / "photos", n_photos)
    with DemoCloud() as cloud:
        info = cloud.start()
        config = cloud.write_config(work / "config.yml")
        if concurrency:
            with open(config, "a", encoding="utf-8") as f:
                f.write(f"SYNC:\n  CONCURRENCY: {concurrency}\n")
        env = {**os.environ, "ECAN_HOME": str(work / "home"), "ECAN_CONFIG": str(config)}
        app = build_app(env, keyring_backend=MemoryKeyring(), image_workers=True)
        user = info.users[0]
        assert app.handlers.call("auth.sign_in", {"username": user.username,
                                                  "password": user.password})["ok"]
        bridge = Bridge(app.handlers)
        window = MainWindow(bridge, QSettings(str(work / "ui.ini"), QSettings.Format.IniFormat),
                            app=app)
        worker = SyncProcess(app, window)
        app.sync_control = worker
        window.attach_sync_worker(worker)
        window.resize(1180, 760)
        window.show()
        window.start()
        worker.start()
        deadline = time.monotonic() + 30
        while not window.is_settled() and time.monotonic() < deadline:
            qapp.processEvents()
        beat = Heartbeat()
        beat.start()
        t0 = time.perf_counter()
        window.import_paths([str(work / "photos")])
        done: dict[str, float] = {}
        loop = QEventLoop()

        def check() -> None:
            # Checked rarely and cheaply: the probe must not be what stalls the GUI.
            rows = window.avatars.model.avatars()
            mine = [a for a in rows if a.get("resource_type") == "uploaded"]
            if "imported" not in done and not window.importer.busy and len(mine) >= n_photos:
                done["imported"] = time.perf_counter() - t0
            if "imported" in done:
                counts = window.monitor.status.get("counts") or {}
                if counts and counts.get("queued", 1) == 0 and counts.get("syncing", 1) == 0 \
                        and all(a["sync_state"] == "synced" for a in mine):
                    done["synced"] = time.perf_counter() - t0
                    loop.quit()

        # The window's own event loop, as the app runs it (exec, not a polling loop): it sleeps
        # until its next timer or event, like the real window.
        checker = QTimer()
        checker.setInterval(100)
        checker.timeout.connect(check)
        checker.start()
        QTimer.singleShot(600_000, loop.quit)
        loop.exec()
        checker.stop()
        imported_at, synced_at = done.get("imported"), done.get("synced")
        beat.stop()
        slow = sorted(beat.slow, key=lambda x: -x[0])[:8]
        print("longest gaps (ms, at s):", [(round(g, 1), round(t - t0, 2)) for g, t in slow])
        counts = window.monitor.status.get("counts") or {}
        worker.stop(5.0)
        window.avatars.thumbs.close()
        window.close()
        bridge.close()
        app.close()
    return {"photos": n_photos, "concurrency": app.config.sync.concurrency,
            "imported_s": round(imported_at or -1, 2),
            "synced_s": round(synced_at or -1, 2), "counts": counts,
            "heartbeat": beat.summary(), "goal_max_stall_ms": 16}


def seed_library(home: Path, rows: int) -> None:
    """Insert `rows` avatars straight into SQLite, each with a tiny thumbnail file."""
    from PIL import Image

    from ecan.db import Database
    from ecan.paths import AppPaths

    paths = AppPaths(home).ensure()
    Database(paths.database).dispose()
    thumbs = paths.thumbnails
    now = time.time()
    records = []
    for i in range(rows):
        sha = f"{i:064x}"
        rel = f"resource/avatars/thumbnails/{sha}_256.png"
        Image.new("RGB", (32, 32), ((i * 7) % 256, (i * 13) % 256, (i * 29) % 256)).save(
            thumbs / f"{sha}_256.png")
        records.append((f"{i:032x}", f"avatar {i:05d}", "uploaded", sha, "PNG", "png",
                        "image/png", 512, 512, 20_000, f"a{i}.png", f"resource/avatars/uploaded/"
                        f"{sha}.png", rel, rel, "synced", now - i, now - i))
    conn = sqlite3.connect(paths.database)
    conn.executemany(
        "INSERT INTO avatar (id, name, resource_type, sha256, format, ext, mime_type, width, "
        "height, bytes, original_filename, image_path, thumb_path, thumb_small_path, "
        "sync_state, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        records)
    conn.commit()
    conn.close()


def startup_child(home: str) -> None:
    """In a fresh process: time from here (imports included) to a shown, settled window."""
    t0 = time.perf_counter()
    os.environ["ECAN_HOME"] = home
    from PySide6.QtCore import QSettings

    from ecan.app import build_app
    from ecan.bridge.bridge import Bridge
    from ecan.ui.launcher import qt_app
    from ecan.ui.main_window import MainWindow

    qapp = qt_app()
    app = build_app()
    bridge = Bridge(app.handlers)
    window = MainWindow(bridge, QSettings(str(Path(home) / "ui.ini"),
                                          QSettings.Format.IniFormat), app=app)
    window.resize(1180, 760)
    window.show()
    shown = time.perf_counter() - t0
    window.start()
    while not window.is_settled():
        qapp.processEvents()
        time.sleep(0.001)
    settled = time.perf_counter() - t0
    rows = window.avatars.model.rowCount()
    # Scroll to the end and back: thumbnails load lazily as rows come into view.
    window.avatars.view.scrollToBottom()
    for _ in range(50):
        qapp.processEvents()
        time.sleep(0.002)
    rss_kb = 0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss_kb = int(line.split()[1])
    print(json.dumps({"rows": rows, "shown_s": round(shown, 3), "settled_s": round(settled, 3),
                      "rss_mb": round(rss_kb / 1024, 1)}))
    window.avatars.thumbs.close()
    window.close()
    bridge.close()
    app.close()


def bench_startup(rows: int) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="ecan-bench-10k-"))
    seed_library(home, rows)
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    runs = []
    for _ in range(3):
        out = subprocess.run([sys.executable, __file__, "--startup-child", str(home)],
                             capture_output=True, text=True, env=env, check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    best = min(runs, key=lambda r: r["settled_s"])
    return {"rows": rows, "runs": runs, "best_settled_s": best["settled_s"],
            "max_rss_mb": max(r["rss_mb"] for r in runs), "goal_settled_s": 1.5,
            "goal_rss_mb": 350}


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--photos", type=int, default=200)
    p.add_argument("--rows", type=int, default=10_000)
    p.add_argument("--startup-child", metavar="HOME")
    p.add_argument("--stall-child", type=int, metavar="PHOTOS", help=argparse.SUPPRESS)
    p.add_argument("--reps", type=int, default=5, help="stall runs (median reported)")
    p.add_argument("--skip-stall", action="store_true")
    p.add_argument("--skip-startup", action="store_true")
    p.add_argument("--concurrency", type=int, default=None,
                   help="SYNC.CONCURRENCY for the stall run (default: the config default)")
    args = p.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    if args.startup_child:
        startup_child(args.startup_child)
        return 0
    if args.stall_child:
        print(json.dumps(bench_stall(args.stall_child, args.concurrency)))
        return 0
    result: dict[str, Any] = {"qt_platform": os.environ["QT_QPA_PLATFORM"],
                              "cpus": os.cpu_count()}
    if not args.skip_startup:
        result["startup"] = bench_startup(args.rows)
        print("startup:", json.dumps(result["startup"]))
    if not args.skip_stall:
        # Each run in a fresh process: one run's heap and threads must not colour the next.
        runs = []
        for _ in range(args.reps):
            out = subprocess.run([sys.executable, __file__, "--stall-child", str(args.photos),
                                  *(["--concurrency", str(args.concurrency)]
                                    if args.concurrency else [])],
                                 capture_output=True, text=True, check=True)
            print(out.stdout.strip())
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        stalls = sorted(r["heartbeat"]["max_stall_ms"] for r in runs)
        result["stall"] = {**runs[0], "runs": [r["heartbeat"] for r in runs],
                           "synced_s": [r["synced_s"] for r in runs],
                           "heartbeat": {"max_stall_ms": stalls[len(stalls) // 2],
                                         "max_stall_min_ms": stalls[0],
                                         "max_stall_max_ms": stalls[-1],
                                         "p99_gap_ms": sorted(r["heartbeat"]["p99_gap_ms"]
                                                              for r in runs)[len(runs) // 2]}}
        print("stall:", json.dumps(result["stall"]["heartbeat"]))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2))
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
