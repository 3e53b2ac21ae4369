from __future__ import annotations

import subprocess
import sys

CONTRACT_COMMANDS = ["gui", "demo-cloud", "login", "logout", "import", "sync", "status", "list",
                     "delete", "restore", "agent", "generate", "doctor"]


def test_help_lists_every_contract_command() -> None:
    out = subprocess.run([sys.executable, "-m", "ecan", "--help"], capture_output=True,
                         text=True, check=True).stdout
    for command in CONTRACT_COMMANDS:
        assert f"    {command}" in out, command


def test_bad_config_exits_2_naming_the_key(clean_env: dict[str, str], ecan_home) -> None:
    ecan_home.mkdir(parents=True, exist_ok=True)
    (ecan_home / "auth_config.yml").write_text("STORAGE:\n  REGION: 12\n  BUKET: x\n")
    r = subprocess.run([sys.executable, "-m", "ecan", "status", "--json"], capture_output=True,
                       text=True, env=clean_env)
    assert r.returncode == 2
    assert "STORAGE.BUKET" in r.stdout and "Traceback" not in r.stderr
