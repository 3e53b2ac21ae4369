"""`ecan generate --image F --prompt TEXT`: one generation task, waited for (contract JSON:
`{task_id, avatar_id, professional_prompt, timings}`; exit 0 ok, 1 failed)."""

from __future__ import annotations

import argparse
from typing import Any

from ecan.cli.context import open_app
from ecan.cli.output import Output, unwrap


def run(args: argparse.Namespace, out: Output) -> int:
    app = open_app()
    try:
        out.info("generating: analysing the photo and the request, then drawing ...")
        data = unwrap(app.handlers.call("generate.start", {
            "image_path": str(args.image), "prompt": args.prompt}))
    finally:
        app.close()
    out.result({k: data[k] for k in ("task_id", "avatar_id", "professional_prompt", "timings")},
               lambda: _human(data))
    return 0


def _human(d: dict[str, Any]) -> str:
    t = d["timings"]
    return (f"avatar {d['avatar_id']} (task {d['task_id']})\n"
            f"refined prompt: {d['professional_prompt']}\n"
            f"timings: analyse {t['analyse_ms'] / 1000:.1f} s, generate "
            f"{t['generate_ms'] / 1000:.1f} s, total {t['total_ms'] / 1000:.1f} s")
