"""What a running local cloud tells its users: endpoints, ids, demo users and admin keys, as the
contract's ready line (`ecan demo-cloud`) and as an `auth_config.yml` pointing at it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecan.cloudops.configfile import write_config_file
from ecan.config import DEFAULT_PREFIX


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class AdminKeys:
    """Full access to the local cloud (for scripts and tests; never written to a config)."""

    access_key_id: str
    secret_access_key: str = field(repr=False)


@dataclass(frozen=True)
class DemoCloudInfo:
    endpoint: str
    region: str
    user_pool_id: str
    client_id: str
    identity_pool_id: str
    bucket: str
    users: list[DemoUser]
    admin: AdminKeys
    path_prefix: str = DEFAULT_PREFIX
    # Reads the codes the cloud "sent" by e-mail or SMS (GET {endpoint}/ecan-demo/inbox with
    # the X-Ecan-Inbox-Token header), for scripts and tests.
    inbox_token: str = field(default="", repr=False)

    @property
    def hosted_ui_domain(self) -> str:
        return self.endpoint

    def ready_document(self, config_path: str | None = None) -> dict[str, Any]:
        """The contract's ready line (one JSON object)."""
        return {
            "endpoint": self.endpoint,
            "region": self.region,
            "user_pool_id": self.user_pool_id,
            "client_id": self.client_id,
            "identity_pool_id": self.identity_pool_id,
            "bucket": self.bucket,
            "users": [{"username": u.username, "password": u.password} for u in self.users],
            "admin": {"access_key_id": self.admin.access_key_id,
                      "secret_access_key": self.admin.secret_access_key},
            "inbox": {"url": f"{self.endpoint}/ecan-demo/inbox", "token": self.inbox_token},
            "config": config_path,
        }

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> DemoCloudInfo:
        """Read a ready line back (the DemoCloud handle reads its server's this way)."""
        return cls(
            endpoint=doc["endpoint"], region=doc["region"], user_pool_id=doc["user_pool_id"],
            client_id=doc["client_id"], identity_pool_id=doc["identity_pool_id"],
            bucket=doc["bucket"],
            users=[DemoUser(u["username"], u["password"]) for u in doc["users"]],
            admin=AdminKeys(doc["admin"]["access_key_id"], doc["admin"]["secret_access_key"]),
            inbox_token=str((doc.get("inbox") or {}).get("token") or ""),
        )

    def config_document(self) -> dict[str, dict[str, str]]:
        """The `auth_config.yml` body that points at this cloud. No secrets: ecan gets its keys
        by signing in (contract: ecan never writes a secret into a config file)."""
        return {
            "COGNITO": {"USER_POOL_ID": self.user_pool_id, "CLIENT_ID": self.client_id,
                        "IDENTITY_POOL_ID": self.identity_pool_id, "REGION": self.region,
                        "ENDPOINT_URL": self.endpoint, "DOMAIN": self.hosted_ui_domain},
            "STORAGE": {"BACKEND": "s3", "BUCKET": self.bucket, "REGION": self.region,
                        "ENDPOINT_URL": self.endpoint, "PATH_PREFIX": self.path_prefix},
        }

    def write_config(self, path: str | Path) -> Path:
        """Write `auth_config.yml` pointing at this cloud, atomically (temp file + rename, so a
        reader never sees half a file); return its absolute path."""
        return write_config_file(
            path, self.config_document(),
            "Written by `ecan demo-cloud`: points ecan at the local demo cloud.")
