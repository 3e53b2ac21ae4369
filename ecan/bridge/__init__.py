"""Qt's side of the handler layer: `ecan.bridge.bridge.Bridge` runs handler calls on a thread pool
and delivers results and "what changed" on the GUI thread; `ecan.bridge.thumbs` loads thumbnails
off the GUI thread. This package file imports no Qt, so the headless layers can be walked."""

from ecan.bridge.refcount_guard import make_singletons_immortal

# Before any Qt call: see refcount_guard for the PySide6 6.12 / Python 3.11 bug it works around.
make_singletons_immortal()
