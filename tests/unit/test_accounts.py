"""Which library opens: the signed-in account's (only for the configured pool), else the
local-only one; the record of who is signed in never names a folder outside ECAN_HOME."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecan.accounts import (
    Account,
    library_folder,
    library_paths,
    read_signed_in,
    write_signed_in,
)
from ecan.config import CognitoConfig, Config
from ecan.paths import AppPaths


def _config(pool: str) -> Config:
    return Config(cognito=CognitoConfig(user_pool_id=pool, client_id="client"))


@pytest.mark.parametrize("sub", ["", "../x", "a/b", "..", "a" * 65, "x\n"])
def test_a_sub_that_is_not_a_plain_id_names_no_folder(sub: str) -> None:
    with pytest.raises(ValueError):
        library_folder("us-east-1_Pool", sub)


def test_the_signed_in_account_opens_only_with_its_pool(tmp_path: Path) -> None:
    root = AppPaths(tmp_path / "home").ensure()
    account = Account("us-east-1_Pool", "0b9e5c3a-1111-2222-3333-444455556666", "ann")
    write_signed_in(root, account)
    assert read_signed_in(root) == account
    assert "token" not in root.signed_in_file.read_text()
    paths, who = library_paths(root, _config("us-east-1_Pool"))
    assert who == account and paths.is_account
    assert paths.home.parent == root.home / "accounts" and paths.ecan_home == root.home
    assert paths.logs == root.logs and paths.default_config == root.default_config
    # The config now names another pool: nothing of ann's library opens.
    paths, who = library_paths(root, _config("eu-west-1_Other"))
    assert (paths, who) == (root, None)


def test_an_unreadable_record_opens_the_local_only_library(tmp_path: Path) -> None:
    root = AppPaths(tmp_path / "home").ensure()
    root.signed_in_file.write_text('{"user_pool_id": "p", "sub": "../../etc", "username": "x"}')
    assert read_signed_in(root) is None
    assert library_paths(root, _config("p")) == (root, None)
