"""Handlers for the `avatar.*` methods: the library's internal API for the UI and the CLI."""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from ecan.avatars import imaging
from ecan.avatars.export import export_avatars, file_name
from ecan.avatars.library import MAX_DESCRIPTION, TRASH_DAYS
from ecan.errors import UserFacingError
from ecan.handlers.registry import Empty, Handlers, Request

if TYPE_CHECKING:
    from ecan.app import App

MAX_PATH = 4096
MAX_BATCH = 10_000
# base64 of the 20 MB image limit, plus room for a data: URL header.
MAX_BASE64 = (imaging.MAX_BYTES + 2) // 3 * 4 + 256
_DATA_URL = re.compile(r"^data:[\w.+-]+/[\w.+-]+;base64,", re.ASCII)


class UploadAvatar(Request):
    path: str | None = Field(default=None, min_length=1, max_length=MAX_PATH)
    # The reference system's shape: the file as base64 plus its name.
    fileData: str | None = Field(default=None, max_length=MAX_BASE64)  # noqa: N815
    filename: str | None = Field(default=None, max_length=255)
    name: str | None = Field(default=None, max_length=200)


class ImportPaths(Request):
    paths: list[str] = Field(min_length=1, max_length=MAX_BATCH)


class ListAvatars(Request):
    query: str = Field(default="", max_length=200)
    resource_type: str | None = Field(default=None, max_length=20)
    # A page of the list (the window's gallery loads the library as it is scrolled); with a
    # limit the answer also says whether more follow and how many avatars there are per kind.
    limit: int | None = Field(default=None, ge=1, le=1_000_000)
    offset: int = Field(default=0, ge=0)


class AvatarId(Request):
    id: str = Field(min_length=1, max_length=64)


class AvatarIds(Request):
    ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(max_length=1000)


class UpdateAvatar(Request):
    id: str = Field(min_length=1, max_length=64)
    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    tags: list[str] | None = Field(default=None, max_length=64)


class LinkRequest(Request):
    id: str = Field(min_length=1, max_length=64)
    # The range is checked by private_link, whose refusal says what the range is.
    expires_s: int = 3600


class ExportAvatars(Request):
    ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(min_length=1,
                                                                          max_length=MAX_BATCH)
    # One avatar: a file path or a folder; several: a folder (made if needed).
    to: str = Field(min_length=1, max_length=MAX_PATH)
    conflict: Literal["refuse", "overwrite", "rename"] = "refuse"
    video: bool = False  # a video avatar's video rather than its picture


class AttachVideo(Request):
    id: str = Field(min_length=1, max_length=64)
    path: str = Field(min_length=1, max_length=MAX_PATH)


def _bad(message: str, hint: str) -> UserFacingError:
    return UserFacingError("invalid_request", message, hint)


def _check_path(text: str, field: str) -> Path:
    if "\x00" in text:
        raise _bad(f"{field}: a path cannot contain a NUL character.", "Send a file path.")
    return Path(text).expanduser()


def export_file_name(name: str, ext: str) -> str:
    """The name a copy of an avatar gets (the window's save dialog suggests it, as `ecan
    export` writes it)."""
    return file_name(name, ext)


def decode_file_data(data: str) -> bytes:
    """The bytes of a base64 (or data: URL) upload; refuses bad base64 without decoding it."""
    text = _DATA_URL.sub("", data, count=1).strip()
    if not text:
        raise _bad("fileData is empty.", "Send the image file's bytes as base64.")
    if len(text) > MAX_BASE64:
        raise imaging.refuse("too_large", "upload", "the file is over the size limit")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _bad("fileData is not valid base64.",
                   "Send the image file's bytes encoded as standard base64.") from None


def register(handlers: Handlers, app: App) -> None:
    def cloud_configured() -> bool:
        return app.config.storage.kind != "none"

    def as_dict(avatar: Any) -> dict[str, Any]:
        return app.library.to_dict(avatar, cloud_configured=cloud_configured(),
                                   prefix=app.config.storage.path_prefix)

    def this_one(req: AvatarId | UpdateAvatar | AttachVideo, _data: Any) -> dict[str, list[str]]:
        return {"avatars": [req.id]}

    @handlers.register("avatar.upload_avatar", UploadAvatar, changes=["avatars", "sync"],
                       ids=lambda _req, data: {"avatars": [data["avatar"]["id"]]})
    def upload_avatar(req: UploadAvatar) -> dict[str, Any]:
        if (req.path is None) == (req.fileData is None):
            raise _bad("Send either `path` or `fileData` (with `filename`).",
                       "Pick one way to pass the image.")
        if req.path is not None:
            result = app.library.import_file(_check_path(req.path, "path"), name=req.name)
        else:
            assert req.fileData is not None
            filename = req.filename or "upload"
            result = app.library.import_bytes(decode_file_data(req.fileData), filename,
                                              name=req.name)
        return {"avatar": as_dict(result.avatar), "created": result.created}

    @handlers.register("avatar.import_paths", ImportPaths, changes=["avatars", "sync"],
                       ids=lambda _req, data: {"avatars": [
                           r["avatar_id"] for r in data["results"] if r["avatar_id"]]})
    def import_paths(req: ImportPaths) -> dict[str, Any]:
        results: list[dict[str, Any]] = []
        usable: list[Path] = []
        for text in req.paths:
            if "\x00" in text or not text or len(text) > MAX_PATH:
                results.append({"path": text[:200], "ok": False, "avatar_id": None,
                                "error": f"{text[:200]!r}: not a usable path",
                                "code": "invalid_request"})
            else:
                usable.append(Path(text).expanduser())
        for o in app.library.import_paths(usable):
            results.append({"path": o.path, "ok": o.ok, "avatar_id": o.avatar_id,
                            "error": o.error, "code": o.code, "hint": o.hint,
                            "created": o.created})
        return {"results": results}

    @handlers.register("avatar.list", ListAvatars)
    def list_avatars(req: ListAvatars) -> dict[str, Any]:
        if req.resource_type is not None and req.resource_type not in (
                "system", "uploaded", "generated"):
            raise _bad(f"resource_type {req.resource_type[:20]!r} is not known.",
                       "Use system, uploaded or generated.")
        avatars = app.library.list_dicts(
            cloud_configured=cloud_configured(), prefix=app.config.storage.path_prefix,
            query=req.query, resource_type=req.resource_type, offset=req.offset,
            limit=None if req.limit is None else req.limit + 1)
        if req.limit is None:
            return {"avatars": avatars}
        page: dict[str, Any] = {"avatars": avatars[:req.limit],
                                "more": len(avatars) > req.limit}
        if req.offset == 0:  # the first page: the library's size, for the label
            page["counts"] = app.library.counts()
        return page

    @handlers.register("avatar.get", AvatarId)
    def get(req: AvatarId) -> dict[str, Any]:
        return as_dict(app.library.get(req.id))

    @handlers.register("avatar.get_many", AvatarIds)
    def get_many(req: AvatarIds) -> dict[str, Any]:
        """{avatars: [...]}: those of the ids that exist (the window refreshes synced rows)."""
        return {"avatars": [as_dict(a) for a in app.library.get_many(req.ids)]}

    @handlers.register("avatar.delete", AvatarId, changes=["avatars", "sync"], ids=this_one)
    def delete(req: AvatarId) -> dict[str, Any]:
        app.library.delete(req.id)
        return {"deleted": req.id}

    @handlers.register("avatar.trash", Empty)
    def trash(_req: Empty) -> dict[str, Any]:
        """{avatars: [...], keep_days}: deleted avatars kept for keep_days
        (ecan.avatars.library.TRASH_DAYS), newest deletion first; each with `deleted_at` and
        `purge_at` (when it goes for good), so a screen need not know the rule."""
        keep_s = TRASH_DAYS * 86400.0
        return {"avatars": [{**as_dict(a), "deleted_at": a.deleted_at,
                             "purge_at": (a.deleted_at or 0.0) + keep_s}
                            for a in app.library.trash()], "keep_days": TRASH_DAYS}

    @handlers.register("avatar.undelete", AvatarId, changes=["avatars", "sync"], ids=this_one)
    def undelete(req: AvatarId) -> dict[str, Any]:
        return as_dict(app.library.undelete(req.id))

    @handlers.register("avatar.get_system_avatars", Empty)
    def system(_req: Empty) -> dict[str, Any]:
        return {"avatars": [as_dict(a) for a in app.library.system_avatars()]}

    @handlers.register("avatar.attach_video", AttachVideo, changes=["avatars", "sync"],
                       ids=this_one)
    def attach_video(req: AttachVideo) -> dict[str, Any]:
        return as_dict(app.library.attach_video(req.id, _check_path(req.path, "path")))

    @handlers.register("avatar.update", UpdateAvatar, changes=["avatars", "sync"], ids=this_one)
    def update(req: UpdateAvatar) -> dict[str, Any]:
        return as_dict(app.library.update(req.id, name=req.name, description=req.description,
                                          tags=req.tags))

    @handlers.register("avatar.export", ExportAvatars)
    def export(req: ExportAvatars) -> dict[str, Any]:
        """{exported: [{id, path}], failed: [{id, code, message, hint}]}: copies of the
        originals (or videos) as the library keeps them, written where `to` says."""
        ids = list(dict.fromkeys(req.ids))
        app.library.ensure_system_avatars()
        found = {a.id: a for a in app.library.get_many(ids)}
        avatars: list[dict[str, Any]] = []
        missing: list[dict[str, str]] = []
        for avatar_id in ids:
            if avatar_id in found:
                avatars.append(as_dict(found[avatar_id]))
                continue
            try:  # not there: the library's own not-found error, said per id
                avatars.append(as_dict(app.library.get(avatar_id)))
            except UserFacingError as e:
                missing.append({"id": avatar_id, **e.to_dict()})
        return export_avatars(avatars, _check_path(req.to, "to"), conflict=req.conflict,
                              video=req.video, missing=missing).to_dict()

    @handlers.register("avatar.link", LinkRequest)
    def link(req: LinkRequest) -> dict[str, Any]:
        """{url, expires_at}: a presigned (private) link to the avatar's original."""
        from ecan.avatars.links import private_link

        return private_link(app.cloud, as_dict(app.library.get(req.id)), req.expires_s).to_dict()
