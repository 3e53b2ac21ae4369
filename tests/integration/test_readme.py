"""The README's "Using it" commands, run as written: the demo cloud in one terminal, the rest in
another (a bash script from the repository's folder), the password typed in (stdin)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG_IN_README = "/tmp/ecan-demo.yml"


def _blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Using it"):]
    section = section[:section.index("\n## ", 3)]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.S)


def test_the_readme_commands_run_as_written(clean_env: dict[str, str], tmp_path: Path) -> None:
    first, second = _blocks()
    config = str(tmp_path / "ecan-demo.yml")  # the README's /tmp path, one per test run
    venv_bin = str(Path(sys.executable).parent)

    def as_here(script: str) -> str:
        return script.replace(CONFIG_IN_README, config).replace(".venv/bin", venv_bin)

    cloud = subprocess.Popen(["bash", "-c", as_here(first.strip())], cwd=ROOT, env=clean_env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
    try:
        password = None
        lines: list[str] = []
        deadline = time.monotonic() + 90
        assert cloud.stderr is not None
        while password is None and time.monotonic() < deadline:
            line = cloud.stderr.readline()
            assert line, "demo-cloud ended: " + "".join(lines)
            lines.append(line)
            found = re.search(r"\(password: (\S+)\)", line)
            password = found.group(1) if found else None
        assert password, lines
        said = "".join(lines)
        assert "in memory" in said and f"export ECAN_CONFIG={config}" in said

        done = subprocess.run(["bash", "-e", "-c", as_here(second)], cwd=ROOT, env=clean_env,
                              input=password + "\n", capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Signed in as demo" in done.stdout
        assert "6 new" in done.stdout
        assert "6 synced" in done.stdout  # status after the sync
        assert "checks passed." in done.stdout and "FAIL" not in done.stdout
    finally:
        os.killpg(cloud.pid, 2)
        try:
            cloud.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(cloud.pid, 9)
