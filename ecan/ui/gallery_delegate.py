"""Paints one gallery card: the thumbnail, the name, and a sync badge (local, queued, syncing with
its progress, synced, failed). Badges are drawn as shapes, not glyphs, so they look the same in
every language and font."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from ecan.ui.gallery_model import ProgressRole, StateRole, ThumbRole

THUMB = 112
CARD = QSize(144, 156)

BADGE_COLOURS = {
    "local": QColor("#78808c"),
    "queued": QColor("#8a94a6"),
    "syncing": QColor("#2f6fde"),
    "synced": QColor("#1f9d55"),
    "failed": QColor("#d93025"),
}


def paint_badge(p: QPainter, rect: QRectF, state: str, progress: float | None) -> None:
    """`progress` None or negative: unknown."""
    """A round badge with a symbol for `state`, drawn with paths."""
    colour = BADGE_COLOURS.get(state, BADGE_COLOURS["queued"])
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(QPen(QColor("white"), 2))
    p.setBrush(colour)
    p.drawEllipse(rect)
    c = rect.center()
    r = rect.width() / 2
    pen = QPen(QColor("white"), max(1.6, r * 0.2), Qt.PenStyle.SolidLine,
               Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    if state == "synced":
        path = QPainterPath(QPointF(c.x() - r * 0.42, c.y() + r * 0.02))
        path.lineTo(c.x() - r * 0.1, c.y() + r * 0.34)
        path.lineTo(c.x() + r * 0.45, c.y() - r * 0.3)
        p.drawPath(path)
    elif state == "failed":
        p.drawLine(QPointF(c.x(), c.y() - r * 0.45), QPointF(c.x(), c.y() + r * 0.1))
        p.drawPoint(QPointF(c.x(), c.y() + r * 0.42))
    elif state == "syncing":
        inner = rect.adjusted(r * 0.35, r * 0.35, -r * 0.35, -r * 0.35)
        frac = 0.15 if progress is None or progress < 0 else max(0.05, progress)
        p.drawArc(inner, 90 * 16, -int(360 * 16 * frac))
    elif state == "local":
        # A small laptop: the avatar lives on this machine only.
        body = QRectF(c.x() - r * 0.4, c.y() - r * 0.3, r * 0.8, r * 0.5)
        p.drawRect(body)
        p.drawLine(QPointF(c.x() - r * 0.55, c.y() + r * 0.35),
                   QPointF(c.x() + r * 0.55, c.y() + r * 0.35))
    else:  # queued: a clock face
        p.drawLine(QPointF(c.x(), c.y()), QPointF(c.x(), c.y() - r * 0.45))
        p.drawLine(QPointF(c.x(), c.y()), QPointF(c.x() + r * 0.35, c.y()))
    p.restore()


class AvatarDelegate(QStyledItemDelegate):
    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        return CARD

    def paint(self, p: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(option.rect).adjusted(4, 4, -4, -4)  # type: ignore[attr-defined]
        state = option.state  # type: ignore[attr-defined]
        pal: QPalette = option.palette  # type: ignore[attr-defined]
        selected = bool(state & QStyle.StateFlag.State_Selected)
        hovered = bool(state & QStyle.StateFlag.State_MouseOver)
        if selected or hovered:
            bg = pal.color(QPalette.ColorRole.Highlight)
            bg.setAlpha(60 if selected else 22)
            p.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), 1.5) if selected
                     else Qt.PenStyle.NoPen)
            p.setBrush(bg)
            p.drawRoundedRect(r, 10, 10)
        thumb_rect = QRectF(r.center().x() - THUMB / 2, r.top() + 6, THUMB, THUMB)
        pix = index.data(ThumbRole)
        clip = QPainterPath()
        clip.addRoundedRect(thumb_rect, 12, 12)
        p.save()
        p.setClipPath(clip)
        if isinstance(pix, QPixmap) and not pix.isNull():
            size = pix.deviceIndependentSize()
            # Centre-crop to a square: avatars are shown square whatever their shape.
            scale = max(THUMB / max(size.width(), 1), THUMB / max(size.height(), 1))
            w, h = size.width() * scale, size.height() * scale
            target = QRectF(thumb_rect.center().x() - w / 2, thumb_rect.center().y() - h / 2, w, h)
            p.drawPixmap(target, pix, QRectF(pix.rect()))
        else:
            p.fillRect(thumb_rect, pal.color(QPalette.ColorRole.AlternateBase).darker(104))
        p.restore()
        p.setPen(QPen(QColor(0, 0, 0, 30), 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(thumb_rect, 12, 12)
        badge = QRectF(thumb_rect.right() - 26, thumb_rect.bottom() - 26, 24, 24)
        paint_badge(p, badge, str(index.data(StateRole) or "queued"), index.data(ProgressRole))
        text_rect = QRectF(r.left() + 4, thumb_rect.bottom() + 6, r.width() - 8, 22)
        font = QFont(option.font)  # type: ignore[attr-defined]
        p.setFont(font)
        p.setPen(pal.color(QPalette.ColorRole.Text))
        name = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        elided = option.fontMetrics.elidedText(  # type: ignore[attr-defined]
            name, Qt.TextElideMode.ElideMiddle, int(text_rect.width()))
        p.drawText(text_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, elided)
        p.restore()
