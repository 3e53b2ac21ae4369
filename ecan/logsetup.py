"""Logging to `$ECAN_HOME/logs/ecan.log` with rotation, through a filter that masks tokens,
passwords and keys in every record, whatever logger produced it."""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
from pathlib import Path
from typing import Any

from ecan.paths import PRIVATE_FILE, make_private_dirs

# JWTs, AWS access key ids, and `name=value` / `"name": "value"` pairs with a secret-ish name.
_PATTERNS = [
    re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),
    re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{12,}\b"),
    re.compile(
        r"(?i)((?:password|passwd|secret|token|session|credential|api[_-]?key|access[_-]?key"
        r"|secretkey|refresh|authorization|x-goog-api-key|signature)[A-Za-z_-]*['\"]?\s*[:=]\s*['\"]?)"
        r"([^'\"\s,}&]+)"
    ),
]
MASK = "***"


def redact(text: str) -> str:
    """Mask anything that looks like a secret in `text`."""
    text = _PATTERNS[0].sub(MASK, text)
    text = _PATTERNS[1].sub(MASK, text)
    return _PATTERNS[2].sub(lambda m: m.group(1) + MASK, text)


class SecretFilter(logging.Filter):
    """Rewrites each record's final message with secrets masked (args included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not break logging
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Each log file is created readable by its owner only (the log names files, accounts
    and identity ids); rotation renames files, which keeps their mode."""

    def _open(self) -> Any:
        return open(self.baseFilename, self.mode, encoding=self.encoding, errors=self.errors,
                    opener=lambda name, flags: os.open(name, flags, PRIVATE_FILE))


def setup_logging(log_dir: Path, level: int = logging.INFO, stderr: bool = False) -> Path:
    """Send ecan's (and its libraries') logs to a rotating file; return the file's path."""
    make_private_dirs(log_dir)
    path = log_dir / "ecan.log"
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_ecan", False):
            root.removeHandler(h)
            h.close()
    handler = _PrivateRotatingFileHandler(
        path, maxBytes=2_000_000, backupCount=5, encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter(
        "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
    handlers: list[logging.Handler] = [handler]
    if stderr:
        handlers.append(logging.StreamHandler())
    for h in handlers:
        h.addFilter(SecretFilter())
        h._ecan = True  # type: ignore[attr-defined]
        root.addHandler(h)
    root.setLevel(level)
    # botocore at DEBUG logs signed headers; keep third parties at WARNING.
    for noisy in ("botocore", "boto3", "urllib3", "s3transfer", "PIL", "httpx", "google_genai"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return path
