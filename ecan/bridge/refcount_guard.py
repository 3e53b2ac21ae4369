"""A guard against a reference-counting bug in PySide6 6.12 on Python 3.11: every call to a
Qt method that returns void, and every empty QVariant handed back to Python, drops one
reference to None (emitting a Python bool does the same to True/False). A busy window makes
millions of such calls, and CPython 3.11 aborts when None's count reaches zero ("Fatal Python
error: deallocating None"). Python 3.12+ made these singletons immortal, so there it is
harmless; here we give them the same effectively-infinite count before Qt runs."""

from __future__ import annotations

import ctypes
import sys

_HEADROOM = 1 << 48


def make_singletons_immortal() -> bool:
    """Idempotent; returns True if it changed anything (only on Python < 3.12)."""
    if sys.version_info >= (3, 12):
        return False
    changed = False
    for singleton in (None, True, False):
        if sys.getrefcount(singleton) < _HEADROOM // 2:
            # ob_refcnt is the first field of every PyObject (a Py_ssize_t): raising it keeps
            # the static singleton's count positive however many references Qt drops.
            ctypes.c_ssize_t.from_address(id(singleton)).value += _HEADROOM
            changed = True
    return changed
