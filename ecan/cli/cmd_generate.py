"""`ecan generate --image F --prompt TEXT [--candidates N [--keep I,J]] [--preset NAME]`: one
generation task, waited for (contract JSON: `{task_id, avatar_id, professional_prompt, timings}`,
plus `avatar_ids` of every avatar kept; exit 0 ok, 1 failed). `ecan generate
history` (`{tasks: [...]}`) and `ecan generate stats` (`{tasks, images, credits, ...}`) read the
generation tasks kept in the library."""

from __future__ import annotations

import argparse
from typing import Any

from ecan.cli.context import open_app
from ecan.cli.output import Output, plural, unwrap
from ecan.errors import UserFacingError


class _Usage(UserFacingError):
    exit_code = 2


HISTORY_FIELDS = ("id", "status", "user_prompt", "professional_prompt", "avatar_id",
                  "credits", "total_ms", "error_code", "error", "created_at", "finished_at",
                  "preset", "candidates", "kept", "origin", "thumb_path")


def run(args: argparse.Namespace, out: Output) -> int:
    if args.action == "history":
        return history(args, out)
    if args.action == "stats":
        return stats(out)
    if not args.image or not args.prompt:
        raise _Usage("usage_error", "ecan generate: --image and --prompt are both needed.",
                     "e.g. ecan generate --image me.jpg --prompt \"a friendly robot\"; or "
                     "`ecan generate history` / `ecan generate stats`.")
    n = args.candidates
    if not 1 <= n <= 4:
        raise _Usage("usage_error", f"ecan generate: --candidates {n} is not from 1 to 4.",
                     "Ask for 1, 2, 3 or 4 candidates.")
    keep = _keep(args.keep, n)
    app = open_app()
    try:
        out.info("generating: analysing the photo and the request, then drawing"
                 + (f" {n} candidates" if n > 1 else "") + " ...")
        request: dict[str, Any] = {"image_path": str(args.image), "prompt": args.prompt}
        if n > 1:
            request["candidates"] = n
        if args.preset:
            request["preset"] = args.preset
        data = unwrap(app.handlers.call("generate.start", request))
        if data.get("candidates"):
            drawn = [c["index"] for c in data["candidates"]]
            chosen = drawn if keep is None else [i for i in keep if i in drawn]
            kept = unwrap(app.handlers.call("generate.keep", {"task_id": data["task_id"],
                                                              "indices": chosen}))
            data.update(avatar_id=kept["avatar_id"], avatar_ids=kept["avatar_ids"])
    finally:
        app.close()
    doc = {k: data[k] for k in ("task_id", "avatar_id", "professional_prompt", "timings")}
    doc.update(avatar_ids=data.get("avatar_ids", []), preset=data.get("preset"),
               credits=data.get("credits"))
    out.result(doc, lambda: _human(data))
    return 0


def _keep(text: str | None, n: int) -> list[int] | None:
    """--keep "1,3" as 0-based indices; None: keep every candidate."""
    if text is None:
        return None
    try:
        picked = sorted({int(p) - 1 for p in text.split(",") if p.strip()})
    except ValueError:
        picked = [-1]
    if any(not 0 <= i < n for i in picked):
        raise _Usage("usage_error", f"ecan generate: --keep {text!r} names no candidate.",
                     f"Give numbers from 1 to {n} separated by commas, e.g. --keep 1,3.")
    return picked


def _human(d: dict[str, Any]) -> str:
    t = d["timings"]
    ids = d.get("avatar_ids") or []
    head = (f"avatar {d['avatar_id']} (task {d['task_id']})" if len(ids) <= 1 else
            f"avatars {', '.join(ids)} (task {d['task_id']})")
    return (f"{head}\n"
            f"refined prompt: {d['professional_prompt']}\n"
            f"timings: analyse {t['analyse_ms'] / 1000:.1f} s, generate "
            f"{t['generate_ms'] / 1000:.1f} s, total {t['total_ms'] / 1000:.1f} s")


def history(args: argparse.Namespace, out: Output) -> int:
    limit = max(1, min(int(args.limit), 1000))
    app = open_app()
    try:
        data = unwrap(app.handlers.call("generate.history", {"limit": limit}))
    finally:
        app.close()
    tasks = [{k: t.get(k) for k in HISTORY_FIELDS} for t in data["tasks"]]

    def human() -> str:
        if not tasks:
            return "no generations yet"
        lines = []
        for t in tasks:
            took = f"{t['total_ms'] / 1000:.1f} s" if t["total_ms"] is not None else "-"
            where = "  (another machine)" if t.get("origin") else ""
            lines.append(f"{t['id']}  {t['status']:<10} {took:>7}  "
                         f"{t['avatar_id'] or '-':<32}  {_one_line(t['user_prompt'])}{where}")
        return "\n".join(lines)

    out.result({"tasks": tasks}, human)
    return 0


def stats(out: Output) -> int:
    app = open_app()
    try:
        data = unwrap(app.handlers.call("generate.stats", {}))
    finally:
        app.close()
    # The contract's names first (tasks, images, credits, time), then the service's details.
    doc = {"tasks": data["count"], "images": data["succeeded"], "credits": data["credits_used"],
           "total_ms": data.get("total_ms"), **data}

    def human() -> str:
        rate = data.get("success_rate")
        lines = [f"{plural(doc['tasks'], 'task')}: {doc['images']} succeeded, "
                 f"{data['failed']} failed, {data['cancelled']} cancelled"
                 + (f", {data['running']} running" if data["running"] else ""),
                 f"credits used: {doc['credits']:g} ({data['credit_unit']}s)"
                 + (f", {data['budget_left']:g} of {data['budget']:g} left"
                    if data.get("budget") else "")]
        if rate is not None:
            lines.append(f"success rate: {rate:.0%}")
        if doc["total_ms"]:
            lines.append(f"time generating: {doc['total_ms'] / 1000:.1f} s")
        return "\n".join(lines)

    out.result(doc, human)
    return 0


def _one_line(text: Any) -> str:
    flat = " ".join(str(text or "").split())
    return flat if len(flat) <= 60 else flat[:59] + "…"
