"""The library's state in SQLite, and the one door to it: `database` opens the file (the one
connection factory: WAL, ecan's pragmas, versioned `migrations`); `models` maps the tables for
sqlmodel; `sync_state` holds every sync rule (an avatar's sync state and its outbox jobs)."""

from typing import TYPE_CHECKING, Any

from ecan.db.database import Database

if TYPE_CHECKING:
    from ecan.db.models import (
        Agent,
        Avatar,
        GenerationTask,
        JobKind,
        JobStatus,
        OutboxJob,
        Setting,
    )


def __getattr__(name: str) -> Any:
    # The models (sqlmodel + SQLAlchemy: slow to import) load on first use, so that raw-SQL
    # paths such as `ecan sync` pay nothing for them.
    if name in __all__ and name != "Database":
        from ecan.db import models

        return getattr(models, name)
    raise AttributeError(f"module 'ecan.db' has no attribute {name!r}")


__all__ = ["Database", "Avatar", "Agent", "OutboxJob", "JobKind", "JobStatus",
           "GenerationTask", "Setting"]
