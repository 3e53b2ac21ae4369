"""Where ecan keeps its data: everything lives under one root, `ECAN_HOME` (contract), defaulting
to the platform's user data dir."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ecan.errors import ConfigError


@dataclass(frozen=True)
class AppPaths:
    home: Path

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
    def database(self) -> Path:
        return self.home / "ecan.sqlite3"

    @property
    def default_config(self) -> Path:
        return self.home / "auth_config.yml"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

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
        return self.home / "cloud"

    def ensure(self) -> AppPaths:
        for d in (self.home, self.logs, self.uploaded, self.generated, self.system,
                  self.thumbnails, self.videos, self.tmp):
            d.mkdir(parents=True, exist_ok=True)
        return self
