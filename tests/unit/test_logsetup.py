from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

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


def test_an_expected_error_is_one_line_and_a_bug_keeps_its_traceback(tmp_path: Path) -> None:
    from ecan.errors import UserFacingError

    path = setup_logging(tmp_path / "logs")
    lib = logging.getLogger("botocore.credentials")  # logs its refresh failures with exc_info
    try:
        raise UserFacingError("network", "Cannot reach the sign-in service.", "Check the network.")
    except UserFacingError:
        lib.warning("Refreshing temporary credentials failed during advisory refresh period.",
                    exc_info=True)
    try:
        raise KeyError("a real bug")
    except KeyError:
        logging.getLogger("ecan.test").exception("job hit a bug")
    for h in logging.getLogger().handlers:
        h.flush()
    lines = path.read_text().splitlines()
    expected = [line for line in lines if "Refreshing temporary credentials" in line]
    assert len(expected) == 1
    assert expected[0].endswith("refresh period: Cannot reach the sign-in service. "
                                "(UserFacingError)")
    bug = lines.index(next(line for line in lines if "job hit a bug" in line))
    assert lines[bug + 1] == "Traceback (most recent call last):"
    assert sum(line.startswith("Traceback") for line in lines) == 1


def test_a_log_that_cannot_be_written_is_said_once_not_a_traceback_per_line(
        tmp_path: Path, capsys: Any) -> None:
    """A full disk (here: the log's name taken by a folder, which fails every open alike):
    logging printed "--- Logging error ---" and a traceback for every record; the window's
    sync process sent them all to its log-less parent."""
    (tmp_path / "logs" / "ecan.log").mkdir(parents=True)
    setup_logging(tmp_path / "logs")
    log = logging.getLogger("ecan.test")
    for i in range(3):
        log.warning("line %d", i)
    err = capsys.readouterr().err
    assert err.count("cannot be written") == 1 and "Logging error" not in err
    assert f"the log {tmp_path / 'logs' / 'ecan.log'} cannot be written (Is a directory)" in err
