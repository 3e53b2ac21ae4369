"""Thumbnails for the gallery: PNGs are read and scaled into QImage on a thread pool (QImage is
safe off the GUI thread, QPixmap is not), turned into QPixmap on the GUI thread and kept in an
LRU cache so scrolling through 10,000 avatars reads each file at most once while on screen."""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QImageReader, QPixmap


class _Relay(QObject):
    loaded = Signal(str, object)


class _Load(QRunnable):
    def __init__(self, path: str, size: QSize, dpr: float, relay: _Relay) -> None:
        super().__init__()
        self._path = path
        self._size = size
        self._dpr = dpr
        self._relay = relay

    def run(self) -> None:
        reader = QImageReader(self._path)
        # Scale for the screen's pixel ratio so thumbnails stay crisp on high-DPI displays.
        # The reader scales (smoothly) inside read(), which lets go of the interpreter lock;
        # QImage.scaled() from here would hold it, and the GUI thread would wait.
        size = reader.size()
        if size.isValid():
            reader.setScaledSize(size.scaled(self._size * self._dpr,
                                              Qt.AspectRatioMode.KeepAspectRatio))
        image = reader.read()
        if not image.isNull():
            image.setDevicePixelRatio(self._dpr)
        self._relay.loaded.emit(self._path, image)


class ThumbnailLoader(QObject):
    """Asynchronous, cached thumbnail loading.

    `pixmap(path)` returns the cached pixmap, or None and starts loading it; when it is ready,
    `thumbnail_ready(path)` is emitted on the GUI thread. A file that cannot be read is
    remembered as missing (an empty QPixmap) so it is not retried on every paint.

    Signals:
        thumbnail_ready(str): the thumbnail for this path is now in the cache.
    """

    thumbnail_ready = Signal(str)

    def __init__(self, size: QSize, parent: QObject | None = None, capacity: int = 1500,
                 device_pixel_ratio: float = 1.0) -> None:
        super().__init__(parent)
        self._size = size
        self._dpr = device_pixel_ratio
        self._capacity = capacity
        self._cache: OrderedDict[str, QPixmap] = OrderedDict()
        self._loading: set[str] = set()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._relay = _Relay(self)
        self._relay.loaded.connect(self._on_loaded)

    def set_device_pixel_ratio(self, dpr: float) -> None:
        if dpr != self._dpr:
            self._dpr = dpr
            self._cache.clear()

    def pixmap(self, path: str) -> QPixmap | None:
        cached = self._cache.get(path)
        if cached is not None:
            self._cache.move_to_end(path)
            return cached
        if path and path not in self._loading:
            self._loading.add(path)
            self._pool.start(_Load(path, self._size, self._dpr, self._relay))
        return None

    def forget(self, path: str) -> None:
        self._cache.pop(path, None)

    def pending(self) -> int:
        return len(self._loading)

    def close(self) -> None:
        self._pool.clear()
        self._pool.waitForDone(5000)

    def _on_loaded(self, path: str, image: QImage) -> None:
        self._loading.discard(path)
        self._cache[path] = QPixmap() if image.isNull() else QPixmap.fromImage(image)
        self._cache.move_to_end(path)
        while len(self._cache) > self._capacity:
            self._cache.popitem(last=False)
        self.thumbnail_ready.emit(path)
