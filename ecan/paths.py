"""Where ecan keeps its data: everything lives under one root, `ECAN_HOME` (contract), defaulting
to the platform's user data dir."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ecan.errors import ConfigError

log = logging.getLogger(__name__)

# The library is the user's alone: photos, prompts, identity ids, logs. Folders 0700, files 0600,
# whatever the umask (a usual 022 would make them readable by every user of the computer).
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def open_private(path: Path) -> BinaryIO:
    """A new file (never an existing one, never through a symlink) only its owner can read,
    open for writing in binary."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    return os.fdopen(os.open(path, flags, PRIVATE_FILE), "wb")


def replace_private_file(path: Path, text: str) -> None:
    """Write `text` to `path` atomically (temp file, then rename), private to the user (0600):
    the config may hold keys, and names the user's pools and bucket."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Named for this process: two starting at once (the window and its sync process both
    # write the caches) never write into, or remove, each other's.
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)  # a crash's leftover: open_private makes a new file only
    try:
        with open_private(tmp) as f:
            f.write(text.encode("utf-8"))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def make_private_dirs(path: Path) -> None:
    """`path` and any missing folders above it, each private (mkdir's mode= covers only the
    last one)."""
    missing = []
    while not path.is_dir():
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    for folder in reversed(missing):
        folder.mkdir(mode=PRIVATE_DIR, exist_ok=True)


def make_private_file(path: Path) -> None:
    """Create `path` empty and private unless it exists (then it is left as it is), so that
    whoever writes it later (SQLite, Qt) keeps its mode."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        pass


@dataclass(frozen=True)
class AppPaths:
    """`home` is the library's own folder (database, files, outbox); `root` is ECAN_HOME when the
    library is an account's (`ECAN_HOME/accounts/<pool hash>-<sub>/`), None for the local-only
    library, which lives in ECAN_HOME itself. What belongs to the computer rather than to one
    library (logs, the config, the window's settings, which account is signed in) is at the
    root."""

    home: Path
    root: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AppPaths:
        env = os.environ if env is None else env
        home = env.get("ECAN_HOME")
        if home:
            path = Path(home).expanduser().resolve()
            if path.exists() and not path.is_dir():
                # Said before anything (the log included) tries to live under it.
                raise ConfigError("ECAN_HOME", f"{path} is a file, not a folder",
                                  "Point ECAN_HOME at a folder (it is created if missing), or "
                                  "unset it to use the default.")
            return cls(path)
        import platformdirs  # only needed when ECAN_HOME is not set

        return cls(Path(platformdirs.user_data_dir("ecan", appauthor=False)))

    @property
    def ecan_home(self) -> Path:
        return self.root or self.home

    @property
    def is_account(self) -> bool:
        return self.root is not None

    def local_only(self) -> AppPaths:
        """The local-only library (used without an account): ECAN_HOME itself."""
        return AppPaths(self.ecan_home)

    def for_account(self, folder: str) -> AppPaths:
        """An account's library, `folder` being its name under `accounts/` (see
        ecan.accounts.library_folder, which makes it safe)."""
        if not folder or "/" in folder or "\\" in folder or folder in (".", ".."):
            raise ValueError(f"not a library folder name: {folder!r}")
        return AppPaths(self.ecan_home / "accounts" / folder, root=self.ecan_home)

    @property
    def signed_in_file(self) -> Path:
        """Which account is signed in on this computer (pool, sub, username; never a token)."""
        return self.ecan_home / "account.json"

    @property
    def database(self) -> Path:
        return self.home / "ecan.sqlite3"

    @property
    def default_config(self) -> Path:
        return self.ecan_home / "auth_config.yml"

    @property
    def logs(self) -> Path:
        return self.ecan_home / "logs"

    @property
    def cache(self) -> Path:
        """What start-up would otherwise work out again (never a secret): the config as
        parsed, the keyring found."""
        return self.ecan_home / "cache"

    @property
    def uploaded(self) -> Path:
        return self.home / "resource" / "avatars" / "uploaded"

    @property
    def generated(self) -> Path:
        return self.home / "resource" / "avatars" / "generated"

    @property
    def system(self) -> Path:
        return self.home / "resource" / "avatars" / "system"

    @property
    def thumbnails(self) -> Path:
        return self.home / "resource" / "avatars" / "thumbnails"

    @property
    def videos(self) -> Path:
        return self.home / "resource" / "avatars" / "videos"

    @property
    def tmp(self) -> Path:
        """Scratch space on the same filesystem as the data, so temp + rename is atomic."""
        return self.home / "tmp"

    @property
    def local_cloud(self) -> Path:
        """Default folder for the `local` storage backend when no LOCAL_PATH is configured."""
        return self.ecan_home / "cloud"

    def ensure(self) -> AppPaths:
        """Create the library's folders, private (an existing library is made private by
        make_private, once logging is up)."""
        self.ecan_home.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)  # above: not ours
        make_private_dirs(self.home)
        for d in (self.logs, self.uploaded, self.generated, self.system, self.thumbnails,
                  self.videos, self.tmp):
            make_private_dirs(d)
        return self

    def make_private(self) -> int:
        """Make a library that other users of the computer can read (one written before ecan
        made its files private, or copied in) private: ECAN_HOME 0700, and below it folders
        0700 and files 0600. Returns how many entries were changed; 0 (and no walk) when
        ECAN_HOME is already private, so this runs once per library."""
        if os.name != "posix":  # Windows: the user's profile folder is private already
            return 0
        home = self.ecan_home
        try:
            st = os.lstat(home)
        except FileNotFoundError:
            return 0
        if not stat.S_ISDIR(st.st_mode) or not st.st_mode & 0o077:
            return 0
        changed = _restrict(home, st.st_mode)
        for root, dirs, files in os.walk(home):
            for name in dirs + files:
                path = os.path.join(root, name)
                try:
                    entry = os.lstat(path)
                except OSError:
                    continue
                # Symlinks are neither changed nor followed: what they point at is not ours.
                if not stat.S_ISLNK(entry.st_mode):
                    changed += _restrict(path, entry.st_mode)
        log.warning("The library %s could be read by other users of this computer; it is "
                    "private now (%d files and folders changed).", home, changed)
        return changed


def _restrict(path: str | Path, mode: int) -> int:
    """Take group and other permissions away (the owner's stay); 1 if the mode changed."""
    wanted = stat.S_IMODE(mode) & ~0o077
    if wanted == stat.S_IMODE(mode):
        return 0
    try:
        os.chmod(path, wanted)
    except OSError as e:  # not ours, or a read-only filesystem: say so, go on
        log.warning("could not make %s private: %s", path, e.strerror or type(e).__name__)
        return 0
    return 1
