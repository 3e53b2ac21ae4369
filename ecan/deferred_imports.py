"""Modules a dependency imports as it loads but uses only on paths a command rarely takes: each
is registered as a stand-in that imports the real module when something first uses it, so
starting a command does not pay for it.

(importlib.util.LazyLoader cannot do this on Python 3.11: an `import` statement of a module
already in sys.modules reads its `__spec__`, and any attribute read makes LazyLoader load.)"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from typing import Any

_loading = threading.RLock()
# Asked of modules without wanting one loaded: PySide6's import hook reads the source of each
# module imported (inspect.getsource), and inspect asks for `__wrapped__` (a module has none).
_NOT_ON_MODULES = frozenset({"__wrapped__"})


class _Deferred(types.ModuleType):
    """Stands in sys.modules for a module not loaded yet. It carries what the import system and
    module walkers read (`__spec__`, `__file__`, `__loader__`); any other attribute loads the
    real module, which then replaces it in sys.modules, and comes from it."""

    def __getattr__(self, name: str) -> Any:
        if name in _NOT_ON_MODULES:
            raise AttributeError(name)
        return getattr(_real(self.__name__), name)

    def __dir__(self) -> list[str]:
        return dir(_real(self.__name__))


def _real(name: str) -> types.ModuleType:
    with _loading:
        module = sys.modules.get(name)
        if module is None or isinstance(module, _Deferred):
            sys.modules.pop(name, None)
            module = importlib.import_module(name)
        return module


def defer(*names: str) -> None:
    """Defer importing the top-level modules `names` until first used. A module already
    imported, or not installed, is left alone (importing it then fails as it always did)."""
    for name in names:
        if "." in name or name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None:
            continue
        stand_in = _Deferred(name)
        stand_in.__spec__ = spec
        stand_in.__loader__ = spec.loader
        stand_in.__file__ = spec.origin
        sys.modules[name] = stand_in


def is_loaded(name: str) -> bool:
    """Whether `name` is imported for real (not only deferred)."""
    module = sys.modules.get(name)
    return module is not None and not isinstance(module, _Deferred)
