"""Which cloud ecan talks to, and as whom: Cognito identity-pool credentials first, else static
keys from the config, else a local folder, else none (the outbox keeps the work queued)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ecan.auth.session import AuthService
from ecan.config import Config
from ecan.errors import AuthRequired, UserFacingError
from ecan.paths import AppPaths
from ecan.storage.base import BlobStore
from ecan.storage.keys import KeyLayout

_IAM_NOTE = ("identity-pool credentials are AWS IAM credentials: they do not open Cloudflare R2 "
             "or MinIO (use static keys there)")


@dataclass(frozen=True)
class Cloud:
    store: BlobStore
    layout: KeyLayout
    mode: str  # "cognito" | "static" | "local-folder"
    detail: str  # why this mode, for `ecan doctor` and the settings screen
    # Where "synced" means something: the store and the identity's prefix in it. When it
    # changes, what was synced elsewhere is checked again (Outbox.retarget).
    target: str = ""


def _no_cloud() -> UserFacingError:
    return UserFacingError(
        "no_cloud", "No cloud storage is configured; ecan keeps everything on this computer "
        "and syncs once one is.",
        "Set STORAGE.BUCKET (or AVATAR_CLOUD_BUCKET) with COGNITO.IDENTITY_POOL_ID or "
        "AVATAR_CLOUD_ACCESS_KEY/SECRET_KEY, or STORAGE.BACKEND: local.")


class CloudAccess:
    """Builds the BlobStore + key layout for the current sign-in, once, and again after a
    sign-in/out (AuthService.generation() changes)."""

    def __init__(self, config: Config, paths: AppPaths, auth: AuthService) -> None:
        self._config = config
        self._paths = paths
        self._auth = auth
        self._lock = threading.Lock()
        self._cloud: Cloud | None = None
        self._generation = -1

    def mode(self) -> str:
        """The mode the config asks for (no network): cognito | static | local-folder | none."""
        s, cg = self._config.storage, self._config.cognito
        if s.kind == "local":
            return "local-folder"
        if s.kind != "s3":
            return "none"
        if cg.configured and cg.identity_pool_id and not s.is_r2:
            return "cognito"
        if s.access_key and s.secret_key:
            return "static"
        return "none"

    def configured(self) -> bool:
        return self.mode() != "none"

    def target(self, identity: str | None = None) -> str | None:
        """(No network.) Where this library's avatars sync to: backend, bucket or folder,
        endpoint, prefix and identity, as one string; None when not known yet (no cloud, or the
        Cognito identity not resolved on this machine)."""
        s = self._config.storage
        mode = self.mode()
        if mode == "none":
            return None
        if identity is None:
            if mode == "cognito":
                identity = self._auth.identity_id() if self._auth is not None else None
            else:
                known = self._auth.identity_id() if self._auth is not None and \
                    self._config.cognito.configured else None
                identity = known or s.user_id
        if not identity:
            return None
        where = (s.local_path or str(self._paths.local_cloud)) if mode == "local-folder" \
            else f"{s.bucket}@{s.endpoint_url or 'aws:' + (s.region or '')}"
        from ecan.storage.keys import validate_prefix

        try:
            return f"{mode}|{where}|{validate_prefix(s.path_prefix)}{identity}/"
        except ValueError:  # reported by the config check; nothing can sync meanwhile
            return None

    def open(self) -> Cloud:
        with self._lock:
            generation = self._auth.generation()
            if self._cloud is not None and generation == self._generation:
                return self._cloud
            cloud = self._build()
            self._cloud, self._generation = cloud, generation
            return cloud

    def invalidate(self) -> None:
        with self._lock:
            self._cloud = None

    def _build(self) -> Cloud:
        from ecan.storage.factory import make_blob_store

        s, cg = self._config.storage, self._config.cognito
        mode = self.mode()
        connections = self._config.sync.concurrency + 2
        if mode == "cognito":
            if not self._auth.signed_in:  # (reads the keyring: a saved session counts)
                if self._auth.status()["session_expired"]:
                    raise AuthRequired("Your session expired — sign in again.")
                raise AuthRequired("You are not signed in.", signed_out=True)
            identity = self._auth.require_identity_id()
            # botocore is loaded when a request first needs it; until then requests are signed
            # with the credentials kept from an earlier run, while they last.
            store = make_blob_store(s, self._paths, session=self._auth.boto_session,
                                    credentials=self._auth.kept_credentials,
                                    max_connections=connections,
                                    proxy=self._config.network.url())
            detail = (f"Cognito identity pool {cg.identity_pool_id}: temporary credentials for "
                      f"{identity}, refreshed before they expire; note: {_IAM_NOTE}.")
            return Cloud(store, KeyLayout(s.path_prefix, identity), mode, detail,
                         self.target(identity) or "")
        if mode == "static":
            identity = self._auth.identity_id() or s.user_id
            store = make_blob_store(s, self._paths, session=None, max_connections=connections,
                                    proxy=self._config.network.url())
            why = ("R2 storage" if s.is_r2 and cg.identity_pool_id
                   else "no COGNITO.IDENTITY_POOL_ID")
            detail = (f"static access keys ({why}); objects under folder {identity}; "
                      "per-user isolation is the bucket operator's policy; note: "
                      f"{_IAM_NOTE}.")
            return Cloud(store, KeyLayout(s.path_prefix, identity), mode, detail,
                         self.target(identity) or "")
        if mode == "local-folder":
            identity = self._auth.identity_id() or s.user_id
            store = make_blob_store(s, self._paths, session=None, max_connections=connections,
                                    proxy=self._config.network.url())
            where = s.local_path or str(self._paths.local_cloud)
            return Cloud(store, KeyLayout(s.path_prefix, identity), mode,
                         f"a local folder ({where}) stands in for the cloud",
                         self.target(identity) or "")
        raise _no_cloud()
