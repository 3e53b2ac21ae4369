"""The one place that builds ecan's services and hands each what it uses (no globals, no
service locator). Services are built on first use, so a quick CLI command pays only for what
it touches."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecan.config import Config, SyncConfig, load_config
from ecan.logsetup import setup_logging
from ecan.paths import AppPaths

if TYPE_CHECKING:
    from ecan.agents.service import AgentService
    from ecan.auth.cloud import CloudAccess
    from ecan.auth.secrets import SecretStore
    from ecan.auth.session import AuthService
    from ecan.avatars.import_pool import ImportPool
    from ecan.avatars.library import AvatarLibrary
    from ecan.db import Database
    from ecan.handlers import Handlers
    from ecan.imagegen.service import GenerationService
    from ecan.sync.control import SyncControl
    from ecan.sync.engine import SyncEngine


@dataclass
class App:
    paths: AppPaths
    config: Config
    log_path: Path
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    # Injected by tests (an in-memory keyring) or by the demo mode; None: the OS keyring.
    keyring_backend: Any = None
    # The desktop app imports files in worker processes (ecan.avatars.import_pool says why).
    image_workers: bool = False
    # The desktop window's proxy to its sync process: set, the window's `sync` is the engine
    # over there and no engine is ever built here.
    sync_control: SyncControl | None = None

    def __post_init__(self) -> None:
        self.config = self._completed(self.config)

    def _completed(self, config: Config) -> Config:
        """The config with what it may not hold itself, from the keyring: the proxy's password
        and the static access keys (the Gemini key is read when a generation needs it)."""
        from ecan.auth.secrets import with_access_keys, with_proxy_password

        config = with_proxy_password(config, lambda: self.kept_secrets)
        return with_access_keys(config, lambda: self.kept_secrets)  # type: ignore[no-any-return]

    @cached_property
    def kept_secrets(self) -> SecretStore:
        """Where the secrets typed in Settings are kept: the keyring. One store for the whole
        run: with no keyring it holds them itself, until ecan quits."""
        from ecan.auth.secrets import SecretStore, backend_from

        return SecretStore(backend_from(self.keyring_backend, self.paths.cache / "keyring.json"))

    def kept_env(self) -> dict[str, str]:
        """The secrets the config took from the keyring, by the environment names that set
        them: how a helper process that never reads the keyring (the sync process) gets them."""
        from ecan.auth.secrets import kept_env

        return kept_env(self.config)

    @cached_property
    def import_pool(self) -> ImportPool:
        from ecan.avatars.import_pool import ImportPool

        return ImportPool(self.paths)

    @cached_property
    def db(self) -> Database:
        from ecan.db import Database

        return Database(self.paths.database)

    @cached_property
    def library(self) -> AvatarLibrary:
        from ecan.avatars.library import AvatarLibrary

        if self.image_workers:
            return AvatarLibrary(self.paths, self.db, import_one=self.import_pool.import_one)
        return AvatarLibrary(self.paths, self.db)

    @cached_property
    def agents(self) -> AgentService:
        from ecan.agents.service import AgentService

        return AgentService(self.db, self.library)

    @cached_property
    def auth(self) -> AuthService:
        from ecan.auth.session import AuthService

        # The session is kept in the same store as the secrets typed in Settings: the keyring
        # is found once per run.
        return AuthService(self.config, self.db, secret_store=lambda: self.kept_secrets)

    @cached_property
    def cloud(self) -> CloudAccess:
        from ecan.auth.cloud import CloudAccess

        return CloudAccess(self.config, self.paths, self.auth)

    @property
    def sync(self) -> SyncControl:
        """How this process controls sync: the engine, or the window's proxy to it."""
        return self.sync_control if self.sync_control is not None else self.engine

    @cached_property
    def engine(self) -> SyncEngine:
        """This process's own sync engine (`ecan sync`, `ecan restore`, the sync process)."""
        if self.sync_control is not None:
            raise RuntimeError("this process syncs through its sync process, not an engine")
        from ecan.sync.engine import SyncEngine

        return SyncEngine(self.db, self.paths, self.cloud, self.config.sync, auth=self.auth,
                          reconfigure=self._reconfigured)

    def reload_config(self) -> None:
        """Read the config again (Settings saved a change) and rebuild what is made from it:
        the cloud access (the next open() builds the new store). Raises ConfigError."""
        config = load_config(self.paths, self.env)
        self.config = self._completed(config)
        self.__dict__.pop("cloud", None)
        self.__dict__.pop("generator", None)

    def _reconfigured(self) -> tuple[CloudAccess, SyncConfig]:
        """The engine's reload_config: the re-read config's cloud access and sync settings."""
        self.reload_config()
        return self.cloud, self.config.sync

    @cached_property
    def generator(self) -> GenerationService:
        from ecan.auth.secrets import GEMINI_API_KEY, with_kept
        from ecan.imagegen.service import GenerationService

        # Read here, not at start: most runs of ecan never generate, and keyring reads are slow.
        config = with_kept(self.config, lambda: self.kept_secrets, GEMINI_API_KEY)
        return GenerationService(self.db, self.library, config.gemini,
                                 proxy=config.network.url())

    @cached_property
    def handlers(self) -> Handlers:
        from ecan.handlers import build_handlers

        return build_handlers(self)

    def close(self, wait_s: float | None = None) -> None:
        """`wait_s`: how long the sync engine may still wait for what it asked the cloud
        (SyncEngine.close)."""
        if "import_pool" in self.__dict__:
            self.import_pool.close()
        if "engine" in self.__dict__:
            self.engine.close(wait_s)
        if "db" in self.__dict__:
            self.db.dispose()

    # The services built for one library; the handlers, config and log stay across a switch.
    _LIBRARY_SERVICES = ("import_pool", "db", "library", "agents", "auth", "cloud", "engine",
                         "generator")

    def switch_library(self, paths: AppPaths) -> None:
        """Open another library (an account's, or the local-only one): the services of the
        current one are closed and built again, on first use, for `paths`."""
        if paths == self.paths:
            return
        self.close()
        for name in self._LIBRARY_SERVICES:
            self.__dict__.pop(name, None)
        self.paths = paths.ensure()


def build_app(env: Mapping[str, str] | None = None, *, keyring_backend: Any = None,
              log_to_stderr: bool = False, image_workers: bool = False) -> App:
    """Read ECAN_HOME / ECAN_CONFIG / the environment and wire the app. Raises ConfigError."""
    from ecan.accounts import library_paths

    env = dict(os.environ if env is None else env)
    root = AppPaths.from_env(env).ensure()
    log_path = setup_logging(root.logs, stderr=log_to_stderr)
    root.make_private()  # a library an older ecan left readable to others (logged)
    config = load_config(root, env)
    # The signed-in account's library, or the local-only one: nothing of another is opened.
    paths = library_paths(root, config)[0].ensure()
    return App(paths=paths, config=config, log_path=log_path, env=env,
               keyring_backend=keyring_backend, image_workers=image_workers)
