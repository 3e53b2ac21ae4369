"""Qt's side of the handler layer: runs handler calls on a thread pool and delivers results and
"what changed" on the GUI thread; loads thumbnails off the GUI thread."""

from ecan.bridge.refcount_guard import make_singletons_immortal

# Before any Qt call: see refcount_guard for the PySide6 6.12 / Python 3.11 bug it works around.
make_singletons_immortal()

from ecan.bridge.bridge import Bridge, HandlerClient  # noqa: E402
from ecan.bridge.thumbs import ThumbnailLoader  # noqa: E402

__all__ = ["Bridge", "HandlerClient", "ThumbnailLoader"]
