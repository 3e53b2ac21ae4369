"""`ecan import`, `list`, `delete` and `agent ...`: thin clients of the avatar/agent handlers."""

from __future__ import annotations

import argparse
import os
from typing import Any

from ecan.cli.context import open_app
from ecan.cli.output import Output, unwrap

LIST_FIELDS = ("id", "name", "sha256", "resource_type", "sync_state", "cloud_image_key",
               "cloud_thumb_key")
AGENT_FIELDS = ("id", "name", "avatar_id", "description")


def import_paths(args: argparse.Namespace, out: Output) -> int:
    app = open_app()
    try:
        # Absolute paths, so every reported path means the same thing wherever it is read.
        paths = [os.path.abspath(p) for p in args.paths]
        data = unwrap(app.handlers.call("avatar.import_paths", {"paths": paths}))
    finally:
        app.close()
    results = [{"path": r["path"], "ok": r["ok"], "avatar_id": r["avatar_id"],
                "error": r["error"]} for r in data["results"]]
    refused = [r for r in results if not r["ok"]]

    def human() -> str:
        lines = [f"refused: {r['error']}" for r in refused]
        ok = len(results) - len(refused)
        lines.append(f"imported {ok} of {len(results)} file(s)"
                     + (f", {len(refused)} refused" if refused else ""))
        return "\n".join(lines)

    out.result({"results": results}, human)
    return 1 if refused or not results else 0


def list_avatars(args: argparse.Namespace, out: Output) -> int:
    app = open_app()
    try:
        data = unwrap(app.handlers.call("avatar.list", {}))
    finally:
        app.close()
    avatars = [{k: a.get(k) for k in LIST_FIELDS} for a in data["avatars"]]

    def human() -> str:
        if not avatars:
            return "the library is empty"
        return "\n".join(f"{a['id']}  {a['sync_state']:<8} {a['resource_type']:<9} {a['name']}"
                         for a in avatars)

    out.result({"avatars": avatars}, human)
    return 0


def delete(args: argparse.Namespace, out: Output) -> int:
    app = open_app()
    try:
        data = unwrap(app.handlers.call("avatar.delete", {"id": args.id}))
    finally:
        app.close()
    out.result({"deleted": data["deleted"]}, f"deleted {data['deleted']}")
    return 0


def _agents(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: a.get(k) for k in AGENT_FIELDS} for a in data["agents"]]


def agent(args: argparse.Namespace, out: Output) -> int:
    app = open_app()
    try:
        if args.agent_command == "list":
            agents = _agents(unwrap(app.handlers.call("agent.list", {})))
        else:
            payload: dict[str, Any] = {"name": args.name}
            if args.avatar:
                payload["avatar_id"] = args.avatar
            if args.description is not None:
                payload["description"] = args.description
            # Saving a name that exists updates that agent (the CLI has no ids to type).
            existing = [a for a in unwrap(app.handlers.call("agent.list", {}))["agents"]
                        if a["name"] == " ".join(args.name.split())]
            if existing:
                payload["id"] = existing[0]["id"]
                if not args.avatar:
                    payload["avatar_id"] = existing[0]["avatar_id"]
            agents = _agents(unwrap(app.handlers.call("agent.save", payload)))
    finally:
        app.close()

    def human() -> str:
        if not agents:
            return "no agents yet"
        return "\n".join(f"{a['id']}  {a['name']}  avatar={a['avatar_id'] or '-'}"
                         for a in agents)

    out.result({"agents": agents}, human)
    return 0
