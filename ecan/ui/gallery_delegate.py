"""Paints one gallery card: the thumbnail, the name, and a sync badge (local, queued, syncing with
its progress, synced, failed). Badges are drawn as shapes, not glyphs, so they look the same in
every language and font.

A card is drawn once into a pixmap and then blitted: every QPainter call from Python lets other
threads take the interpreter lock and must win it back, so a card of ~25 calls, repainted as
uploads finish, stalled the window while imports ran. One drawPixmap per card does not."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from ecan.ui.gallery_model import CardRole, ThumbRole

THUMB = 112
CARD = QSize(144, 156)
CARD_CACHE = 600  # cards kept drawn: a few screens' worth (~90 KB each at 2x)

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
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._cards: OrderedDict[tuple[Any, ...], QPixmap] = OrderedDict()

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        return CARD

    def paint(self, p: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        rect = option.rect  # type: ignore[attr-defined]
        state = option.state  # type: ignore[attr-defined]
        selected = bool(state & QStyle.StateFlag.State_Selected)
        hovered = bool(state & QStyle.StateFlag.State_MouseOver)
        pix = index.data(ThumbRole)
        dpr = p.device().devicePixelRatioF()
        key = (index.data(CardRole), pix.cacheKey() if isinstance(pix, QPixmap) else 0,
               selected, hovered, rect.width(), rect.height(), dpr,
               option.palette.cacheKey(), option.font.key())  # type: ignore[attr-defined]
        if not isinstance(pix, QPixmap) or pix.isNull():
            # A placeholder lasts until the thumbnail loads: drawn in place, not kept.
            p.save()
            p.translate(rect.topLeft())
            self._draw(p, option, key[0], None, selected, hovered)
            p.restore()
            return
        card = self._cards.get(key)
        if card is None:
            card = self._draw_card(option, key[0], pix, selected, hovered, dpr)
            self._cards[key] = card
            while len(self._cards) > CARD_CACHE:
                self._cards.popitem(last=False)
        else:
            self._cards.move_to_end(key)
        p.drawPixmap(rect.topLeft(), card)

    def _draw_card(self, option: QStyleOptionViewItem, card: tuple[str, str, float],
                   pix: Any, selected: bool, hovered: bool, dpr: float) -> QPixmap:
        size = option.rect.size()  # type: ignore[attr-defined]
        out = QPixmap(size * dpr)
        out.setDevicePixelRatio(dpr)
        out.fill(Qt.GlobalColor.transparent)
        p = QPainter(out)
        self._draw(p, option, card, pix, selected, hovered)
        p.end()
        return out

    def _draw(self, p: QPainter, option: QStyleOptionViewItem, card: tuple[str, str, float],
              pix: Any, selected: bool, hovered: bool) -> None:
        """The card at (0, 0), on whatever `p` paints (a cached pixmap or the view)."""
        name, sync_state, progress = card
        size = option.rect.size()  # type: ignore[attr-defined]
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(0, 0, size.width(), size.height()).adjusted(4, 4, -4, -4)
        pal: QPalette = option.palette  # type: ignore[attr-defined]
        if selected or hovered:
            bg = pal.color(QPalette.ColorRole.Highlight)
            bg.setAlpha(60 if selected else 22)
            p.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), 1.5) if selected
                     else Qt.PenStyle.NoPen)
            p.setBrush(bg)
            p.drawRoundedRect(r, 10, 10)
        thumb_rect = QRectF(r.center().x() - THUMB / 2, r.top() + 6, THUMB, THUMB)
        clip = QPainterPath()
        clip.addRoundedRect(thumb_rect, 12, 12)
        p.save()
        p.setClipPath(clip)
        if isinstance(pix, QPixmap) and not pix.isNull():
            psize = pix.deviceIndependentSize()
            # Centre-crop to a square: avatars are shown square whatever their shape.
            scale = max(THUMB / max(psize.width(), 1), THUMB / max(psize.height(), 1))
            w, h = psize.width() * scale, psize.height() * scale
            target = QRectF(thumb_rect.center().x() - w / 2, thumb_rect.center().y() - h / 2, w, h)
            p.drawPixmap(target, pix, QRectF(pix.rect()))
        else:
            p.fillRect(thumb_rect, pal.color(QPalette.ColorRole.AlternateBase).darker(104))
        p.restore()
        p.setPen(QPen(QColor(0, 0, 0, 30), 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(thumb_rect, 12, 12)
        badge = QRectF(thumb_rect.right() - 26, thumb_rect.bottom() - 26, 24, 24)
        paint_badge(p, badge, sync_state, progress)
        text_rect = QRectF(r.left() + 4, thumb_rect.bottom() + 6, r.width() - 8, 22)
        p.setFont(QFont(option.font))  # type: ignore[attr-defined]
        p.setPen(pal.color(QPalette.ColorRole.Text))
        elided = option.fontMetrics.elidedText(  # type: ignore[attr-defined]
            name, Qt.TextElideMode.ElideMiddle, int(text_rect.width()))
        p.drawText(text_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, elided)
