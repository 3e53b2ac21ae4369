"""`ecan cloud publish-system`: the operator uploads the system avatars (the bundled set, or a
folder of their own) to `{prefix}shared/system/`, where every signed-in app finds them (the
identities' role may read there and not write: ecan.cloudops.policy). Each picture goes through
the same intake as an import (format allow-list, limits, metadata stripped), so the bytes in the
cloud are the bytes an app stores for the bundled copy, and the two are one avatar (same
SHA-256). The manifest goes up last: an app never sees a manifest naming a missing object."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecan.avatars import imaging
from ecan.avatars.system_manifest import MANIFEST, NAME_RE, SystemEntry, dumps
from ecan.cloudops.aws import AwsClients, as_user_error
from ecan.cloudops.deploy import find
from ecan.cloudops.spec import DeploySpec
from ecan.errors import UserFacingError
from ecan.storage.keys import validate_prefix

log = logging.getLogger(__name__)

_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif")


@dataclass(frozen=True)
class Published:
    bucket: str
    prefix: str
    manifest: str  # the manifest's full key
    avatars: list[SystemEntry]
    skipped: list[str]  # "file: why" for pictures the intake refused

    def to_dict(self) -> dict[str, Any]:
        return {"bucket": self.bucket, "manifest": self.manifest,
                "avatars": [a.to_dict() for a in self.avatars], "skipped": self.skipped}


def _pictures(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise UserFacingError("not_found", f"{folder} is not a folder.",
                              "Give --from a folder of PNG, JPEG, WebP or GIF pictures.")
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() in _SUFFIXES)


def publish_system(spec: DeploySpec, aws: AwsClients, folder: Path, *,
                   prefix: str = "avatars/") -> Published:
    """Upload every picture in `folder` (name = file stem) and then the manifest. Raises
    UserFacingError: no such deployment, an empty folder, a refused upload."""
    outputs = find(spec, aws)
    if outputs is None:
        raise UserFacingError(
            "no_deployment", f"There is no deployment named {spec.name} at {aws.where}.",
            f"Run `ecan cloud deploy --name {spec.name}` first (with the same --region and "
            "--endpoint).")
    prefix = validate_prefix(prefix)
    entries: list[SystemEntry] = []
    uploads: list[tuple[str, bytes, str]] = []
    skipped: list[str] = []
    for path in _pictures(folder):
        if not NAME_RE.match(path.stem):
            skipped.append(f"{path.name}: the name may hold only letters, digits, '_', '.', '-'")
            continue
        try:
            prepared = imaging.prepare(path.read_bytes(), path.name)
        except UserFacingError as e:
            skipped.append(e.message)
            continue
        entry = SystemEntry(path.stem, prepared.info.ext,
                            hashlib.sha256(prepared.data).hexdigest(), len(prepared.data))
        entries.append(entry)
        uploads.append((entry.key, prepared.data, prepared.info.mime_type))
        uploads.append((entry.thumb_key, prepared.thumb, "image/png"))
    if not entries:
        raise UserFacingError("nothing_to_publish", f"{folder} has no picture ecan accepts.",
                              "Put PNG, JPEG, WebP or GIF pictures in it (named as they should "
                              "be shown).")
    s3 = aws("s3")
    try:
        for key, body, content_type in uploads:
            s3.put_object(Bucket=outputs.bucket, Key=prefix + key, Body=body,
                          ContentType=content_type)
        s3.put_object(Bucket=outputs.bucket, Key=prefix + MANIFEST,
                      Body=dumps(entries, time.time()), ContentType="application/json")
    except Exception as e:
        raise as_user_error(e, aws.where, "publish-system") from None
    log.info("published %d system avatars to %s", len(entries), outputs.bucket)
    return Published(outputs.bucket, prefix, prefix + MANIFEST, entries, skipped)
