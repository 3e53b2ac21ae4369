from __future__ import annotations

import logging
from pathlib import Path

from ecan.logsetup import setup_logging


def test_secrets_never_reach_the_log_file(tmp_path: Path) -> None:
    path = setup_logging(tmp_path / "logs")
    log = logging.getLogger("ecan.test")
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhYmMiLCJleHAiOjF9.c2lnbmF0dXJlLXZhbHVl"
    log.info("signing in with password=%s", "hunter2-pass")
    log.info("tokens %s", {"IdToken": jwt, "RefreshToken": "r-123456"})
    log.warning("keys AccessKeyId=ASIAABCDEFGHIJKLMNOP SecretKey=wJalrXUtnFEMIK7MDENG")
    try:
        raise RuntimeError(f"failed with token {jwt}")
    except RuntimeError:
        log.exception("boom")
    for h in logging.getLogger().handlers:
        h.flush()
    text = path.read_text()
    for secret in ("hunter2-pass", jwt, "r-123456", "ASIAABCDEFGHIJKLMNOP", "wJalrXUtnFEMIK7MDENG"):
        assert secret not in text
    assert "signing in with password=***" in text
