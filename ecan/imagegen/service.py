"""Generation tasks: budget check, stage 1 (refine the request), stage 2 (draw), the result
validated and stored like an upload, and a `generation_task` row recording every outcome.

Credits are counted in images: a task costs 1 credit for every image the image model was asked
for, whether it returned it (that is what the provider bills) or the task was cancelled after the
request went out (the provider draws and bills it all the same); a task that never reached stage
2 costs 0. `GEMINI.CREDIT_BUDGET` caps the total; 0 means no cap.

A task asks for 1-4 candidates. One is stored at once, as before; of several, each is validated
and staged (`resource/generations/candidates/{task_id}/`) until `keep()` stores the chosen ones
and discards the rest. The source photo is kept (`resource/generations/sources/`) for
before/after and for running a past task again."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from ecan.avatars import imaging
from ecan.config import GeminiConfig
from ecan.db.models import GenerationTask, new_id, now
from ecan.errors import UserFacingError
from ecan.imagegen.port import ImageGenerator, Usage
from ecan.imagegen.presets import preset as find_preset
from ecan.imagegen.presets import styled

if TYPE_CHECKING:
    from ecan.avatars.library import AvatarLibrary
    from ecan.db import Database

log = logging.getLogger(__name__)

CREDITS_PER_IMAGE = 1.0
MAX_PROMPT = 2000
MAX_CANDIDATES = 4
RUNNING = ("pending", "analysing", "generating")
# A task still "running" after this long was cut short (the process died); it no longer
# holds a credit of the budget.
STALE_AFTER_S = 3600.0
TASK_ID = re.compile(r"^[0-9a-f]{32}$")
_EXT = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}

class Cancelled(Exception):
    pass


class GenerationService:
    def __init__(self, db: Database, library: AvatarLibrary, config: GeminiConfig, *,
                 generator: ImageGenerator | None = None, proxy: str = "") -> None:
        """`proxy`: the proxy URL the generator's requests go through ("": the system's)."""
        self.db = db
        self._proxy = proxy
        self.library = library
        self.config = config
        self._generator = generator
        self._lock = threading.Lock()
        self._cancels: dict[str, threading.Event] = {}

    # --- generate ---------------------------------------------------------------------------

    def generator(self) -> ImageGenerator:
        """The generator in use; built on first use (raises gemini_no_key without a key)."""
        with self._lock:
            if self._generator is None:
                from ecan.imagegen.gemini import GeminiGenerator

                self._generator = GeminiGenerator(self.config, proxy=self._proxy)
            return self._generator

    def generate(self, image_path: Path | None, prompt: str, *,
                 source_avatar_id: str | None = None, cancel: threading.Event | None = None,
                 task_id: str | None = None, candidates: int = 1,
                 preset: str | None = None) -> dict[str, Any]:
        """Run one task to the end; {task_id, avatar_id, professional_prompt, timings, ...}
        (with several candidates: `avatar_id` None and `candidates` [{index, image_path,
        thumb_path}] waiting for keep()). Raises UserFacingError (the task is then recorded as
        failed or cancelled)."""
        if isinstance(candidates, bool) or not isinstance(candidates, int) \
                or not 1 <= candidates <= MAX_CANDIDATES:
            raise UserFacingError("invalid_request",
                                  f"Ask for 1 to {MAX_CANDIDATES} candidates, not {candidates!r}.",
                                  f"Choose a number from 1 to {MAX_CANDIDATES}.")
        find_preset(preset)  # an unknown name is refused before anything is spent
        prompt = (prompt or "").strip()
        if not prompt:
            raise UserFacingError("invalid_request", "The request (prompt) is empty.",
                                  "Describe what the avatar should look like.")
        if len(prompt) > MAX_PROMPT:
            raise UserFacingError("invalid_request",
                                  f"The request is {len(prompt)} characters long.",
                                  f"Keep it under {MAX_PROMPT} characters.")
        if (image_path is None) == (source_avatar_id is None):
            raise UserFacingError("invalid_request", "Give either a photo file or an avatar.",
                                  "Pick one photo (--image FILE) or one avatar.")
        if task_id is not None and not TASK_ID.match(task_id):
            raise UserFacingError("invalid_request", "task_id must be 32 hex digits.",
                                  "Leave it out to get a new one.")
        cancel = cancel or threading.Event()
        task = self._start_task(prompt, task_id or new_id(), candidates, preset or None)
        with self._lock:
            self._cancels[task.id] = cancel
        started = time.monotonic()
        timings: dict[str, int] = {}
        tokens: Usage = {"prompt_tokens": 0, "output_tokens": 0}
        fields: dict[str, Any] = {}
        # Each image asked for is set here when its request goes out: from then on a cancel no
        # longer saves its credit, as the provider draws (and bills) it whether or not we wait.
        asked: list[threading.Event] = []
        staged: list[dict[str, Any]] = []
        result = None
        try:
            image, mime, source_sha = self._source(image_path, source_avatar_id)
            fields.update(source_sha256=source_sha,
                          source_path=self._keep_source(image, mime, source_sha))
            generator = self.generator()
            self._update(task.id, status="analysing", **fields)
            t0 = time.monotonic()
            professional, usage = self._run(cancel, generator.analyse, image, mime,
                                            styled(prompt, preset))
            timings["analyse_ms"] = _ms(t0)
            _add(tokens, usage)
            fields.update(professional_prompt=professional, analyse_ms=timings["analyse_ms"])
            self._update(task.id, status="generating", **fields)
            t0 = time.monotonic()
            params = {"task_id": task.id, "user_prompt": prompt, "preset": preset,
                      "professional_prompt": professional, "text_model": generator.text_model,
                      "image_model": generator.image_model, "source_sha256": source_sha}
            problems: list[UserFacingError] = []
            for index in range(candidates):
                asked.append(threading.Event())
                try:
                    data, out_mime, usage = self._run(cancel, generator.generate, image, mime,
                                                      professional, sent=asked[-1])
                except UserFacingError as e:
                    if candidates == 1:
                        raise
                    problems.append(e)  # one bad candidate need not spoil the others
                    continue
                _add(tokens, usage)
                # The provider bills every image it returned, usable or not.
                fields["credits"] = CREDITS_PER_IMAGE * len(asked)
                if cancel.is_set():
                    raise Cancelled
                filename = f"generated-{task.id[:12]}.{_EXT.get(out_mime, 'png')}"
                if candidates == 1:
                    result = self.library.import_bytes(
                        data, filename, resource_type="generated", name=_name_for(prompt),
                        generation_params=params)
                else:
                    try:
                        staged.append(self._stage_candidate(task.id, index, data, filename))
                    except UserFacingError as e:
                        problems.append(e)
            timings["generate_ms"] = _ms(t0)
            fields.update(generate_ms=timings["generate_ms"],
                          credits=CREDITS_PER_IMAGE * len(asked))
            if candidates > 1 and not staged:
                raise problems[0]
        except (Cancelled, KeyboardInterrupt) as e:
            fields["credits"] = CREDITS_PER_IMAGE * sum(1 for a in asked if a.is_set())
            self._drop_candidates(task.id)
            self._finish(task.id, "cancelled", started, tokens, fields,
                         error_code="cancelled", error="Cancelled by the user.")
            if isinstance(e, KeyboardInterrupt):
                raise
            raise UserFacingError("cancelled", "The generation was cancelled.",
                                  "Start it again when you are ready.") from None
        except UserFacingError as e:
            self._drop_candidates(task.id)
            self._finish(task.id, "failed", started, tokens, fields,
                         error_code=e.code, error=e.message)
            raise
        except BaseException as e:
            self._drop_candidates(task.id)
            self._finish(task.id, "failed", started, tokens, fields,
                         error_code="internal_error", error=type(e).__name__)
            raise
        finally:
            with self._lock:
                self._cancels.pop(task.id, None)
        out: dict[str, Any] = {"task_id": task.id, "professional_prompt": professional,
                               "tokens": dict(tokens), "credits": fields["credits"],
                               "preset": preset, "source_path": self._abs(fields["source_path"])}
        if result is not None:
            avatar = result.avatar
            total = self._finish(task.id, "succeeded", started, tokens, fields,
                                 avatar_id=avatar.id, kept=json.dumps([avatar.sha256]))
            out.update(avatar_id=avatar.id, created=result.created, avatar_ids=[avatar.id])
            log.info("generation %s succeeded: avatar %s (%d ms)", task.id, avatar.id, total)
        else:
            total = self._finish(task.id, "succeeded", started, tokens, fields)
            out.update(avatar_id=None, created=False, avatar_ids=[], candidates=staged)
            log.info("generation %s succeeded: %d candidates (%d ms)", task.id, len(staged),
                     total)
        out["timings"] = {"analyse_ms": timings["analyse_ms"],
                          "generate_ms": timings["generate_ms"], "total_ms": total}
        return out

    # --- candidates and the source photo ----------------------------------------------------

    def _folder(self) -> Path:
        """Beside the avatars' folders, not in them: none of this is an avatar yet."""
        return self.library.paths.home / "resource" / "generations"

    def _candidates_dir(self, task_id: str) -> Path:
        return self._folder() / "candidates" / task_id

    def _abs(self, relative: str | None) -> str | None:
        return None if not relative else str(self.library.paths.home / relative)

    def _keep_source(self, image: bytes, mime: str, sha: str) -> str:
        """The source photo (as validated) kept for before/after and a re-run; relative path."""
        from ecan.paths import make_private_dirs

        folder = self._folder() / "sources"
        make_private_dirs(folder)
        path = folder / f"{sha}.{_EXT.get(mime, 'png')}"
        if not path.exists():
            tmp = path.with_name(f".{path.name}.{new_id()}")
            tmp.write_bytes(image)
            os.replace(tmp, path)
        return path.relative_to(self.library.paths.home).as_posix()

    def _stage_candidate(self, task_id: str, index: int, data: bytes, filename: str
                         ) -> dict[str, Any]:
        """Validate one candidate like an upload and keep it (and its thumbnail) until the
        user chooses."""
        from ecan.paths import make_private_dirs

        prepared = imaging.prepare(data, filename)
        folder = self._candidates_dir(task_id)
        make_private_dirs(folder)
        image = folder / f"{index}.{prepared.info.ext}"
        thumb = folder / f"{index}_thumb.png"
        image.write_bytes(prepared.data)
        thumb.write_bytes(prepared.thumb)
        return {"index": index, "image_path": str(image), "thumb_path": str(thumb)}

    def _drop_candidates(self, task_id: str) -> None:
        shutil.rmtree(self._candidates_dir(task_id), ignore_errors=True)

    def pending_candidates(self, task_id: str) -> list[dict[str, Any]]:
        folder = self._candidates_dir(task_id)
        if not folder.is_dir():
            return []
        out = []
        for path in sorted(folder.iterdir()):
            stem = path.stem
            if stem.isdigit() and (folder / f"{stem}_thumb.png").is_file():
                out.append({"index": int(stem), "image_path": str(path),
                            "thumb_path": str(folder / f"{stem}_thumb.png")})
        return sorted(out, key=lambda c: c["index"])

    def keep(self, task_id: str, indices: list[int]) -> dict[str, Any]:
        """Store the chosen candidates of a finished task as avatars and discard the others;
        {task_id, avatar_ids, avatar_id}. An empty choice discards them all."""
        if not TASK_ID.match(task_id or ""):
            raise UserFacingError("invalid_request", "task_id must be 32 hex digits.",
                                  "Name a task from `ecan generate history`.")
        with self.db.session() as s:
            task = s.get(GenerationTask, task_id)
            if task is not None:
                s.expunge(task)
        pending = {c["index"]: c for c in self.pending_candidates(task_id)}
        if task is None or not pending:
            raise UserFacingError("not_found", f"Task {task_id} has no candidates waiting.",
                                  "Generate again with several candidates, then choose.")
        unknown = [i for i in indices if i not in pending]
        if unknown:
            raise UserFacingError("invalid_request", f"Task {task_id} has no candidate "
                                  f"{unknown[0] + 1}.",
                                  f"Choose from 1 to {len(pending)}.")
        params = {"task_id": task.id, "user_prompt": task.user_prompt, "preset": task.preset,
                  "professional_prompt": task.professional_prompt,
                  "text_model": task.text_model, "image_model": task.image_model,
                  "source_sha256": task.source_sha256}
        ids: list[str] = []
        shas: list[str] = []
        for index in sorted(set(indices)):
            path = Path(pending[index]["image_path"])
            result = self.library.import_bytes(
                path.read_bytes(), f"generated-{task.id[:12]}-{index + 1}{path.suffix}",
                resource_type="generated", name=_name_for(task.user_prompt),
                generation_params={**params, "candidate": index})
            ids.append(result.avatar.id)
            shas.append(result.avatar.sha256)
        self._drop_candidates(task_id)
        # The task's document changes: it goes up again with what was kept.
        self._update(task_id, avatar_id=ids[0] if ids else None, kept=json.dumps(shas),
                     synced_at=None)
        return {"task_id": task_id, "avatar_ids": ids, "avatar_id": ids[0] if ids else None}

    def cancel(self, task_id: str) -> None:
        """Ask a running task to stop; it ends as `cancelled` and leaves no avatar."""
        with self._lock:
            event = self._cancels.get(task_id)
        if event is None:
            raise UserFacingError("not_running", f"Generation task {task_id} is not running.",
                                  "Only a task that is still running can be cancelled.")
        event.set()

    def _run(self, cancel: threading.Event, fn: Any, *args: Any,
             sent: threading.Event | None = None) -> Any:
        """`fn(*args)` on a daemon thread, so that a cancel (or Ctrl-C, or closing the app)
        does not wait for a slow answer: the call goes on and its answer is dropped. `sent`
        is set when the call is started (it cannot be taken back after that)."""
        if cancel.is_set():
            raise Cancelled
        if sent is not None:
            sent.set()
        done = threading.Event()
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["value"] = fn(*args)
            except BaseException as e:  # handed to the waiting thread below
                outcome["error"] = e
            finally:
                done.set()

        threading.Thread(target=work, name="ecan-gemini", daemon=True).start()
        while not done.wait(0.05):
            if cancel.is_set():
                raise Cancelled
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]

    def _source(self, image_path: Path | None, avatar_id: str | None
                ) -> tuple[bytes, str, str]:
        """The photo to work from, validated like an upload (bytes, mime, sha256)."""
        import hashlib

        if avatar_id is not None:
            avatar = self.library.get(avatar_id)
            path = self.library.file_path(avatar.image_path)
            label = avatar.name
        else:
            assert image_path is not None
            path, label = Path(image_path), Path(image_path).name or str(image_path)
        try:
            with path.open("rb") as f:
                data = f.read(imaging.MAX_BYTES + 1)
        except FileNotFoundError:
            raise UserFacingError("not_found", f"{path}: no such file",
                                  "Check the path and try again.") from None
        except (OSError, ValueError) as e:
            raise UserFacingError("unreadable", f"{path}: cannot be read ({type(e).__name__})",
                                  "Check the path and the file's permissions.") from None
        prepared = imaging.prepare(data, label)
        return prepared.data, prepared.info.mime_type, hashlib.sha256(prepared.data).hexdigest()

    # --- task rows --------------------------------------------------------------------------

    def _start_task(self, prompt: str, task_id: str, candidates: int = 1,
                    preset: str | None = None) -> GenerationTask:
        """Check the budget and record the task in one write transaction, so two tasks
        started at once cannot both spend the last credit."""
        budget = self.config.credit_budget
        with self.db.session() as s:
            if budget > 0:
                used = self._committed(s)
                if used + CREDITS_PER_IMAGE * candidates > budget:
                    raise UserFacingError(
                        "budget_exhausted",
                        f"The generation budget is spent ({used:g} of {budget:g} credits; "
                        f"1 credit = 1 generated image).",
                        "Raise GEMINI.CREDIT_BUDGET in auth_config.yml (0 = no limit).")
            if s.get(GenerationTask, task_id) is not None:
                raise UserFacingError("invalid_request", f"Task {task_id} already exists.",
                                      "Leave task_id out to get a new one.")
            task = GenerationTask(id=task_id, status="pending", user_prompt=prompt,
                                  text_model=self.config.text_model,
                                  image_model=self.config.image_model,
                                  candidates=candidates, preset=preset)
            if self._generator is not None:
                task.text_model = self._generator.text_model
                task.image_model = self._generator.image_model
            s.add(task)
        return task

    def _committed(self, s: Any) -> float:
        """Credits spent plus one per task still running (each may yet spend one)."""
        spent = sum(t.credits for t in s.exec(select(GenerationTask)).all()
                    if t.status not in RUNNING)
        fresh = now() - STALE_AFTER_S
        running = sum(s.exec(select(GenerationTask.candidates).where(
            col(GenerationTask.status).in_(RUNNING),
            col(GenerationTask.created_at) > fresh)).all())
        return float(spent) + running * CREDITS_PER_IMAGE

    def _update(self, task_id: str, **values: Any) -> None:
        with self.db.session() as s:
            task = s.get(GenerationTask, task_id)
            if task is None:
                return
            for k, v in values.items():
                setattr(task, k, v)
            s.add(task)

    def _finish(self, task_id: str, status: str, started: float, tokens: Usage,
                fields: dict[str, Any], **values: Any) -> int:
        total = _ms(started)
        self._update(task_id, status=status, total_ms=total, finished_at=now(),
                     prompt_tokens=tokens["prompt_tokens"],
                     output_tokens=tokens["output_tokens"], **fields, **values)
        return total

    # --- history and statistics -------------------------------------------------------------

    def _reap_stale(self) -> None:
        """Tasks left running by a process that died are recorded as interrupted (guarded by
        the state they must still be in, so a live task elsewhere is never touched)."""
        conn = self.db.connect()
        try:
            conn.execute(
                "UPDATE generation_task SET status = 'failed', error_code = 'interrupted', "
                "error = 'The app stopped before the task finished.', finished_at = ? "
                "WHERE status IN ('pending', 'analysing', 'generating') AND created_at < ?",
                (now(), now() - STALE_AFTER_S))
        finally:
            conn.close()

    def history(self, limit: int = 50) -> list[dict[str, Any]]:
        limit = max(1, min(int(limit), 1000))
        self._reap_stale()
        with self.db.session() as s:
            rows = s.exec(select(GenerationTask).order_by(
                col(GenerationTask.created_at).desc()).limit(limit)).all()
        out = []
        for t in rows:
            d = task_to_dict(t)
            # What a person recognises a task by: the kept pictures (found by their checksum,
            # so a task from another machine shows them once the library has synced), the
            # source photo when it was kept here, and candidates still waiting for a choice.
            kept = []
            for sha in d["kept"]:
                avatar = self.library.by_sha(sha)
                kept.append({"sha256": sha,
                             "avatar_id": avatar.id if avatar and not avatar.deleted_at else None,
                             "thumb_path": self._abs(avatar.thumb_path) if avatar else None})
            d["kept"] = kept
            d["thumb_path"] = next((k["thumb_path"] for k in kept if k["thumb_path"]), None)
            d["source_path"] = self._abs(t.source_path)
            if d["source_path"] and not Path(d["source_path"]).is_file():
                d["source_path"] = None
            d["pending_candidates"] = self.pending_candidates(t.id) if t.origin is None else []
            out.append(d)
        return out

    def stats(self) -> dict[str, Any]:
        self._reap_stale()
        with self.db.session() as s:
            tasks = s.exec(select(GenerationTask)).all()
            committed = self._committed(s)
        done = [t for t in tasks if t.status not in RUNNING]
        ok = [t for t in done if t.status == "succeeded"]
        failed = [t for t in done if t.status == "failed"]
        took = [t.total_ms for t in done if t.total_ms is not None]
        analysed = [t.analyse_ms for t in done if t.analyse_ms is not None]
        generated = [t.generate_ms for t in done if t.generate_ms is not None]
        used = float(sum(t.credits for t in done))
        budget = self.config.credit_budget
        return {
            "count": len(tasks), "succeeded": len(ok), "failed": len(failed),
            "cancelled": sum(1 for t in done if t.status == "cancelled"),
            "running": len(tasks) - len(done),
            "success_rate": (len(ok) / len(done)) if done else None,
            "avg_analyse_ms": round(sum(analysed) / len(analysed)) if analysed else None,
            "avg_generate_ms": round(sum(generated) / len(generated)) if generated else None,
            "total_ms": sum(took),
            "credits_used": used, "credit_unit": "image",
            "budget": budget if budget > 0 else None,
            "budget_left": max(0.0, budget - committed) if budget > 0 else None,
        }

def kept_shas(raw: str | None) -> list[str]:
    try:
        loaded = json.loads(raw) if raw else []
    except ValueError:
        return []
    return [str(x) for x in loaded if isinstance(x, str)] if isinstance(loaded, list) else []


def task_to_dict(t: GenerationTask) -> dict[str, Any]:
    return {"id": t.id, "status": t.status, "user_prompt": t.user_prompt,
            "preset": t.preset, "candidates": t.candidates, "kept": kept_shas(t.kept),
            "source_sha256": t.source_sha256, "origin": t.origin,
            "professional_prompt": t.professional_prompt, "text_model": t.text_model,
            "image_model": t.image_model, "avatar_id": t.avatar_id,
            "timings": {"analyse_ms": t.analyse_ms, "generate_ms": t.generate_ms,
                        "total_ms": t.total_ms},
            "tokens": {"prompt_tokens": t.prompt_tokens, "output_tokens": t.output_tokens},
            "credits": t.credits, "error_code": t.error_code, "error": t.error,
            "created_at": t.created_at, "finished_at": t.finished_at}


def _ms(since: float) -> int:
    return int((time.monotonic() - since) * 1000)


def _add(total: Usage, usage: Usage) -> None:
    total["prompt_tokens"] += int(usage.get("prompt_tokens", 0) or 0)
    total["output_tokens"] += int(usage.get("output_tokens", 0) or 0)


def _name_for(prompt: str) -> str:
    line = " ".join(prompt.split())
    return ("AI: " + line)[:60]
