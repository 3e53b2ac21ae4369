"""SQLite storage of record: one schema under versioned migrations, WAL mode, sqlmodel tables."""

from ecan.db.database import Database
from ecan.db.models import Agent, Avatar, GenerationTask, JobKind, JobStatus, OutboxJob, Setting

__all__ = ["Database", "Avatar", "Agent", "OutboxJob", "JobKind", "JobStatus",
           "GenerationTask", "Setting"]
