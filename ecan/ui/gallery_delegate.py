"""Paints one gallery card: the thumbnail, the name, a sync badge (local, queued, syncing with
its progress, synced, failed) and, for a video avatar, a play mark with the video's length.
Badges are drawn as shapes, not glyphs, so they look the same in every language and font.

Drawing a card from scratch costs ~0.5 ms (0.8 ms at 2x) of antialiased paths and text, and a
batch that uploads changes dozens of visible cards' state a second; so cards are blitted from
cached pixmaps (see AvatarDelegate) and only placeholders are drawn in place."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRectF,
    QSize,
    QSizeF,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)

from ecan.ui.gallery_model import CardRole, ThumbRole

THUMB = 112
THUMB_RADIUS = 12  # the thumbnail's rounded corners
CARD = QSize(144, 156)
CARD_CACHE = 600  # card faces kept drawn at most (~90 KB each, ~360 KB at 2x)
FACE_SCREENS = 4  # ...and at least this many screens' worth of the view's cards
BADGE = 24
# The badge's white ring is 2 px wide, centred on its edge: its pixmap has room for the outside.
BADGE_MARGIN = QPoint(2, 2)

BADGE_COLOURS = {
    "local": QColor("#78808c"),
    "queued": QColor("#8a94a6"),
    "syncing": QColor("#2f6fde"),
    "synced": QColor("#1f9d55"),
    "failed": QColor("#d93025"),
}


def paint_badge(p: QPainter, rect: QRectF, state: str, progress: float | None) -> None:
    """A round badge with a symbol for `state`, drawn with paths; `progress` None: unknown."""
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


def face_capacity(viewport: QSize) -> int:
    """How many card faces a view of this size keeps drawn: a few screens' worth of its cards
    (those on screen repaint as their badges change; a short scroll back finds its faces), at
    most CARD_CACHE. A fixed 600 was 54 MB in a 1180x760 window showing ~30 cards, all of it
    kept once the gallery had been scrolled."""
    cols = max(1, viewport.width() // CARD.width())
    rows = max(0, viewport.height()) // CARD.height() + 2  # partly shown rows, above and below
    return min(CARD_CACHE, FACE_SCREENS * cols * rows)


class AvatarDelegate(QStyledItemDelegate):
    """A card is blitted from cached pixmaps: its face (thumbnail and name), drawn once per
    thumbnail, and its badge, shared by every card in the same state. A sync-state or progress
    change, which is what happens to dozens of cards a second while a batch uploads, costs two
    blits instead of redrawing the card. The thumbnail's antialiased frame and the placeholder
    tile are drawn once and shared too.

    `tiles`: the view's thumbnails come as finished tiles (ThumbnailLoader's tile_radius), so
    a new face blits its picture instead of clipping and scaling it (0.05 ms instead of 0.23 ms
    a face, and a fifth of the Qt calls, each of which lets another thread take the
    interpreter lock from the GUI thread)."""

    def __init__(self, parent: Any = None, *, tiles: bool = False) -> None:
        super().__init__(parent)
        self._tiles = tiles
        self._faces: OrderedDict[tuple[Any, ...], QPixmap] = OrderedDict()
        self._stock: dict[tuple[Any, ...], QPixmap] = {}  # badges, frame, placeholder tile

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        return CARD

    def paint(self, p: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        rect = option.rect  # type: ignore[attr-defined]
        state = option.state  # type: ignore[attr-defined]
        selected = bool(state & QStyle.StateFlag.State_Selected)
        hovered = bool(state & QStyle.StateFlag.State_MouseOver)
        # The keyboard's place (the current card, in a focused view) is drawn apart from the
        # selection, so that moving with Ctrl+arrows shows where Space would select.
        focused = bool(state & QStyle.StateFlag.State_HasFocus)
        name, sync_state, progress, is_video, length = index.data(CardRole)
        if not sync_state:
            # A row not read yet (its page is on its way): the empty tile, nothing else.
            pal: QPalette = option.palette  # type: ignore[attr-defined]
            tile = thumb_rect_of(rect.size()).topLeft().toPoint() - QPoint(1, 1)
            p.drawPixmap(rect.topLeft() + tile, self._tile(
                pal.color(QPalette.ColorRole.AlternateBase).darker(104), dpr=p.device()
                .devicePixelRatioF()))
            return
        video = (is_video, length)
        pix = index.data(ThumbRole)
        dpr = p.device().devicePixelRatioF()
        if not isinstance(pix, QPixmap) or pix.isNull():
            # A placeholder lasts until the thumbnail loads: drawn in place, not kept.
            p.save()
            p.translate(rect.topLeft())
            self._draw_face(p, option, name, None, selected, hovered, dpr, focused, video)
            p.restore()
        else:
            key = (name, pix.cacheKey(), selected, hovered, focused, rect.width(), rect.height(),
                   dpr, option.palette.cacheKey(), option.font.key(),  # type: ignore[attr-defined]
                   video)
            face = self._faces.get(key)
            if face is None:
                face = self._faces[key] = render(
                    rect.size(), dpr,
                    lambda fp: self._draw_face(fp, option, name, pix, selected, hovered, dpr,
                                               focused, video))
                view = option.widget  # type: ignore[attr-defined]
                keep = face_capacity(view.viewport().size()) \
                    if isinstance(view, QAbstractScrollArea) else CARD_CACHE
                while len(self._faces) > keep:
                    self._faces.popitem(last=False)
            else:
                self._faces.move_to_end(key)
            p.drawPixmap(rect.topLeft(), face)
        badge = badge_rect(rect.size())
        p.drawPixmap(rect.topLeft() + badge.topLeft().toPoint() - BADGE_MARGIN,
                     self._badge(sync_state, progress, dpr))

    def _badge(self, state: str, progress: float, dpr: float) -> QPixmap:
        # Progress in 5 % steps: at most 21 syncing badges, the arc still moves smoothly.
        step = round(progress * 20) if state == "syncing" and progress >= 0 else -1
        m = BADGE_MARGIN.x()
        return self._stocked(
            ("badge", state, step, dpr), QSize(BADGE + 2 * m, BADGE + 2 * m), dpr,
            lambda bp: paint_badge(bp, QRectF(m, m, BADGE, BADGE), state,
                                   step / 20 if step >= 0 else None))

    def _tile(self, placeholder: QColor | None, dpr: float) -> QPixmap:
        """The thumbnail's rounded frame, filled with `placeholder` or left clear; drawn 1 px
        out of its THUMB square so the antialiased edge is not cut."""
        def draw(tp: QPainter) -> None:
            tp.setRenderHint(QPainter.RenderHint.Antialiasing)
            tp.setPen(QPen(QColor(0, 0, 0, 30), 1))
            tp.setBrush(placeholder if placeholder is not None else Qt.BrushStyle.NoBrush)
            tp.drawRoundedRect(QRectF(1, 1, THUMB, THUMB), THUMB_RADIUS, THUMB_RADIUS)
        key = ("tile", placeholder.rgba() if placeholder is not None else None, dpr)
        return self._stocked(key, QSize(THUMB + 2, THUMB + 2), dpr, draw)

    def _stocked(self, key: tuple[Any, ...], size: QSize, dpr: float,
                 draw: Callable[[QPainter], None]) -> QPixmap:
        pix = self._stock.get(key)
        if pix is None:
            pix = self._stock[key] = render(size, dpr, draw)
        return pix

    def _draw_face(self, p: QPainter, option: QStyleOptionViewItem, name: str, pix: Any,
                   selected: bool, hovered: bool, dpr: float, focused: bool = False,
                   video: tuple[bool, str] = (False, "")) -> None:
        """The card without its badge at (0, 0), on whatever `p` paints (a pixmap or the
        view)."""
        size = option.rect.size()  # type: ignore[attr-defined]
        r = QRectF(0, 0, size.width(), size.height()).adjusted(4, 4, -4, -4)
        pal: QPalette = option.palette  # type: ignore[attr-defined]
        if selected or hovered:
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            bg = pal.color(QPalette.ColorRole.Highlight)
            bg.setAlpha(60 if selected else 22)
            p.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), 1.5) if selected
                     else Qt.PenStyle.NoPen)
            p.setBrush(bg)
            p.drawRoundedRect(r, 10, 10)
        if focused:
            # A dashed ring just outside the selection's frame, in the text colour.
            p.save()
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            ring = pal.color(QPalette.ColorRole.Text)
            ring.setAlpha(170)
            p.setPen(QPen(ring, 1.5, Qt.PenStyle.DashLine))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(r.adjusted(-2.5, -2.5, 2.5, 2.5), 12, 12)
            p.restore()
        thumb_rect = thumb_rect_of(size)
        tile_at = thumb_rect.topLeft().toPoint() - QPoint(1, 1)
        shown = isinstance(pix, QPixmap) and not pix.isNull()
        if shown and self._tiles and pix.deviceIndependentSize() == QSizeF(THUMB, THUMB):
            p.drawPixmap(thumb_rect.topLeft(), pix)  # already cropped and rounded
        elif shown:
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            clip = QPainterPath()
            clip.addRoundedRect(thumb_rect, THUMB_RADIUS, THUMB_RADIUS)
            p.save()
            p.setClipPath(clip)
            psize = pix.deviceIndependentSize()
            # Centre-crop to a square: avatars are shown square whatever their shape.
            scale = max(THUMB / max(psize.width(), 1), THUMB / max(psize.height(), 1))
            w, h = psize.width() * scale, psize.height() * scale
            target = QRectF(thumb_rect.center().x() - w / 2, thumb_rect.center().y() - h / 2, w, h)
            p.drawPixmap(target, pix, QRectF(pix.rect()))
            p.restore()
        placeholder = None if shown else pal.color(QPalette.ColorRole.AlternateBase).darker(104)
        p.drawPixmap(tile_at, self._tile(placeholder, dpr))
        if video[0]:
            paint_video_mark(p, thumb_rect, video[1], QFont(option.font))  # type: ignore[attr-defined]
        text_rect = QRectF(r.left() + 4, thumb_rect.bottom() + 6, r.width() - 8, 22)
        p.setFont(QFont(option.font))  # type: ignore[attr-defined]
        p.setPen(pal.color(QPalette.ColorRole.Text))
        elided = option.fontMetrics.elidedText(  # type: ignore[attr-defined]
            name, Qt.TextElideMode.ElideMiddle, int(text_rect.width()))
        p.drawText(text_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, elided)


def paint_video_mark(p: QPainter, thumb: QRectF, length: str, font: QFont) -> None:
    """A dark pill over the thumbnail's bottom-left corner: a play triangle and the length."""
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    font.setPointSizeF(max(6.0, font.pointSizeF() * 0.8))
    font.setBold(True)
    p.setFont(font)
    text_w = p.fontMetrics().horizontalAdvance(length) if length else 0
    h = 18.0
    w = h + (text_w + 6 if length else 0)
    pill = QRectF(thumb.left() + 6, thumb.bottom() - 6 - h, w, h)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(0, 0, 0, 170))
    p.drawRoundedRect(pill, h / 2, h / 2)
    cx, cy = pill.left() + h / 2 + 1, pill.center().y()
    triangle = QPainterPath(QPointF(cx - 3.5, cy - 5))
    triangle.lineTo(cx + 5, cy)
    triangle.lineTo(cx - 3.5, cy + 5)
    triangle.closeSubpath()
    p.setBrush(QColor("white"))
    p.drawPath(triangle)
    if length:
        p.setPen(QColor("white"))
        p.drawText(QRectF(pill.left() + h - 2, pill.top(), text_w + 4, h),
                   Qt.AlignmentFlag.AlignCenter, length)
    p.restore()


def render(size: QSize, dpr: float, draw: Callable[[QPainter], None]) -> QPixmap:
    """A transparent pixmap of `size` (logical pixels) at `dpr`, drawn by `draw`."""
    out = QPixmap(size * dpr)
    out.setDevicePixelRatio(dpr)
    out.fill(Qt.GlobalColor.transparent)
    p = QPainter(out)
    draw(p)
    p.end()
    return out


def thumb_rect_of(card: QSize) -> QRectF:
    """Where the thumbnail sits in a card of this size: centred, 10 px from the top."""
    return QRectF((card.width() - THUMB) / 2, 4 + 6, THUMB, THUMB)


def badge_rect(card: QSize) -> QRectF:
    """The badge: over the thumbnail's bottom-right corner."""
    thumb = thumb_rect_of(card)
    return QRectF(thumb.right() - 26, thumb.bottom() - 26, BADGE, BADGE)
