"""The generation history follows the user: one small JSON document per finished task at
`{prefix}{identity}/generations/{task_id}.json` (ecan.storage.keys.KeyLayout.generation).

Push: every finished task of this machine whose document is not in the cloud yet (`synced_at`
NULL; keeping candidates clears it, so the document goes up again with what was kept). Pull:
one LIST of the folder; a task this library lacks is read (size-limited, strictly shaped) and
recorded with `origin` = the machine it ran on. Its pictures are not in the document: the kept
ones are avatars, which the change journal brings, and the history finds them by checksum.
Kept apart from the journal (ecan.sync.journal): tasks are few, are written once and change at
most once more, and a list of them is all a pull needs."""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ecan.db import Database
    from ecan.sync.engine import Cloud

log = logging.getLogger("ecan.sync")

VERSION = 1
MAX_DOC = 16 * 1024  # bytes: a task's document is ~1 KB; larger is not ours and is not read
_NAME_RE = re.compile(r"^([0-9a-f]{32})\.json$")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_STATUSES = ("succeeded", "failed", "cancelled")
_TEXT = {"user_prompt": 2000, "professional_prompt": 8000, "text_model": 100,
         "image_model": 100, "preset": 40, "error_code": 60, "error": 500, "machine": 64}
_INTS = ("analyse_ms", "generate_ms", "total_ms", "prompt_tokens", "output_tokens")
_COLUMNS = ("id", "status", "user_prompt", "professional_prompt", "text_model", "image_model",
            "source_sha256", "analyse_ms", "generate_ms", "total_ms", "prompt_tokens",
            "output_tokens", "credits", "error_code", "error", "created_at", "finished_at",
            "preset", "candidates", "kept")


@dataclass
class GenerationSync:
    pushed: int = 0
    pulled: int = 0
    warnings: list[str] = field(default_factory=list)


def document(row: Any, machine: str) -> dict[str, Any]:
    """A task row as its cloud document (no paths: they mean nothing on another machine)."""
    doc = {k: row[k] for k in _COLUMNS if k != "kept"}
    try:
        kept = json.loads(row["kept"]) if row["kept"] else []
    except ValueError:
        kept = []
    doc.update(v=VERSION, machine=machine,
               kept=[k for k in kept if isinstance(k, str) and _SHA_RE.match(k)])
    return doc


def parse(raw: bytes, task_id: str) -> dict[str, Any]:
    """The column values of a task from its document, or ValueError saying why not."""
    if len(raw) > MAX_DOC:
        raise ValueError("over the size limit")
    doc = json.loads(raw)
    if not isinstance(doc, dict) or doc.get("v") != VERSION or doc.get("id") != task_id:
        raise ValueError("not a version 1 task document of this name")
    if doc.get("status") not in _STATUSES:
        raise ValueError("not a finished task")
    out: dict[str, Any] = {"id": task_id, "status": doc["status"]}
    for key, limit in _TEXT.items():
        value = doc.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise ValueError(f"{key} is not text of at most {limit} characters")
        out[key] = value
    if not out["user_prompt"]:
        raise ValueError("it has no request")
    for key in _INTS:
        value = doc.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 0):
            raise ValueError(f"{key} is not a count")
        out[key] = value
    for key in ("credits", "created_at", "finished_at"):
        value = doc.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                                  or value < 0):
            raise ValueError(f"{key} is not a number")
        out[key] = value
    if out["created_at"] is None:
        raise ValueError("it has no time")
    candidates = doc.get("candidates", 1)
    if isinstance(candidates, bool) or not isinstance(candidates, int) \
            or not 1 <= candidates <= 4:
        raise ValueError("candidates is not 1-4")
    kept = doc.get("kept") or []
    source = doc.get("source_sha256")
    if not isinstance(kept, list) or len(kept) > 4 \
            or not all(isinstance(k, str) and _SHA_RE.match(k) for k in kept) \
            or (source is not None and (not isinstance(source, str) or not _SHA_RE.match(source))):
        raise ValueError("its checksums are malformed")
    out.update(candidates=candidates, kept=json.dumps(kept), source_sha256=source,
               credits=float(out["credits"] or 0.0), text_model=out["text_model"] or "",
               image_model=out["image_model"] or "", origin=out.pop("machine") or "elsewhere")
    return out


def sync_generations(db: Database, cloud: Cloud, machine: str, *, pull: bool = True
                     ) -> GenerationSync:
    """Push this machine's finished tasks not yet in the cloud; with `pull`, bring the tasks
    other machines ran. Storage errors propagate (the caller reports or retries them)."""
    result = GenerationSync()
    layout, store = cloud.layout, cloud.store
    conn = db.connect()
    try:
        rows = conn.execute(
            "SELECT * FROM generation_task WHERE synced_at IS NULL AND origin IS NULL "
            "AND status IN ('succeeded', 'failed', 'cancelled')").fetchall()
        for row in rows:
            body = json.dumps(document(row, machine), sort_keys=True).encode()
            store.put_bytes(layout.generation(row["id"]), body, content_type="application/json")
            conn.execute("UPDATE generation_task SET synced_at = ? WHERE id = ? "
                         "AND synced_at IS NULL", (time.time(), row["id"]))
            result.pushed += 1
        if not pull:
            return result
        known = {r[0] for r in conn.execute("SELECT id FROM generation_task")}
        for info in store.list(layout.generations):
            m = _NAME_RE.match(info.key[len(layout.generations):])
            if m is None or m.group(1) in known:
                continue
            name = info.key.rsplit("/", 1)[-1]
            try:
                if info.size > MAX_DOC:
                    raise ValueError("over the size limit")
                values = parse(store.get_bytes(info.key), m.group(1))
            except KeyError:
                continue  # removed meanwhile
            except ValueError as e:
                result.warnings.append(f"skipped generation {name}: {str(e)[:120]}")
                continue
            values["synced_at"] = time.time()
            columns = ", ".join(values)
            marks = ", ".join("?" for _ in values)
            conn.execute(f"INSERT OR IGNORE INTO generation_task ({columns}) VALUES ({marks})",
                         tuple(values.values()))
            result.pulled += 1
    finally:
        conn.close()
    for warning in result.warnings:
        log.warning("pull: %s", warning)
    return result
