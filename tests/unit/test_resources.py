"""ecan finds its shipped files (ecan/assets) through importlib.resources: as the package's own
folder when installed or checked out, and as real files even when imported from a zip."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from ecan.resources import assets_dir, sample_paths

PACKAGE = Path(__file__).resolve().parents[2] / "ecan"


def test_assets_are_the_package_data_folder() -> None:
    assert assets_dir() == PACKAGE / "assets"
    assert (assets_dir() / "translations" / "ecan_zh_CN.qm").is_file()
    assert [p.name for p in sample_paths()] == sorted(
        p.name for p in (PACKAGE / "assets" / "samples").iterdir())


def test_a_zipped_package_gets_its_assets_as_real_files_for_the_process(tmp_path: Path) -> None:
    archive = tmp_path / "ecan.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in [PACKAGE / "__init__.py", PACKAGE / "resources.py",
                     *(p for p in (PACKAGE / "assets").rglob("*") if p.is_file())]:
            z.write(path, path.relative_to(PACKAGE.parent).as_posix())
    code = (
        "import json, ecan.resources as r\n"
        "a = r.assets_dir()\n"
        "print(json.dumps({'module': r.__file__, 'assets': str(a), 'again': str(r.assets_dir()),\n"
        "  'qm': (a / 'translations' / 'ecan_zh_CN.qm').read_bytes().hex(),\n"
        "  'samples': [p.name for p in r.sample_paths()]}))\n"
    )
    # -S: no site-packages, so the checkout's editable install cannot shadow the zip.
    done = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                          env={"PYTHONPATH": str(archive)}, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["module"].startswith(str(archive))
    assert found["again"] == found["assets"]  # copied out once per process
    qm = PACKAGE / "assets" / "translations" / "ecan_zh_CN.qm"
    assert bytes.fromhex(found["qm"]) == qm.read_bytes()
    assert found["samples"] == [p.name for p in sample_paths()]
    assert not Path(found["assets"]).exists()  # removed when the process ended
