"""What lives in the OS keyring only: the refresh token, and the secrets typed in Settings (proxy
password, static access keys, Gemini API key). Picks the keyring backend (honouring
PYTHON_KEYRING_BACKEND), degrades to "this process only" when there is none, and provides the
in-memory twin tests use."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

log = logging.getLogger(__name__)

SERVICE = "ecan"
# The password of the proxy in NETWORK.PROXY (Settings keeps it here, never in a file).
PROXY_ACCOUNT = "network-proxy-password"
# Opt-in for headless machines: keep the refresh token in keyrings.alt's plaintext file store
# (readable by anyone with access to the user's files), instead of losing the session at exit.
ALLOW_FILE_ENV = "ECAN_ALLOW_FILE_KEYRING"
NO_KEYRING_NOTICE = ("no keyring: you will need to sign in again next time "
                     f"(set {ALLOW_FILE_ENV}=1 to keep the session in a file instead)")


class MemoryKeyring(KeyringBackend):
    """The in-memory twin of an OS keyring (tests, and the demo mode). Priority 0 so keyring's
    own detection never picks it over a real one."""

    priority = 0  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


def keyring_kind(backend: KeyringBackend | None) -> str:
    """"os" | "memory" | "file" | "none", as status() reports it."""
    if backend is None:
        return "none"
    if isinstance(backend, MemoryKeyring):
        return "memory"
    module = type(backend).__module__
    if module.startswith("keyrings.alt"):
        return "file"
    if module == "keyring.backends.fail" or module == "keyring.backends.null":
        return "none"
    return "os"


def resolve_backend(env: Mapping[str, str] | None = None, remembered: Path | None = None
                    ) -> KeyringBackend | None:
    """The keyring to keep the session in, or None (session for this process only).

    An explicit choice wins (PYTHON_KEYRING_BACKEND, keyring's config file). Otherwise only a
    *recommended* backend (an OS keyring) is used: keyring's own detection would happily pick
    keyrings.alt's plaintext file when it is installed, and we never write a secret to disk
    unless the user asked for it (ECAN_ALLOW_FILE_KEYRING=1).

    `remembered`: a file (no secret in it: a class name) naming the keyring chosen last time.
    Looking for an OS keyring imports every backend keyring knows, macOS's on Linux too: 60-90
    ms of every start. The remembered one is used while it still loads and says it is usable
    (the plaintext file: while the user still opts in); the session is kept there, so a keyring
    that appears since does not move it elsewhere."""
    import keyring.core

    env = os.environ if env is None else env
    try:
        explicit = keyring.core.load_env() or keyring.core.load_config()
    except Exception as e:  # a misspelt backend name must not stop the app
        log.warning("the configured keyring backend cannot be loaded (%s)", type(e).__name__)
        explicit = None
    if explicit is not None:
        return explicit if keyring_kind(explicit) != "none" else None
    allow_file = env.get(ALLOW_FILE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}
    kinds = ("os", "file") if allow_file else ("os",)
    found = _remembered_backend(remembered, kinds) if remembered is not None else None
    if found is None:
        found = _os_keyring()
        if found is None and allow_file:
            from keyrings.alt.file import PlaintextKeyring

            found = PlaintextKeyring()
        if found is not None and remembered is not None:
            _remember_backend(remembered, found)
    return found


def _os_keyring() -> KeyringBackend | None:
    """The OS keyring keyring's detection rates highest, if there is one."""
    import keyring.backend

    try:
        candidates = [k for k in keyring.backend.get_all_keyring() if _usable_os_keyring(k)]
    except Exception as e:
        log.warning("looking for an OS keyring failed (%s)", type(e).__name__)
        return None
    return max(candidates, key=lambda k: k.priority) if candidates else None


def _usable_os_keyring(backend: KeyringBackend) -> bool:
    """An OS keyring that rates itself usable here (keyring's chainer of them aside)."""
    return (backend.priority >= 1 and keyring_kind(backend) == "os"
            and type(backend).__name__ != "ChainerBackend")


def _remembered_backend(path: Path, kinds: tuple[str, ...]) -> KeyringBackend | None:
    """The keyring `path` names, if it is of one of `kinds` and still loads and is usable here
    (a desktop keyring may be out of reach in an SSH session): else None, and the keyring is
    looked for again."""
    import keyring.core

    try:
        name = json.loads(path.read_text(encoding="utf-8"))["backend"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        backend = keyring.core.load_keyring(str(name))  # raises if not usable here
        kind = keyring_kind(backend)
        # (An OS keyring as detection takes one; the plaintext file rates itself 0.5.)
        if kind in kinds and (_usable_os_keyring(backend) if kind == "os"
                              else backend.priority >= 0.5):
            return backend
    except Exception as e:  # gone (uninstalled), not viable, or not a keyring at all
        log.info("the keyring used last time is not usable now (%s)", type(e).__name__)
    return None


def _remember_backend(path: Path, backend: KeyringBackend) -> None:
    from ecan.paths import PRIVATE_DIR, replace_private_file

    try:
        path.parent.mkdir(mode=PRIVATE_DIR, exist_ok=True)  # in ECAN_HOME: never makes it
        kind = type(backend)
        name = f"{kind.__module__}.{kind.__qualname__}"
        replace_private_file(path, json.dumps({"backend": name}))
    except OSError as e:  # a read-only home: detection runs each time, as before
        log.debug("keyring choice not remembered (%s)", type(e).__name__)


class SecretStore:
    """One JSON blob per account in the keyring. Every keyring failure degrades to keeping the
    session in memory for this process (with one plain notice), never to a crash."""

    def __init__(self, backend: KeyringBackend | None) -> None:
        self._backend = backend
        self._fallback: dict[str, str] = {}
        self._noticed = False
        self.problem: str | None = None  # why the keyring is not used, when the user can fix it

    @property
    def kind(self) -> str:
        return keyring_kind(self._backend)

    @property
    def persistent(self) -> bool:
        return self._backend is not None

    def _degrade(self, what: str, err: Exception) -> None:
        # A keyring kept in a file (keyrings.alt's) that is damaged fails every read the same
        # way: name the file, and what to do about it.
        where = getattr(self._backend, "file_path", None)
        if where and what == "read":
            self.problem = (f"the keyring file {where} cannot be read ({type(err).__name__}): "
                            "move it aside, then sign in again")
        log.warning("the keyring refused to %s (%s); keeping the session for this run only%s",
                    what, type(err).__name__, f" ({self.problem})" if self.problem else "")
        self._backend = None
        self.notice()

    def notice(self) -> None:
        """Tell the user once that nothing will outlive this process."""
        if not self._noticed:
            self._noticed = True
            log.warning(NO_KEYRING_NOTICE)

    def get(self, account: str) -> str | None:
        if self._backend is None:
            return self._fallback.get(account)
        try:
            return self._backend.get_password(SERVICE, account)
        except Exception as e:  # noqa: BLE001 - any backend's failure (a damaged file too)
            self._degrade("read", e)
            return self._fallback.get(account)

    def set(self, account: str, value: str) -> None:
        if self._backend is None:
            self.notice()
            self._fallback[account] = value
            return
        try:
            self._backend.set_password(SERVICE, account, value)
        except Exception as e:  # noqa: BLE001 - any backend's failure (a damaged file too)
            self._degrade("save", e)
            self._fallback[account] = value

    def delete(self, account: str) -> None:
        self._fallback.pop(account, None)
        if self._backend is None:
            return
        try:
            self._backend.delete_password(SERVICE, account)
        except PasswordDeleteError:
            pass  # nothing stored: already signed out
        except Exception as e:  # noqa: BLE001 - any backend's failure (a damaged file too)
            log.warning("the keyring refused to delete the session (%s)", type(e).__name__)


def backend_from(value: Any, remembered: Path | None = None) -> KeyringBackend | None:
    """An injected backend (tests: MemoryKeyring), or the resolved one when None."""
    return value if value is not None else resolve_backend(remembered=remembered)


@dataclass(frozen=True)
class KeptSecret:
    """A secret Settings keeps in the keyring and never in a file: its keyring entry, the config
    fields it fills (`section`: the Config attribute) and the environment names that set them,
    which are also how the sync process, which never reads the keyring, is given it. A pair is
    one entry, so it is never half saved."""

    account: str
    section: str
    fields: tuple[str, ...]
    env: tuple[str, ...]


PROXY_PASSWORD = KeptSecret(PROXY_ACCOUNT, "network", ("proxy_password",),
                            ("ECAN_PROXY_PASSWORD",))
# Static keys for S3, R2 or MinIO: the fallback when no identity pool gives credentials.
ACCESS_KEYS = KeptSecret("storage-access-keys", "storage", ("access_key", "secret_key"),
                         ("AVATAR_CLOUD_ACCESS_KEY", "AVATAR_CLOUD_SECRET_KEY"))
GEMINI_API_KEY = KeptSecret("gemini-api-key", "gemini", ("api_key",), ("GEMINI_API_KEY",))
KEPT_SECRETS = (PROXY_PASSWORD, ACCESS_KEYS, GEMINI_API_KEY)


def read_kept(store: SecretStore, secret: KeptSecret) -> tuple[str, ...] | None:
    """The values kept for `secret` (one per field), or None when none are (or the entry is
    not one ecan wrote)."""
    raw = store.get(secret.account)
    if not raw:
        return None
    if len(secret.fields) == 1:
        return (raw,)
    try:
        values = json.loads(raw)
    except ValueError:
        return None
    if not (isinstance(values, list) and len(values) == len(secret.fields)
            and all(isinstance(v, str) and v for v in values)):
        return None
    return tuple(values)


def save_kept(store: SecretStore, secret: KeptSecret, values: tuple[str, ...] | None) -> None:
    """Keep `values` for `secret` in the keyring (with none, in `store` for this process);
    None (or empty values) forgets it."""
    if not values or not all(values):
        store.delete(secret.account)
        return
    if len(values) != len(secret.fields):
        raise ValueError(f"{secret.account} takes {len(secret.fields)} values")
    store.set(secret.account, values[0] if len(values) == 1 else json.dumps(list(values)))


def with_kept(config: Any, store: Callable[[], SecretStore], secret: KeptSecret) -> Any:
    """`config` (an ecan.config.Config) with `secret` from the keyring when neither the
    environment nor the config file set any of its fields (they come first, in that order);
    the config's `from_keyring` then names it. `store()` is called only when the keyring is
    to be read (finding the keyring is slow)."""
    from dataclasses import replace

    section = getattr(config, secret.section)
    if any(getattr(section, name) for name in secret.fields):
        return config
    values = read_kept(store(), secret)
    if values is None:
        return config
    filled = replace(section, **dict(zip(secret.fields, values, strict=True)))
    return replace(config, **{secret.section: filled},
                   from_keyring=config.from_keyring | {secret.account})


def with_proxy_password(config: Any, store: Callable[[], SecretStore]) -> Any:
    """`config` with its proxy's password from the keyring, when the proxy names a user and
    the environment gave no password."""
    from urllib.parse import urlparse

    network = config.network
    if not network.proxy or not urlparse(network.proxy).username:
        return config
    return with_kept(config, store, PROXY_PASSWORD)


def with_access_keys(config: Any, store: Callable[[], SecretStore]) -> Any:
    """`config` with the static keys from the keyring, when it syncs to S3 (or R2, MinIO) and
    the environment and the file name none."""
    if config.storage.kind != "s3":
        return config
    return with_kept(config, store, ACCESS_KEYS)


def kept_env(config: Any) -> dict[str, str]:
    """The secrets `config` took from the keyring, by the environment names that set them: how
    a child process that never reads the keyring (the sync process) is given them."""
    env: dict[str, str] = {}
    for secret in KEPT_SECRETS:
        if secret.account in config.from_keyring:
            section = getattr(config, secret.section)
            for name, field_name in zip(secret.env, secret.fields, strict=True):
                env[name] = getattr(section, field_name)
    return env


def save_proxy_password(store: SecretStore, password: str) -> None:
    """Keep (or, empty, forget) the proxy's password in the keyring."""
    save_kept(store, PROXY_PASSWORD, (password,) if password else None)
