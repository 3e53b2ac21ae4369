"""The tables. The DDL of record is in `migrations.py`; these sqlmodel classes map onto it
(a test checks that the two agree)."""

from __future__ import annotations

import time
import uuid

from sqlmodel import Field, SQLModel

from ecan.db.sync_state import JobKind, JobStatus, SyncState

__all__ = ["Agent", "Avatar", "GenerationTask", "JobKind", "JobStatus", "OutboxJob", "Setting",
           "SyncState", "new_id", "now"]


def new_id() -> str:
    return uuid.uuid4().hex


def now() -> float:
    return time.time()


class Avatar(SQLModel, table=True):
    __tablename__ = "avatar"

    id: str = Field(default_factory=new_id, primary_key=True)
    name: str
    resource_type: str = "uploaded"  # system | uploaded | generated
    sha256: str = Field(index=True, unique=True)  # of the stored original
    format: str  # PNG, JPEG, GIF, WEBP
    ext: str  # png, jpg, gif, webp
    mime_type: str
    width: int
    height: int
    bytes: int
    original_filename: str = ""
    description: str = ""
    tags: str = "[]"  # JSON list of strings
    # Paths are relative to ECAN_HOME, so a library can move with its folder.
    image_path: str
    thumb_path: str  # 256 px PNG
    thumb_small_path: str  # 64 px PNG for lists
    animated: bool = False
    video_path: str | None = None
    video_sha256: str | None = None
    video_ext: str | None = None
    video_mime_type: str | None = None
    video_bytes: int | None = None
    video_duration: float | None = None  # seconds
    sync_state: str = SyncState.QUEUED.value
    sync_error: str | None = None
    sync_hint: str | None = None
    cloud_image_key: str | None = None
    cloud_thumb_key: str | None = None
    cloud_video_key: str | None = None
    cloud_image_url: str | None = None
    cloud_thumb_url: str | None = None
    cloud_synced_at: float | None = None
    generation_params: str | None = None  # JSON, for generated avatars
    usage_count: int = 0
    created_at: float = Field(default_factory=now)
    updated_at: float = Field(default_factory=now)
    edited_at: float | None = None  # name, tags or description changed (last edit wins)
    deleted_at: float | None = Field(default=None, index=True)  # in the trash since


class Agent(SQLModel, table=True):
    __tablename__ = "agent"

    id: str = Field(default_factory=new_id, primary_key=True)
    name: str = Field(unique=True)
    description: str = ""
    avatar_id: str | None = Field(default=None, foreign_key="avatar.id", index=True)
    created_at: float = Field(default_factory=now)
    updated_at: float = Field(default_factory=now)


class OutboxJob(SQLModel, table=True):
    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    kind: str
    avatar_id: str | None = Field(default=None, index=True)  # no FK: outlives a deleted avatar
    payload: str = "{}"  # JSON: what the job needs even if the row is gone (keys, sha256)
    status: int = JobStatus.READY.value
    attempts: int = 0
    next_attempt_at: float = 0.0
    last_error: str | None = None
    locked_at: float | None = None
    locked_by: str | None = None
    created_at: float = Field(default_factory=now)
    updated_at: float = Field(default_factory=now)
    # The identity the job belongs to (set by the database from the library's, migration 3).
    identity_id: str | None = None


class GenerationTask(SQLModel, table=True):
    __tablename__ = "generation_task"

    id: str = Field(default_factory=new_id, primary_key=True)
    status: str = "pending"  # pending | analysing | generating | succeeded | failed | cancelled
    user_prompt: str
    professional_prompt: str | None = None
    text_model: str
    image_model: str
    source_sha256: str | None = None
    avatar_id: str | None = None
    analyse_ms: int | None = None
    generate_ms: int | None = None
    total_ms: int | None = None
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    credits: float = 0.0
    error_code: str | None = None
    error: str | None = None
    created_at: float = Field(default_factory=now)
    finished_at: float | None = None
    preset: str | None = None
    candidates: int = 1
    kept: str | None = None  # JSON list of the kept candidates' SHA-256s
    source_path: str | None = None  # the source photo kept here, relative to ECAN_HOME
    synced_at: float | None = None  # the task's document reached the cloud
    origin: str | None = None  # the machine a task pulled from the cloud ran on


class Setting(SQLModel, table=True):
    """Small non-secret key/value state (sync paused, bandwidth limit, identity ids, language)."""

    __tablename__ = "setting"

    key: str = Field(primary_key=True)
    value: str
