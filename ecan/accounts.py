"""One library per account on a shared computer: which library is open (the signed-in account's,
keyed by user pool + `sub`, or the local-only one), and moving local-only avatars into an account.

The record of who is signed in (`ECAN_HOME/account.json`) holds the pool, the `sub` and the
username, never a token: the session itself stays in the keyring, one entry per account library."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecan.paths import AppPaths, open_private

if TYPE_CHECKING:
    from ecan.agents.service import AgentService
    from ecan.avatars.library import AvatarLibrary
    from ecan.config import Config

log = logging.getLogger(__name__)

# Cognito's `sub` is a UUID; anything else is refused before it names a folder.
_SUB_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")
# The local-only library's answer to "move my avatars into the account?": kept here, so that
# it is asked once, not at every sign-in.
KEEP_LOCAL_KEY = "accounts.keep_local"
# In an account's library: the identity its jobs belong to (the outbox stamps each new job with
# it, see migration 3), and when its cloud library was restored here (its first sign-in).
LIBRARY_IDENTITY_KEY = "library.identity"
RESTORED_KEY = "library.restored_at"


@dataclass(frozen=True)
class Account:
    user_pool_id: str
    sub: str
    username: str

    def to_dict(self) -> dict[str, str]:
        return {"user_pool_id": self.user_pool_id, "sub": self.sub, "username": self.username}


def library_folder(user_pool_id: str, sub: str) -> str:
    """The account library's folder name under `accounts/`: a short hash of the pool (pool ids
    carry a region and an underscore; two pools may share a `sub` in theory) and the sub."""
    if not _SUB_RE.fullmatch(sub or ""):
        raise ValueError("not a Cognito sub")
    pool = hashlib.sha256(user_pool_id.encode()).hexdigest()[:12]
    return f"{pool}-{sub}"


def account_paths(root: AppPaths, account: Account) -> AppPaths:
    return root.for_account(library_folder(account.user_pool_id, account.sub))


def read_signed_in(root: AppPaths) -> Account | None:
    """The account recorded as signed in on this computer, or None (also when the record is
    unreadable: then the local-only library opens, and nothing of an account is shown)."""
    try:
        raw = root.signed_in_file.read_bytes()
    except OSError:
        return None
    try:
        doc = json.loads(raw[:10_000])
        account = Account(str(doc["user_pool_id"]), str(doc["sub"]), str(doc["username"]))
        library_folder(account.user_pool_id, account.sub)  # validates the sub
    except (ValueError, KeyError, TypeError):
        log.warning("%s is unreadable: no account is open", root.signed_in_file)
        return None
    return account


# In each account's library folder: whose library it is (pool, sub, username; never a token),
# so that the window can offer to switch to the accounts known on this computer.
OWNER_FILE = "owner.json"


def write_signed_in(root: AppPaths, account: Account) -> None:
    """Record the signed-in account, at the root and in its library's folder."""
    _write_record(root.signed_in_file, account)
    _write_record(account_paths(root, account).ensure().home / OWNER_FILE, account)


def known_accounts(root: AppPaths, user_pool_id: str) -> list[Account]:
    """The accounts of `user_pool_id` that have a library on this computer, by username."""
    found: dict[str, Account] = {}
    folder = root.ecan_home / "accounts"
    records = sorted(folder.glob(f"*/{OWNER_FILE}")) if folder.is_dir() else []
    signed_in = read_signed_in(root)
    for account in [*(_read_record(p) for p in records), signed_in]:
        if account is not None and account.user_pool_id == user_pool_id:
            found[account.sub] = account
    return sorted(found.values(), key=lambda a: a.username.casefold())


def _read_record(path: Path) -> Account | None:
    try:
        doc = json.loads(path.read_bytes()[:10_000])
        account = Account(str(doc["user_pool_id"]), str(doc["sub"]), str(doc["username"]))
        # The folder must be this account's: a record copied elsewhere names nobody.
        if library_folder(account.user_pool_id, account.sub) != path.parent.name:
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return account


def _write_record(target: Path, account: Account) -> None:
    """Temp file + rename: a reader never sees half of it."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    try:
        with open_private(tmp) as f:
            f.write(json.dumps(account.to_dict()).encode())
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def clear_signed_in(root: AppPaths) -> None:
    with contextlib.suppress(FileNotFoundError):
        root.signed_in_file.unlink()


def library_paths(root: AppPaths, config: Config) -> tuple[AppPaths, Account | None]:
    """The library to open: the signed-in account's when it belongs to the configured user pool,
    else the local-only one (signed out, or the config now points at another pool)."""
    if not root.is_account and config.cognito.configured:
        account = read_signed_in(root)
        if account is not None and account.user_pool_id == config.cognito.user_pool_id:
            return account_paths(root, account), account
    return root.local_only(), None


def database_in_use(root: AppPaths) -> Path:
    """The database the signed-in account (or no account) uses, without reading the config:
    for `ecan sync`'s no-op answer, which must stay light."""
    account = read_signed_in(root)
    if account is None:
        return root.local_only().database
    return account_paths(root, account).database


# ---- the local-only library's avatars --------------------------------------------------------

def local_only_avatars(root: AppPaths) -> int:
    """How many avatars of the user's own (not the built-in ones) the local-only library holds;
    0 when it does not exist. Plain SQL, read-only."""
    path = root.local_only().database
    if not path.exists():
        return 0
    from ecan.db.database import connect

    try:
        conn = connect(path, read_only=True)
    except sqlite3.Error:
        return 0
    try:
        return int(conn.execute(
            "SELECT COUNT(*) FROM avatar WHERE resource_type != 'system'").fetchone()[0])
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


def keep_local_decided(root: AppPaths) -> bool:
    path = root.local_only().database
    if not path.exists():
        return False
    from ecan.db.database import connect

    conn = connect(path)
    try:
        row = conn.execute("SELECT value FROM setting WHERE key = ?",
                           (KEEP_LOCAL_KEY,)).fetchone()
        return bool(row and row[0] == "1")
    except sqlite3.Error:
        return False
    finally:
        conn.close()


def keep_local(root: AppPaths) -> None:
    """The user chose to leave the local-only avatars where they are: do not ask again."""
    from ecan.db import Database

    Database(root.local_only().database).set_setting(KEEP_LOCAL_KEY, "1")


def move_local_avatars(root: AppPaths, library: AvatarLibrary, agents: AgentService
                       ) -> dict[str, Any]:
    """Move the local-only library's avatars (and the agents that use them) into `library`, an
    account's: each is imported there (queued, so it syncs under the account's identity), then
    removed from the local-only library without any cloud delete (they were never the
    account's objects to delete). Returns {moved, failed, agents_moved}."""
    from ecan.db import Database

    local = root.local_only()
    if not local.database.exists():
        return {"moved": 0, "failed": 0, "agents_moved": 0}
    db = Database(local.database)
    conn = db.connect()
    try:
        rows = conn.execute("SELECT * FROM avatar WHERE resource_type != 'system' "
                            "ORDER BY created_at").fetchall()
        agent_rows = conn.execute("SELECT * FROM agent").fetchall()
    finally:
        conn.close()
    moved: dict[str, str] = {}  # local avatar id -> its id in the account's library
    failed = 0
    for row in rows:
        try:
            result = library.import_file(local.home / row["image_path"],
                                         resource_type=row["resource_type"], name=row["name"])
            new = result.avatar
            try:
                tags = json.loads(row["tags"] or "[]")
            except ValueError:
                tags = []
            if row["description"] or tags:
                library.update(new.id, description=row["description"] or None,
                               tags=[str(t) for t in tags] if isinstance(tags, list) else None)
            if row["video_path"] and not new.video_path:
                library.attach_video(new.id, local.home / row["video_path"])
            moved[row["id"]] = new.id
        except Exception as e:  # noqa: BLE001 - one bad file must not stop the others
            failed += 1
            log.warning("could not move avatar %s into the account (%s)", row["id"],
                        getattr(e, "code", type(e).__name__))
    agents_moved = 0
    existing = {a.name for a in agents.list()}
    for agent in agent_rows:
        if agent["avatar_id"] not in moved or agent["name"] in existing:
            continue
        agents.save(name=agent["name"], description=agent["description"],
                    avatar_id=moved[agent["avatar_id"]])
        agents_moved += 1
    _forget_moved(local, db, list(moved))
    db.dispose()
    return {"moved": len(moved), "failed": failed, "agents_moved": agents_moved}


def _forget_moved(local: AppPaths, db: Any, avatar_ids: list[str]) -> None:
    """Remove moved avatars from the local-only library: rows, jobs, the agents that used them,
    and the files no remaining row uses. No delete job: the cloud is not touched."""
    if not avatar_ids:
        return
    from ecan.db.sync_state import forget_jobs

    conn = db.connect()
    files: set[str] = set()
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for avatar_id in avatar_ids:
                row = conn.execute("SELECT image_path, thumb_path, thumb_small_path, video_path "
                                   "FROM avatar WHERE id = ?", (avatar_id,)).fetchone()
                if row is None:
                    continue
                files.update(p for p in row if p)
                conn.execute("DELETE FROM agent WHERE avatar_id = ?", (avatar_id,))
                forget_jobs(conn, avatar_id)
                conn.execute("DELETE FROM avatar WHERE id = ?", (avatar_id,))
            used = {p for r in conn.execute(
                "SELECT image_path, thumb_path, thumb_small_path, video_path FROM avatar")
                for p in r if p}
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    finally:
        conn.close()
    for rel in files - used:
        with contextlib.suppress(OSError):
            (local.home / rel).unlink()
