"""`pip install .` gives a working ecan: the wheel built from this checkout carries the files the
app reads at run time (icons, system avatars, samples, translations), and the `ecan selftest` of
that wheel, installed into a fresh venv, passes from a folder outside the checkout."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "ecan" / "assets"
# What a build leaves in a checkout, or never belongs in a wheel: not copied to the build tree.
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__",
                                    ".*_cache", "screenshots")


def _run(cmd: list[str], *, cwd: Path | None = None,
         env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=cwd, env=env)


def _build_wheel(out: Path, tmp: Path) -> Path:
    # A copy of the checkout, so that a stale build/ from an earlier build cannot add files the
    # tree no longer has, and the checkout stays clean.
    tree = tmp / "tree"
    shutil.copytree(ROOT, tree, ignore=NOT_SOURCE)
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                  "--no-index", "-q", "-w", str(out), str(tree)])
    assert built.returncode == 0, (
        "building the wheel failed (it needs setuptools>=77 in this venv, for the SPDX "
        f"`license` string: scripts/setup.sh installs it):\n{built.stderr[-3000:]}")
    (wheel,) = out.glob("ecan-*.whl")
    return wheel


def _fresh_venv(tmp: Path, wheel: Path) -> Path:
    """A new venv with only the wheel installed; the third-party packages already installed
    here are made visible to it through a .pth line, so nothing is downloaded. That folder's
    own .pth files (the editable install of this checkout among them) are not processed."""
    venv = tmp / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    installed = _run([sys.executable, "-m", "pip", "--python", str(python), "install",
                      "--no-deps", "--no-index", "-q", str(wheel)])
    assert installed.returncode == 0, installed.stderr[-3000:]
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"])
    Path(site.stdout.strip(), "_deps_from_the_project_venv.pth").write_text(
        sysconfig.get_path("purelib") + "\n")
    return venv


def test_wheel_installs_a_working_ecan_with_its_shipped_files(
        clean_env: dict[str, str], tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path / "wheelhouse", tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {p.relative_to(ROOT).as_posix() for p in ASSETS.rglob("*") if p.is_file()}
    for must in ("ecan/assets/translations/ecan_zh_CN.qm", "ecan/assets/icons/app-256.png",
                 "ecan/assets/system_avatars/aurora.png", "ecan/assets/samples/portrait.jpg"):
        assert must in names
    assert shipped <= names, sorted(shipped - names)

    venv = _fresh_venv(tmp_path, wheel)
    elsewhere = tmp_path / "elsewhere"  # not the checkout: nothing can come from the source tree
    elsewhere.mkdir()
    env = {k: v for k, v in clean_env.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env |= {"QT_QPA_PLATFORM": "offscreen", "PATH": f"{venv / 'bin'}:{env.get('PATH', '')}"}
    where = _run([str(venv / "bin" / "python"), "-c",
                  "import ecan, ecan.resources as r; print(ecan.__file__); print(r.assets_dir())"],
                 cwd=elsewhere, env=env)
    module, assets = where.stdout.split()
    assert Path(module).is_relative_to(venv) and Path(assets).is_relative_to(venv), where.stdout

    done = _run([str(venv / "bin" / "ecan"), "selftest", "--json"], cwd=elsewhere, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["ok"] and report["thumbnail_loaded"]
    assert report["zh_CN_translation"] and report["app_icon"]
    assert report["system_avatars"] == len(list((ASSETS / "system_avatars").glob("*.png")))
    assert report["samples"] == len(list((ASSETS / "samples").iterdir()))

    # An installation missing its translations fails the selftest, naming what is missing.
    for qm in Path(assets, "translations").glob("*.qm"):
        qm.unlink()
    broken = _run([str(venv / "bin" / "ecan"), "selftest"], cwd=elsewhere, env=env)
    assert broken.returncode != 0
    assert "Simplified Chinese translation" in broken.stderr, broken.stderr[-2000:]
    assert "Traceback" not in broken.stderr
