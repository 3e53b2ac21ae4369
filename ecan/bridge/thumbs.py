"""Thumbnails for the gallery: decoded and scaled by the picture decoder process (see
ecan.bridge.decoder_process; no decoding, and no loader thread, in the window's interpreter),
turned into QPixmap on the GUI thread and kept in an LRU cache so scrolling through 10,000
avatars reads each file at most once while on screen."""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QObject, QSize, Signal
from PySide6.QtGui import QImage, QPixmap

from ecan.bridge.decoder_process import DecoderProcess


class ThumbnailLoader(QObject):
    """Asynchronous, cached thumbnail loading.

    `pixmap(path)` returns the cached pixmap, or None and starts loading it; when it is ready,
    `thumbnail_ready(path)` is emitted on the GUI thread. A file that cannot be read is
    remembered as missing (an empty QPixmap) so it is not retried on every paint. Loaders may
    share one `decoder` (one process for the window); by default each has its own. With a
    `tile_radius` (logical pixels) each thumbnail comes as the gallery's finished tile: it fills
    `size`, centre-cropped, with rounded corners, so a card draws it without clipping.

    Signals:
        thumbnail_ready(str): the thumbnail for this path is now in the cache.
    """

    thumbnail_ready = Signal(str)

    def __init__(self, size: QSize, parent: QObject | None = None, capacity: int = 1500,
                 device_pixel_ratio: float = 1.0, decoder: DecoderProcess | None = None,
                 tile_radius: float | None = None) -> None:
        super().__init__(parent)
        self._size = size
        self._dpr = device_pixel_ratio
        self._capacity = capacity
        self._tile_radius = tile_radius
        self._cache: OrderedDict[str, QPixmap] = OrderedDict()
        self._loading: set[str] = set()
        self._tickets: dict[int, tuple[str, float]] = {}  # asked of the decoder: path, dpr
        self._owns_decoder = decoder is None
        self.decoder = decoder or DecoderProcess(self)
        self.decoder.decoded.connect(self._on_decoded)

    def pixmap(self, path: str) -> QPixmap | None:
        cached = self._cache.get(path)
        if cached is not None:
            self._cache.move_to_end(path)
            return cached
        if path and path not in self._loading:
            self._loading.add(path)
            # Scaled for the screen's pixel ratio so thumbnails stay crisp on high-DPI displays.
            tile = None if self._tile_radius is None else self._tile_radius * self._dpr
            ticket = self.decoder.decode(path, self._size * self._dpr, tile)
            self._tickets[ticket] = (path, self._dpr)
        return None

    def forget(self, path: str) -> None:
        self._cache.pop(path, None)

    def pending(self) -> int:
        return len(self._loading)

    def close(self) -> None:
        self._tickets.clear()
        self._loading.clear()
        if self._owns_decoder:
            self.decoder.close()

    def _on_decoded(self, ticket: int, image: QImage) -> None:
        asked = self._tickets.pop(ticket, None)
        if asked is None:  # another loader's, or asked before close()
            return
        path, dpr = asked
        self._loading.discard(path)
        if not image.isNull():
            image.setDevicePixelRatio(dpr)
        self._cache[path] = QPixmap() if image.isNull() else QPixmap.fromImage(image)
        self._cache.move_to_end(path)
        while len(self._cache) > self._capacity:
            self._cache.popitem(last=False)
        self.thumbnail_ready.emit(path)
