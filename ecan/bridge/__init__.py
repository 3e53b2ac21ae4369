"""Qt's side of the handler layer: runs handler calls on a thread pool and delivers results and
"what changed" on the GUI thread; loads thumbnails off the GUI thread."""

from ecan.bridge.bridge import Bridge, HandlerClient
from ecan.bridge.thumbs import ThumbnailLoader

__all__ = ["Bridge", "HandlerClient", "ThumbnailLoader"]
