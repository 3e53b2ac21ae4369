"""The architecture as ecan/architecture.py writes it down, checked against the code: every
module belongs to a part, imports only what its part may, Qt stays in the Qt parts (and out of
the helper processes that must start fast), and each piece of state has one writer."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from ecan.architecture import FOUNDATIONS, OWNERS, PARTS, QT_FREE, part_of

PACKAGE = Path(__file__).resolve().parents[2] / "ecan"


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(module: str, path: Path) -> set[str]:
    """Every ecan module `module` imports (relative imports resolved, type-only ones too)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                names.add(".".join(base + ([node.module] if node.module else [])))
            elif node.module:
                names.add(node.module)
    return names


def test_every_module_belongs_to_a_part() -> None:
    unknown = {m for m in _modules() if part_of(m) not in FOUNDATIONS and part_of(m) not in PARTS}
    assert unknown == set(), "add them to ecan/architecture.py"


def test_each_part_imports_only_what_it_may() -> None:
    wrong = []
    for module, path in sorted(_modules().items()):
        mine = part_of(module)
        allowed = set(FOUNDATIONS) | {mine}
        if mine in PARTS:
            allowed |= PARTS[mine].may_import
        for name in _imports(module, path):
            if name.split(".")[0] != "ecan":
                continue
            theirs = part_of(name)
            if theirs not in allowed:
                wrong.append(f"{module} imports {name} ({mine} may not use {theirs})")
    assert wrong == []


def test_foundations_use_only_each_other() -> None:
    wrong = [f"{m} imports {n}" for m, path in _modules().items() if m in FOUNDATIONS
             for n in _imports(m, path) if n.startswith("ecan") and part_of(n) not in FOUNDATIONS]
    assert wrong == []


def test_qt_is_imported_only_in_the_qt_parts() -> None:
    offenders = []
    for module, path in _modules().items():
        part = PARTS.get(part_of(module))
        if part is not None and part.qt and module not in QT_FREE:
            continue
        # `ecan gui` / `selftest` start the UI: they may import ecan.ui, never Qt itself.
        if any(n.split(".")[0] in ("PySide6", "shiboken6") for n in _imports(module, path)):
            offenders.append(module)
    assert offenders == []


def test_headless_parts_and_helper_processes_import_without_qt() -> None:
    qt_parts = tuple(name for name, part in PARTS.items() if part.qt)
    code = (
        "import sys, importlib, pkgutil, ecan\n"
        f"skip = {qt_parts + ('ecan.cli.cmd_gui', 'ecan.__main__')!r}\n"
        f"wanted = {sorted(QT_FREE)!r}\n"
        "for m in pkgutil.walk_packages(ecan.__path__, 'ecan.'):\n"
        "    if not m.name.startswith(skip):\n"
        "        importlib.import_module(m.name)\n"
        "for name in wanted:\n"
        "    importlib.import_module(name)\n"
        "assert not [n for n in sys.modules if n.startswith('PySide6')], 'Qt imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_each_piece_of_state_has_one_writer() -> None:
    wrong = []
    for module, path in _modules().items():
        if module == "ecan.architecture":
            continue  # the rules themselves
        text = path.read_text(encoding="utf-8")
        for what, pattern, owners in OWNERS:
            if module not in owners and re.search(pattern, text):
                wrong.append(f"{module} may not {what} (only {', '.join(sorted(owners))})")
    assert wrong == []


def test_the_window_calls_handlers_only_through_typed_operations() -> None:
    """Screens call ecan.bridge.ops (a typed function per action), never a handler by its
    method name, and read answers through their models, not by testing their shape."""
    wrong = []
    for module, path in sorted(_modules().items()):
        if part_of(module) != "ecan.ui":
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in (r"\.run\(\s*['\"]", r"\.run\(\s*[A-Z_]+\s*,", r"changed_by",
                        r"isinstance\((data|result|d), dict\)"):
            wrong += [f"{module}: {m.group(0)!r}" for m in re.finditer(pattern, text)]
    assert wrong == [], "call ecan.bridge.ops instead (add the action there)"
