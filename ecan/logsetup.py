"""Logging to `$ECAN_HOME/logs/ecan.log` with rotation, through a filter that masks tokens,
passwords and keys in every record, whatever logger produced it."""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys
from pathlib import Path
from typing import Any

from ecan.paths import PRIVATE_FILE, make_private_dirs

MASK = "***"
# Secret-looking names; a value after one of them (`name=value`, `"name": "value"`) is masked.
_NAMES = (r"(?:password|passwd|passphrase|secret|token|session|credential|api[_-]?key"
          r"|access[_-]?key|secretkey|refresh|authorization|x-goog-api-key|signature)")
_B64 = r"A-Za-z0-9/+"
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # JWTs (ID, access and refresh tokens).
    (re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"), "***"),
    # `user:password@` in a URL: the password goes, the user and host stay (they help).
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+):[^/\s@]+@"), r"\1:***@"),
    # An HTTP authorization scheme and its credentials.
    # (Case-sensitive "Basic"/"Digest": as plain words they start many a sentence.)
    (re.compile(r"\b([Bb]earer|BEARER|Basic|Digest)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 ***"),
    # Google API keys (Gemini).
    (re.compile(r"\bAIza[0-9A-Za-z_-]{30,}"), "***"),
    # AWS access key ids.
    (re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{12,}\b"), "***"),
    # AWS session tokens and other long base64 blobs: nothing that long is worth a log line.
    (re.compile(rf"(?<![{_B64}=])[{_B64}]{{100,}}=*"), "***"),
    # A bare AWS secret access key: 40 base64 characters with upper and lower case and a
    # digit or /+ (which leaves out hex digests, all lower case).
    (re.compile(rf"(?<![{_B64}=])(?=[{_B64}]{{0,39}}[A-Z])(?=[{_B64}]{{0,39}}[a-z])"
                rf"(?=[{_B64}]{{0,39}}[0-9/+])[{_B64}]{{40}}(?![{_B64}=])"), "***"),
]
# `name = "quoted value"`: the whole quoted value, spaces included.
_QUOTED = re.compile(rf"(?i)({_NAMES}[A-Za-z_-]*['\"]?\s*[:=]\s*)(['\"])(?:\\.|(?!\2).)*\2")
# An unquoted password runs to the end of the line: it may hold spaces, and masking too much
# of a line beats leaving the rest of a password in it.
_BARE_PASSWORD = re.compile(r"(?i)((?:password|passwd|passphrase)[A-Za-z_-]*\s*[:=]\s*)"
                            r"(?!['\"]?\*\*\*)[^\r\n]+")
_BARE = re.compile(rf"(?i)({_NAMES}[A-Za-z_-]*\s*[:=]\s*)"
                   r"(?!\*\*\*|(?:bearer|basic|digest)\s+\*\*\*)([^'\"\s,}&]+)")


def redact(text: str) -> str:
    """Mask anything that looks like a secret in `text`."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    text = _QUOTED.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}{m.group(2)}", text)
    text = _BARE_PASSWORD.sub(lambda m: m.group(1) + MASK, text)
    return _BARE.sub(lambda m: m.group(1) + MASK, text)


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


class ExpectedErrorFilter(logging.Filter):
    """A traceback only for bugs: a record carrying one of ecan's UserFacingErrors (the network
    down, a session gone: expected, and retried) becomes one line saying why. Libraries log
    those with their traceback (botocore: each failed credential refresh during an outage)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from ecan.errors import UserFacingError

        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, UserFacingError):
            try:
                message = record.getMessage()
            except Exception:  # a broken format string must not break logging
                message = str(record.msg)
            record.msg = f"{message.rstrip('.')}: {exc.message} ({type(exc).__name__})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Each log file is created readable by its owner only (the log names files, accounts
    and identity ids); rotation renames files, which keeps their mode."""

    _told = False  # the user has heard that the log cannot be written

    def _open(self) -> Any:
        return open(self.baseFilename, self.mode, encoding=self.encoding, errors=self.errors,
                    opener=lambda name, flags: os.open(name, flags, PRIVATE_FILE))

    def handleError(self, record: logging.LogRecord) -> None:
        """A log that cannot be written (a full disk, a read-only folder) is said once, in a
        line, instead of logging's traceback for every record; records are dropped meanwhile."""
        if self._told:
            return
        self._told = True
        error = sys.exc_info()[1]
        reason = getattr(error, "strerror", None) or type(error).__name__
        try:
            sys.stderr.write(f"ecan: the log {self.baseFilename} cannot be written ({reason}); "
                             "its lines are dropped until it can be\n")
        except (OSError, ValueError, AttributeError):  # no stderr (a windowed app): nothing to tell
            pass


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
        h.addFilter(ExpectedErrorFilter())  # first: a traceback it drops is never formatted
        h.addFilter(SecretFilter())
        h._ecan = True  # type: ignore[attr-defined]
        root.addHandler(h)
    root.setLevel(level)
    # botocore at DEBUG logs signed headers; keep third parties at WARNING.
    for noisy in ("botocore", "boto3", "urllib3", "s3transfer", "PIL", "httpx", "google_genai"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return path
