"""Versioned schema migrations, applied in order and recorded in SQLite's `PRAGMA user_version`.

Why not alembic: the schema is ours alone and small; a numbered list of SQL scripts, each applied
in one transaction, is the same mechanism without alembic's start-up cost (it matters on the
`ecan sync` no-op path) or its script directory. To change the schema, append a script; never
edit one that has shipped."""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: the initial schema.
    """
    CREATE TABLE avatar (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        resource_type TEXT NOT NULL DEFAULT 'uploaded'
            CHECK (resource_type IN ('system', 'uploaded', 'generated')),
        sha256 TEXT NOT NULL UNIQUE,
        format TEXT NOT NULL,
        ext TEXT NOT NULL,
        mime_type TEXT NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        original_filename TEXT NOT NULL DEFAULT '',
        description TEXT NOT NULL DEFAULT '',
        tags TEXT NOT NULL DEFAULT '[]',
        image_path TEXT NOT NULL,
        thumb_path TEXT NOT NULL,
        thumb_small_path TEXT NOT NULL,
        animated BOOLEAN NOT NULL DEFAULT 0,
        video_path TEXT,
        video_sha256 TEXT,
        video_ext TEXT,
        video_mime_type TEXT,
        video_bytes INTEGER,
        sync_state TEXT NOT NULL DEFAULT 'queued'
            CHECK (sync_state IN ('queued', 'syncing', 'synced', 'failed')),
        sync_error TEXT,
        sync_hint TEXT,
        cloud_image_key TEXT,
        cloud_thumb_key TEXT,
        cloud_video_key TEXT,
        cloud_image_url TEXT,
        cloud_thumb_url TEXT,
        cloud_synced_at REAL,
        generation_params TEXT,
        usage_count INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX ix_avatar_sha256 ON avatar (sha256);
    CREATE INDEX ix_avatar_sync_state ON avatar (sync_state);
    CREATE INDEX ix_avatar_created_at ON avatar (created_at);

    CREATE TABLE agent (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL DEFAULT '',
        avatar_id TEXT REFERENCES avatar (id),
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX ix_agent_avatar_id ON agent (avatar_id);

    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('upload', 'delete', 'metadata')),
        avatar_id TEXT,
        payload TEXT NOT NULL DEFAULT '{}',
        status INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL DEFAULT 0,
        last_error TEXT,
        locked_at REAL,
        locked_by TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX ix_outbox_avatar_id ON outbox (avatar_id);
    CREATE INDEX ix_outbox_ready ON outbox (status, next_attempt_at);

    CREATE TABLE generation_task (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL DEFAULT 'pending',
        user_prompt TEXT NOT NULL,
        professional_prompt TEXT,
        text_model TEXT NOT NULL,
        image_model TEXT NOT NULL,
        source_sha256 TEXT,
        avatar_id TEXT,
        analyse_ms INTEGER,
        generate_ms INTEGER,
        total_ms INTEGER,
        prompt_tokens INTEGER,
        output_tokens INTEGER,
        credits REAL NOT NULL DEFAULT 0,
        error_code TEXT,
        error TEXT,
        created_at REAL NOT NULL,
        finished_at REAL
    );

    CREATE TABLE setting (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 2: a video avatar's length, for the gallery's badge and a runtime's player.
    """
    ALTER TABLE avatar ADD COLUMN video_duration REAL;
    """,
    # 3: a queued job remembers the identity it belongs to, so the engine never uploads (or
    # deletes) it under another one. A new job takes the library's identity (set when its
    # account signs in) whatever code queued it: the trigger covers every INSERT. NULL: a job
    # of a library not bound to an identity (the local-only library, static keys).
    """
    ALTER TABLE outbox ADD COLUMN identity_id TEXT;
    CREATE TRIGGER outbox_identity AFTER INSERT ON outbox
    WHEN NEW.identity_id IS NULL
    BEGIN
        UPDATE outbox SET identity_id =
            (SELECT value FROM setting WHERE key = 'library.identity')
        WHERE id = NEW.id;
    END;
    UPDATE outbox SET identity_id = (SELECT value FROM setting WHERE key = 'library.identity')
    WHERE status IN (0, 1, 3);
    """,
    # 4: two-way sync. `edited_at`: when the name, tags or description last changed (the last
    # edit wins across machines, and sync-state moves must not count as edits); `deleted_at`:
    # the avatar is in the trash (hidden, kept 30 days, and a tombstone an older change from
    # another machine cannot undo).
    """
    ALTER TABLE avatar ADD COLUMN edited_at REAL;
    ALTER TABLE avatar ADD COLUMN deleted_at REAL;
    CREATE INDEX ix_avatar_deleted_at ON avatar (deleted_at);
    """,
    # 5: claiming a job must not cost O(queue): without these, each claim scanned every ready
    # job and probed the in-flight ones per row, so a whole run grew as the square of the queue;
    # with them it is a walk down an index. (No ANALYZE: statistics of a new, empty library
    # would mislead the planner later.)
    """
    CREATE INDEX IF NOT EXISTS ix_outbox_status_id ON outbox (status, id);
    CREATE INDEX IF NOT EXISTS ix_outbox_avatar_status ON outbox (avatar_id, status);
    """,
    # 6: generation a person enjoys: a style preset, 1-4 candidates of which the chosen are kept
    # (`kept`: their SHA-256s as a JSON list, so another machine finds them), the source photo
    # kept here for before/after, and the history following the user: `synced_at` (this
    # task's document is in the cloud), `origin` (the machine a pulled task ran on).
    """
    ALTER TABLE generation_task ADD COLUMN preset TEXT;
    ALTER TABLE generation_task ADD COLUMN candidates INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE generation_task ADD COLUMN kept TEXT;
    ALTER TABLE generation_task ADD COLUMN source_path TEXT;
    ALTER TABLE generation_task ADD COLUMN synced_at REAL;
    ALTER TABLE generation_task ADD COLUMN origin TEXT;
    """,
    # 7: the Activity list (the window's Sync > Activity): recent changes made here and pulled
    # from other machines, and failures with their fix; ecan.db.sync_state keeps the newest
    # ACTIVITY_KEEP. `machine` NULL: this computer; else another machine's journal id, with
    # the host name it gave (never anything secret).
    """
    CREATE TABLE activity (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at REAL NOT NULL,
        kind TEXT NOT NULL,
        subject TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL DEFAULT '',
        hint TEXT NOT NULL DEFAULT '',
        avatar_id TEXT,
        machine TEXT,
        machine_name TEXT NOT NULL DEFAULT ''
    );
    """,
    # 8: the gallery's order (system avatars last, newest first), so a page of it is a walk
    # down an index: without it every page sorted the whole table (~35 ms a page at 100,000
    # avatars, on the window's scroll path). deleted_at first: every listing asks for the
    # trash's NULL, and with ix_avatar_deleted_at alone SQLite still sorted. The expression
    # must stay written exactly as the listing's ORDER BY for SQLite to match them.
    """
    CREATE INDEX IF NOT EXISTS ix_avatar_gallery
        ON avatar (deleted_at, resource_type = 'system', created_at DESC, id);
    """,
    # 9: the library's counts (by sync state for the status bar and `ecan sync`, by kind for
    # the gallery's filters, the built-in avatars) from an index that holds every column they
    # read. They read the whole table: at 100,000 avatars, on a window started cold (the
    # library's file not in the page cache yet), 130-190 ms each, the longest wait before the
    # window settled. The index is ~2 MB where the table is ~90 MB.
    """
    CREATE INDEX IF NOT EXISTS ix_avatar_counts ON avatar (deleted_at, resource_type, sync_state);
    """,
]
