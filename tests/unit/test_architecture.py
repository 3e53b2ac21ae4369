"""The layering of ARCHITECTURE.md, checked: Qt only in ecan/ui and ecan/bridge, and the domain
imports headless."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "ecan"
QT_ALLOWED = ("ui", "bridge")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_qt_is_imported_only_in_ui_and_bridge() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        part = path.relative_to(PACKAGE).parts[0]
        if part in QT_ALLOWED:
            continue
        # `ecan gui` / `selftest` start the UI: they may import ecan.ui, never Qt itself.
        if any(n.split(".")[0] in ("PySide6", "shiboken6") for n in _imports(path)):
            offenders.append(str(path.relative_to(PACKAGE)))
    assert offenders == []


def test_domain_imports_headless_without_qt() -> None:
    code = (
        "import sys, importlib, pkgutil, ecan\n"
        "skip = ('ecan.ui', 'ecan.bridge', 'ecan.cli.cmd_gui', 'ecan.__main__')\n"
        "for m in pkgutil.walk_packages(ecan.__path__, 'ecan.'):\n"
        "    if not m.name.startswith(skip):\n"
        "        importlib.import_module(m.name)\n"
        "assert not [n for n in sys.modules if n.startswith('PySide6')], 'Qt imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
