"""Where the refresh token lives: the OS keyring only. Picks the keyring backend (honouring
PYTHON_KEYRING_BACKEND), degrades to "this process only" when there is none, and provides the
in-memory twin tests use."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, PasswordDeleteError

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


def resolve_backend(env: Mapping[str, str] | None = None) -> KeyringBackend | None:
    """The keyring to keep the session in, or None (session for this process only).

    An explicit choice wins (PYTHON_KEYRING_BACKEND, keyring's config file). Otherwise only a
    *recommended* backend (an OS keyring) is used: keyring's own detection would happily pick
    keyrings.alt's plaintext file when it is installed, and we never write a secret to disk
    unless the user asked for it (ECAN_ALLOW_FILE_KEYRING=1)."""
    import keyring.backend
    import keyring.core

    env = os.environ if env is None else env
    try:
        explicit = keyring.core.load_env() or keyring.core.load_config()
    except Exception as e:  # a misspelt backend name must not stop the app
        log.warning("the configured keyring backend cannot be loaded (%s)", type(e).__name__)
        explicit = None
    if explicit is not None:
        return explicit if keyring_kind(explicit) != "none" else None
    try:
        candidates = [k for k in keyring.backend.get_all_keyring()
                      if k.priority >= 1 and keyring_kind(k) == "os"
                      and type(k).__name__ != "ChainerBackend"]
    except Exception as e:
        log.warning("looking for an OS keyring failed (%s)", type(e).__name__)
        candidates = []
    if candidates:
        return max(candidates, key=lambda k: k.priority)
    if env.get(ALLOW_FILE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}:
        from keyrings.alt.file import PlaintextKeyring

        return PlaintextKeyring()
    return None


class SecretStore:
    """One JSON blob per account in the keyring. Every keyring failure degrades to keeping the
    session in memory for this process (with one plain notice), never to a crash."""

    def __init__(self, backend: KeyringBackend | None) -> None:
        self._backend = backend
        self._fallback: dict[str, str] = {}
        self._noticed = False

    @property
    def kind(self) -> str:
        return keyring_kind(self._backend)

    @property
    def persistent(self) -> bool:
        return self._backend is not None

    def _degrade(self, what: str, err: Exception) -> None:
        log.warning("the keyring refused to %s (%s); keeping the session for this run only",
                    what, type(err).__name__)
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
        except (KeyringError, RuntimeError, OSError) as e:
            self._degrade("read", e)
            return self._fallback.get(account)

    def set(self, account: str, value: str) -> None:
        if self._backend is None:
            self.notice()
            self._fallback[account] = value
            return
        try:
            self._backend.set_password(SERVICE, account, value)
        except (KeyringError, RuntimeError, OSError) as e:
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
        except (KeyringError, RuntimeError, OSError) as e:
            log.warning("the keyring refused to delete the session (%s)", type(e).__name__)


def backend_from(value: Any) -> KeyringBackend | None:
    """An injected backend (tests: MemoryKeyring), or the resolved one when None."""
    return value if value is not None else resolve_backend()


def with_proxy_password(config: Any, keyring_backend: Any) -> Any:
    """`config` (an ecan.config.Config) with its proxy's password from the keyring, when the
    proxy names a user and the environment gave no password."""
    from dataclasses import replace
    from urllib.parse import urlparse

    network = config.network
    if not network.proxy or network.proxy_password or not urlparse(network.proxy).username:
        return config
    password = SecretStore(backend_from(keyring_backend)).get(PROXY_ACCOUNT)
    if not password:
        return config
    return replace(config, network=replace(network, proxy_password=password))


def save_proxy_password(keyring_backend: Any, password: str) -> None:
    """Keep (or, empty, forget) the proxy's password in the keyring."""
    store = SecretStore(backend_from(keyring_backend))
    if password:
        store.set(PROXY_ACCOUNT, password)
    else:
        store.delete(PROXY_ACCOUNT)
