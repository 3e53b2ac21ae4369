"""Writes an `auth_config.yml` that points ecan at a cloud (a deployment or the demo cloud):
ids and endpoints only, never a secret, atomically so a reader never sees half a file."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from ecan.errors import UserFacingError


def write_config_file(path: str | Path, document: dict[str, Any], comment: str,
                      option: str = "--write-config") -> Path:
    """Write `document` as YAML under a `# comment` line (temp file + rename); return the
    absolute path. An unwritable place is a UserFacingError naming `option`."""
    import yaml

    target = Path(path).expanduser().absolute()
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(f"# {comment}\n" + yaml.safe_dump(document, sort_keys=False),
                       encoding="utf-8")
        os.replace(tmp, target)
    except OSError as e:
        raise UserFacingError(
            "config_write_failed",
            f"Cannot write the config to {target} ({e.strerror or type(e).__name__}).",
            f"Choose a writable path for {option}.") from None
    finally:
        with contextlib.suppress(OSError):  # nothing to clean up when the folder is bad
            tmp.unlink(missing_ok=True)
    return target
