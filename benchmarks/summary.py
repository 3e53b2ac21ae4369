"""Reads benchmarks/out/*.json (written by the bench_* scripts) and prints one table: each
measurement, its peer, the figures, the ratio and whether the goal is met. Also writes
benchmarks/out/results.json with the machine and commit."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "out"


def load(name: str) -> dict[str, Any] | None:
    path = OUT / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def span(median: float, low: float, high: float, unit: str = "s") -> str:
    return f"{median:.2f} {unit} ({low:.2f}-{high:.2f})"


def rows() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if imp := load("import"):
        r = imp["results"]
        out.append(dict(measure="import 24 x 12 MP photos", peer="plain Pillow loop",
                        ecan=span(r["ecan"]["median_s"], r["ecan"]["min_s"], r["ecan"]["max_s"]),
                        other=f"{r['plain_pillow']['median_s']:.2f} s",
                        ratio=imp["ratio_ecan_vs_plain"], goal="<= 0.5x",
                        met=imp["ratio_ecan_vs_plain"] <= 0.5))
    if sync := load("sync"):
        m, mm = sync["median"], sync["min_max"]
        for kind, goal in (("cold", 0.7), ("noop", 0.5)):
            ratio = m[f"ecan_{kind}"] / m[f"rclone_{kind}"]
            out.append(dict(
                measure="sync 150 avatars, "
                        + ("fresh bucket" if kind == "cold" else "nothing to do"),
                peer="rclone --transfers 8 / aws s3 sync",
                ecan=span(m[f"ecan_{kind}"], *mm[f"ecan_{kind}"]),
                other=f"{m[f'rclone_{kind}']:.2f} s / {m[f'aws_{kind}']:.2f} s",
                ratio=round(ratio, 2), goal=f"<= {goal}x rclone", met=ratio <= goal))
    if ident := load("identity"):
        for r in ident["runs"]:
            what = f"identity calls, {r['uploads']} uploads, {r['ttl_s']} s credentials"
            out.append(dict(measure=what,
                            peer="-", ecan=f"{r['identity_calls']} calls in {r['sync_s']} s",
                            other=f"{r['allowed_calls']} lifetime(s) spanned",
                            ratio=r["calls_per_lifetime"], goal="<= 1 per lifetime",
                            met=r["calls_per_lifetime"] <= 1 and r["failed"] == 0))
    if gui := load("gui"):
        if st := gui.get("stall"):
            hb = st["heartbeat"]
            out.append(dict(measure=f"GUI stall, {st['photos']} photos import + sync",
                            peer="frame budget",
                            ecan=f"{hb['max_stall_ms']:.0f} ms "
                                 f"({hb.get('max_stall_min_ms', hb['max_stall_ms']):.0f}–"
                                 f"{hb.get('max_stall_max_ms', hb['max_stall_ms']):.0f}; "
                                 f"p99 gap {hb['p99_gap_ms']:.0f} ms)",
                            other="16 ms", ratio=round(hb["max_stall_ms"] / 16, 2), goal="<= 16 ms",
                            met=hb["max_stall_ms"] <= 16))
        if su := gui.get("startup"):
            out.append(dict(measure=f"window with {su['rows']} avatars", peer="-",
                            ecan=f"{su['best_settled_s']:.2f} s, {su['max_rss_mb']:.0f} MB RSS",
                            other="1.5 s, 350 MB", ratio=round(su["best_settled_s"] / 1.5, 2),
                            goal="< 1.5 s, < 350 MB",
                            met=su["best_settled_s"] < 1.5 and su["max_rss_mb"] < 350))
    if vid := load("video"):
        out.append(dict(measure=f"RSS growth uploading a {vid['video_mb']} MB video", peer="-",
                        ecan=f"{vid['rss_growth_mb']:.0f} MB", other="100 MB",
                        ratio=round(vid["rss_growth_mb"] / 100, 2), goal="< 100 MB",
                        met=vid["rss_growth_mb"] < 100 and vid["failed"] == 0))
    if off := load("offline"):
        goal = off["goal_cpu_s_per_s"]
        for name, r in off["results"].items():
            out.append(dict(measure=f"CPU while offline ({name})", peer="-",
                            ecan=f"{r['cpu_s_per_s']:.4f} s/s ({r['min']:.4f}-{r['max']:.4f})",
                            other=f"{goal} s/s", ratio=round(r["cpu_s_per_s"] / goal, 2),
                            goal=f"<= {goal} s CPU per s", met=r["cpu_s_per_s"] <= goal))
    return out


def main() -> int:
    table = rows()
    widths = [44, 34, 30, 24, 7, 20, 4]
    head = ["measurement", "peer", "ecan", "peer / budget", "ratio", "goal", "met"]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=False)))
    for r in table:
        cells = [r["measure"], r["peer"], r["ecan"], r["other"], str(r["ratio"]), r["goal"],
                 "yes" if r["met"] else "NO"]
        print("  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=False)))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    doc = {"commit": commit, "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                                         "python": platform.python_version()}, "rows": table}
    (OUT / "results.json").write_text(json.dumps(doc, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
