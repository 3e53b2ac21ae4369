"""The crop dialog for a single picture: a square crop with a zoom slider, dragged into place,
and a circular preview of how the avatar will look."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QVBoxLayout,
    QWidget,
)

OUTPUT = 1024


def load_image(path: str) -> QImage:
    """Read (and orient) a picture; runs off the GUI thread."""
    from PySide6.QtGui import QImageReader

    reader = QImageReader(path)
    reader.setAutoTransform(True)  # EXIF orientation
    return reader.read()


class CropArea(QWidget):
    """Shows the image with a square crop window; drag to move, zoom with the slider.

    Signals:
        crop_changed(): the crop square moved or resized.
    """

    crop_changed = Signal()

    def __init__(self, image: QImage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image = image
        self.zoom = 1.0  # 1: the largest square that fits; up to 4: a quarter of that
        side = min(image.width(), image.height())
        self.centre = QPointF(image.width() / 2, image.height() / 2)
        self._base = float(side)
        self._drag: QPointF | None = None
        self.setMinimumSize(QSize(360, 360))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def crop_rect(self) -> QRectF:
        side = self._base / self.zoom
        x = min(max(self.centre.x() - side / 2, 0), self.image.width() - side)
        y = min(max(self.centre.y() - side / 2, 0), self.image.height() - side)
        return QRectF(x, y, side, side)

    def set_zoom(self, zoom: float) -> None:
        self.zoom = max(1.0, min(4.0, zoom))
        self.update()
        self.crop_changed.emit()

    def _scale(self) -> tuple[float, QPointF]:
        s = min(self.width() / self.image.width(), self.height() / self.image.height())
        off = QPointF((self.width() - self.image.width() * s) / 2,
                      (self.height() - self.image.height() * s) / 2)
        return s, off

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        s, off = self._scale()
        target = QRectF(off.x(), off.y(), self.image.width() * s, self.image.height() * s)
        p.drawImage(target, self.image)
        r = self.crop_rect()
        crop = QRectF(off.x() + r.x() * s, off.y() + r.y() * s, r.width() * s, r.height() * s)
        shade = QPainterPath()
        shade.addRect(target)
        hole = QPainterPath()
        hole.addRect(crop)
        p.fillPath(shade.subtracted(hole), QColor(0, 0, 0, 110))
        p.setPen(QPen(QColor("white"), 2))
        p.drawRect(crop)
        p.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._drag = event.position()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag is None:
            return
        s, _ = self._scale()
        delta = (event.position() - self._drag) / s
        self._drag = event.position()
        r = self.crop_rect()
        self.centre = r.center() + delta
        self.update()
        self.crop_changed.emit()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag = None

    def keyPressEvent(self, event: object) -> None:
        step = self._base / self.zoom / 20
        key = event.key()  # type: ignore[attr-defined]
        moves = {Qt.Key.Key_Left: (-step, 0), Qt.Key.Key_Right: (step, 0),
                 Qt.Key.Key_Up: (0, -step), Qt.Key.Key_Down: (0, step)}
        if key in moves:
            dx, dy = moves[key]
            self.centre = self.crop_rect().center() + QPointF(dx, dy)
            self.update()
            self.crop_changed.emit()
        else:
            super().keyPressEvent(event)  # type: ignore[arg-type]


class CirclePreview(QWidget):
    def __init__(self, area: CropArea, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._area = area
        self.setFixedSize(QSize(128, 128))
        area.crop_changed.connect(self.update)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        clip = QPainterPath()
        clip.addEllipse(QRectF(self.rect()).adjusted(1, 1, -1, -1))
        p.setClipPath(clip)
        p.drawImage(QRectF(self.rect()), self._area.image, self._area.crop_rect())
        p.end()


class CropDialog(QDialog):
    def __init__(self, image: QImage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Crop your avatar"))
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.area = CropArea(image, self)
        self.area.setAccessibleName(self.tr("Crop area: drag or use the arrow keys to move"))
        row.addWidget(self.area, 1)
        side = QVBoxLayout()
        self.preview_label = QLabel(self.tr("Preview"), self)
        side.addWidget(self.preview_label)
        self.preview = CirclePreview(self.area, self)
        self.preview.setAccessibleName(self.tr("Round preview"))
        side.addWidget(self.preview)
        side.addStretch(1)
        row.addLayout(side)
        layout.addLayout(row, 1)
        zoom_row = QHBoxLayout()
        self.zoom_label = QLabel(self.tr("&Zoom"), self)
        self.zoom = QSlider(Qt.Orientation.Horizontal, self)
        self.zoom.setRange(100, 400)
        self.zoom.setAccessibleName(self.tr("Zoom"))
        self.zoom.valueChanged.connect(lambda v: self.area.set_zoom(v / 100))
        self.zoom_label.setBuddy(self.zoom)
        zoom_row.addWidget(self.zoom_label)
        zoom_row.addWidget(self.zoom, 1)
        layout.addLayout(zoom_row)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Save avatar"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(640, 520)

    def result_image(self) -> QImage:
        """The square crop, at most OUTPUT pixels a side (cheap: a copy and one scale)."""
        r = self.area.crop_rect().toAlignedRect()
        cropped = self.area.image.copy(r)
        if cropped.width() > OUTPUT:
            cropped = cropped.scaled(OUTPUT, OUTPUT, Qt.AspectRatioMode.KeepAspectRatio,
                                     Qt.TransformationMode.SmoothTransformation)
        return cropped
