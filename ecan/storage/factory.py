"""Builds the BlobStore the config asks for. botocore is imported only when an `s3` request
needs it (it costs a noticeable part of a second at startup); boto3 not at all."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecan.config import StorageConfig
from ecan.errors import UserFacingError
from ecan.paths import AppPaths
from ecan.storage.base import BlobStore

if TYPE_CHECKING:
    from botocore.session import Session

    from ecan.storage.s3direct import Credentials


def make_blob_store(storage: StorageConfig, paths: AppPaths, *,
                    session: Callable[[], Session] | None = None,
                    credentials: Callable[[], Credentials | None] | None = None,
                    max_connections: int = 10, proxy: str = "",
                    **s3_options: Any) -> BlobStore:
    """`local` -> a folder (STORAGE.LOCAL_PATH or $ECAN_HOME/cloud); `s3` -> S3BlobStore with
    the botocore session `session` makes when first needed and the `credentials` at hand
    without it (Cognito's), or else the static keys from the config. `s3_options` pass through
    to S3BlobStore (timeouts, retry attempts, page size) for tests and benchmarks."""
    kind = storage.kind
    if kind == "local":
        from ecan.storage.local import LocalBlobStore

        root = Path(storage.local_path).expanduser() if storage.local_path else paths.local_cloud
        return LocalBlobStore(root, public_url_base=storage.public_url_base)
    if kind == "s3":
        from ecan.storage.s3 import S3BlobStore

        if session is None:
            session, credentials = (lambda: static_session(storage)), static_keys(storage)
        return S3BlobStore(
            session, storage.bucket, credentials=credentials, endpoint_url=storage.endpoint_url,
            region=storage.region, is_r2=storage.is_r2, cdn_domain=storage.cdn_domain,
            public_url_base=storage.public_url_base,
            max_connections=max_connections, proxy=proxy, **s3_options)
    raise UserFacingError(
        "no_cloud", "No cloud storage is configured; ecan keeps everything on this computer.",
        "Set STORAGE.BUCKET (or AVATAR_CLOUD_BUCKET) for S3, or STORAGE.BACKEND: local.")


def static_keys(storage: StorageConfig) -> Callable[[], Credentials | None] | None:
    """The config's keys for the direct path (no botocore needed to sign with them)."""
    from ecan.storage.s3direct import Credentials

    if not (storage.access_key and storage.secret_key):
        return None
    keys = Credentials(storage.access_key, storage.secret_key, None)
    return lambda: keys


def static_session(storage: StorageConfig) -> Session:
    """A botocore session holding only the keys from ecan's config. It never falls back to the
    developer's ~/.aws files, AWS_* variables or instance metadata: with no keys configured it
    has no credentials, and requests fail with the mapped "no credentials" error."""
    from botocore.credentials import CredentialResolver

    from ecan.storage.botodata import botocore_session

    core = botocore_session()
    # Empty resolver: the default chain would search env, ~/.aws and IMDS (slow, and not ours).
    core.register_component("credential_provider", CredentialResolver(providers=[]))
    if storage.access_key and storage.secret_key:
        core.set_credentials(storage.access_key, storage.secret_key)
    if storage.region:
        core.set_config_variable("region", storage.region)
    return core
