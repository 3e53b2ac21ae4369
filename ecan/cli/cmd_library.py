"""`ecan import`, `list`, `edit`, `delete`, `link`, `export` and `agent ...`: thin clients of the
avatar/agent handlers."""

from __future__ import annotations

import argparse
import os
from typing import Any

from ecan.cli.context import open_app
from ecan.cli.output import Output, plural, unwrap
from ecan.errors import UserFacingError

# The contract's fields, then what `ecan edit` sets (tags, description), so a script can read
# back what it wrote.
LIST_FIELDS = ("id", "name", "sha256", "resource_type", "sync_state", "cloud_image_key",
               "cloud_thumb_key", "tags", "description")
AGENT_FIELDS = ("id", "name", "avatar_id", "description")
IMPORT_BATCH = 24


def import_paths(args: argparse.Namespace, out: Output) -> int:
    from ecan.avatars.walk import walk

    # Absolute paths, so every reported path means the same thing wherever it is read.
    found = walk([os.path.abspath(p) for p in args.paths])
    files = [str(f) for f in found.files]
    results: list[dict[str, Any]] = [
        {"path": where, "ok": False, "avatar_id": None, "created": False,
         "error": {"code": "unreadable", "message": f"{where}: cannot be read ({reason})",
                   "hint": "Check that it exists and that you may read it."}}
        for where, reason in found.unreadable]
    progress = _ImportProgress(out, len(files))
    app = open_app()
    try:
        # In batches, so a terminal sees progress on a big folder (the importer works each
        # batch in parallel).
        for i in range(0, len(files), IMPORT_BATCH):
            data = unwrap(app.handlers.call("avatar.import_paths",
                                            {"paths": files[i:i + IMPORT_BATCH]}))
            results += [_import_result(r) for r in data["results"]]
            progress.update(len(results) - len(found.unreadable))
    finally:
        progress.close()
        app.close()
    refused = [r for r in results if not r["ok"]]
    new = sum(1 for r in results if r["ok"] and r["created"])
    existing = sum(1 for r in results if r["ok"] and not r["created"])
    skipped = [str(p) for p in found.skipped]

    def human() -> str:
        lines: list[str] = []
        for r in refused:
            lines.append(f"refused: {r['path']}")
            lines.append(f"  {r['error']['message']}")
            if r["error"].get("hint"):
                lines.append(f"  fix: {r['error']['hint']}")
        if not results:
            lines.append("nothing to import: no pictures or videos in "
                         + ", ".join(args.paths)
                         + (f" ({plural(len(skipped), 'other file')} skipped)" if skipped else ""))
            return "\n".join(lines)
        parts = [f"{new} new"]
        if existing:
            parts.append(f"{existing} already in the library")
        if refused:
            parts.append(f"{len(refused)} refused")
        if skipped:
            parts.append(f"{plural(len(skipped), 'file')} skipped (not pictures or videos)")
        lines.append(", ".join(parts))
        return "\n".join(lines)

    out.result({"results": results, "new": new, "existing": existing, "skipped": skipped}, human)
    return 1 if refused or not results else 0


def _import_result(r: dict[str, Any]) -> dict[str, Any]:
    error = None if r["ok"] else {"code": r.get("code") or "refused", "message": r["error"],
                                  "hint": r.get("hint") or ""}
    return {"path": r["path"], "ok": r["ok"], "avatar_id": r["avatar_id"], "error": error,
            "created": bool(r.get("created"))}


class _ImportProgress:
    """`importing 120 of 650` on one terminal line, for imports big enough to wait for."""

    def __init__(self, out: Output, total: int) -> None:
        self.out = out
        self.total = total
        self.shown = out.stderr.isatty() and total > IMPORT_BATCH

    def update(self, done: int) -> None:
        if self.shown:
            self.out.stderr.write(f"\rimporting {done} of {self.total}…")
            self.out.stderr.flush()

    def close(self) -> None:
        if self.shown:
            self.out.stderr.write("\n")
            self.out.stderr.flush()


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


class _NothingToDo(UserFacingError):
    exit_code = 2  # a usage error, as argparse's own


EDIT_FIELDS = ("id", "name", "tags", "description", "sha256", "resource_type", "sync_state")


def trash(args: argparse.Namespace, out: Output) -> int:
    app = open_app()
    try:
        data = unwrap(app.handlers.call("avatar.trash", {}))
    finally:
        app.close()
    avatars = [{k: a.get(k) for k in (*EDIT_FIELDS, "deleted_at")} for a in data["avatars"]]
    out.result({"avatars": avatars}, lambda: "\n".join(
        f"{a['id']}  {a['name']}" for a in avatars) or "the trash is empty")
    return 0


def undelete(args: argparse.Namespace, out: Output) -> int:
    app = open_app()
    try:
        data = unwrap(app.handlers.call("avatar.undelete", {"id": args.id}))
    finally:
        app.close()
    avatar = {k: data.get(k) for k in EDIT_FIELDS}
    out.result({"avatar": avatar}, f"brought back {avatar['id']} ({avatar['name']})")
    return 0


def edit(args: argparse.Namespace, out: Output) -> int:
    payload: dict[str, Any] = {"id": args.id}
    if args.name is not None:
        payload["name"] = args.name
    if args.description is not None:
        payload["description"] = args.description
    if args.tags is not None:
        payload["tags"] = [t.strip() for t in args.tags.split(",") if t.strip()]
    if len(payload) == 1:
        raise _NothingToDo("usage_error", "ecan edit: nothing to change.",
                           "Give --name, --tags or --description.")
    app = open_app()
    try:
        data = unwrap(app.handlers.call("avatar.update", payload))
    finally:
        app.close()
    avatar = {k: data.get(k) for k in EDIT_FIELDS}

    def human() -> str:
        lines = [f"{avatar['id']}  {avatar['name']}"]
        if avatar["tags"]:
            lines.append("  tags: " + ", ".join(avatar["tags"]))
        if avatar["description"]:
            lines.append(f"  {avatar['description']}")
        return "\n".join(lines)

    out.result({"avatar": avatar}, human)
    return 0


def link(args: argparse.Namespace, out: Output) -> int:
    app = open_app()
    try:
        data = unwrap(app.handlers.call("avatar.link", {"id": args.id,
                                                        "expires_s": args.expires}))
    finally:
        app.close()
    # The URL alone on stdout, so `url=$(ecan link ID)` works; when it stops, on stderr.
    out.result({"url": data["url"], "expires_at": data["expires_at"]}, data["url"])
    if not out.json_mode:
        out.info(f"works until {data['expires_at']}")
    return 0


def export(args: argparse.Namespace, out: Output) -> int:
    # Absolute, so the paths printed mean the same wherever they are read; by default here.
    to = os.getcwd()
    if args.to:
        # A trailing slash says "a folder" even for one avatar: abspath would drop it.
        slash = os.sep if args.to.endswith(("/", os.sep)) else ""
        to = os.path.abspath(os.path.expanduser(args.to)) + slash
    app = open_app()
    try:
        data = unwrap(app.handlers.call("avatar.export", {
            "ids": args.ids, "to": to, "video": args.video,
            "conflict": "overwrite" if args.force else "refuse"}))
    finally:
        app.close()
    exported, failed = data["exported"], data["failed"]
    # The written paths alone on stdout (one a line, for scripts); what failed on stderr.
    out.result({"exported": exported, "failed": failed},
               lambda: "\n".join(e["path"] for e in exported))
    if not out.json_mode:
        for f in failed:
            out.info(f"error: {f['id']}: {f['message']}")
            if f.get("hint"):
                out.info(f"  fix: {f['hint']}")
    return 1 if failed else 0


def _agents(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: a.get(k) for k in AGENT_FIELDS} for a in data["agents"]]


def agent(args: argparse.Namespace, out: Output) -> int:
    app = open_app()
    try:
        if args.agent_command == "list":
            agents = _agents(unwrap(app.handlers.call("agent.list", {})))
        elif args.agent_command == "get":
            found = unwrap(app.handlers.call("agent.get", {"name": args.name}))["agent"]
            out.result({"agent": _runtime_agent(found)}, lambda: _describe_agent(found))
            return 0
        elif args.agent_command == "delete":
            found = _agent_named(app, args.name)
            unwrap(app.handlers.call("agent.delete", {"id": found["id"]}))
            out.result({"deleted": found["id"]}, f"deleted the agent {found['name']!r} "
                                                 "(its avatar stays in the library)")
            return 0
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
                if not args.avatar and not args.no_avatar:
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


def _runtime_agent(agent: dict[str, Any]) -> dict[str, Any]:
    return {"id": agent["id"], "name": agent["name"], "description": agent["description"],
            "avatar": agent["avatar"]}


def _describe_agent(agent: dict[str, Any]) -> str:
    lines = [f"{agent['name']}  ({agent['id']})"]
    if agent.get("description"):
        lines.append(f"  {agent['description']}")
    avatar = agent.get("avatar")
    if avatar is None:
        lines.append("  no avatar")
        return "\n".join(lines)
    lines.append(f"  avatar:    {avatar['id']}")
    lines.append(f"  original:  {avatar['original_path']}")
    lines.append(f"  thumbnail: {avatar['thumb_path']}")
    if avatar.get("video_path"):
        lines.append(f"  video:     {avatar['video_path']}")
    lines.append(f"  url:       {avatar['url'] or '(none: not in the cloud yet)'}")
    return "\n".join(lines)


def _agent_named(app: Any, name: str) -> dict[str, Any]:
    clean = " ".join(name.split())
    for a in unwrap(app.handlers.call("agent.list", {}))["agents"]:
        if a["name"] == clean:
            return dict(a)
    raise UserFacingError("not_found", f"There is no agent named {clean[:80]!r}.",
                          "See `ecan agent list` for the agents' names.")
