"""The gallery's Qt model: one row per avatar (a dict from `avatar.list`, kept packed: see
RowPacker), updated in place when only states change so a 10,000-row view does not reset on
every sync tick."""

from __future__ import annotations

import collections
import gc
import itertools
import sys
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
)
from PySide6.QtGui import QPixmap

from ecan.bridge import ops
from ecan.bridge.bridge import Bridge
from ecan.bridge.messages import translate_text
from ecan.bridge.thumbs import ThumbnailLoader
from ecan.handlers.models import AvatarRows

AvatarRole = Qt.ItemDataRole.UserRole + 1
IdRole = Qt.ItemDataRole.UserRole + 2
ThumbRole = Qt.ItemDataRole.UserRole + 5
# Everything a card shows but its thumbnail, in one answer: the delegate's cache key.
CardRole = Qt.ItemDataRole.UserRole + 6

_Index = QModelIndex | QPersistentModelIndex

# PySide6 6.12 on Python 3.11 drops a reference to None each time an empty QVariant comes back
# to Python (`index.data(role)` answering None); enough of those and the interpreter aborts
# ("deallocating None"). The roles Python code reads therefore never answer None: these
# sentinels stand for "nothing yet".
NO_PROGRESS = -1.0
# A row counted but not read yet answers these (its card is drawn as an empty tile).
PENDING_CARD = ("", "", NO_PROGRESS, False, "")


def duration_text(seconds: Any) -> str:
    """A video's length as a player shows it: 0:07, 2:05, 1:02:03; "" when unknown."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        return ""
    total = int(seconds + 0.5)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class _Spliced:
    """A path or cloud key kept as the text around its row's sha256: the library names an
    avatar's files (and their cloud copies) by their content, so the sha is in each of them and
    the rest is one of a few folders and endings, shared by every row."""

    __slots__ = ("head", "tail")

    def __init__(self, head: str, tail: str) -> None:
        self.head = head
        self.tail = tail


# Short values most rows share (states, kinds, formats, sync errors): one string each, however
# many rows have them.
_WORDS = frozenset({"resource_type", "sync_state", "format", "ext", "mime_type", "video_ext",
                    "sync_error", "sync_hint"})
# Numbers most rows share (a picture's size): one int object each (numbers past 256 are not
# shared by Python itself).
_NUMBERS = frozenset({"width", "height"})
# Keys whose values name a file by its content (see _Spliced).
_SPLICED = ("_path", "_key", "_url")


class _Shape:
    """The keys of a row dict in their order, shared by every packed row with those keys (every
    row `avatar.list` answers has the same ones)."""

    __slots__ = ("keys", "at", "sha", "words", "numbers", "spliced")

    def __init__(self, keys: tuple[str, ...]) -> None:
        self.keys = keys
        self.at = {k: i for i, k in enumerate(keys)}
        self.sha = self.at.get("sha256", -1)
        self.words = tuple(i for i, k in enumerate(keys) if k in _WORDS)
        self.numbers = tuple(i for i, k in enumerate(keys) if k in _NUMBERS)
        self.spliced = () if self.sha < 0 else tuple(
            i for i, k in enumerate(keys) if k.endswith(_SPLICED))


Packed = tuple[Any, ...]
# What the model's row methods take: a row as `avatar.list` answers it, or packed already.
RowLike = dict[str, Any] | Packed


class RowPacker:
    """The rows as the gallery keeps them: a tuple of the dict's values with its _Shape last,
    repeated short strings interned, paths and cloud keys spliced around the sha256, lists as
    tuples: ~0.7 KB a row where `avatar.list`'s dict is ~1.8 KB (with those dicts, a window
    scrolled to the end of a 100,000-avatar gallery took ~530 MB). `unpack` gives back a dict
    equal to the one packed, a new one each time. Rows are JSON-shaped (what a handler answers):
    a tuple value would come back as a list. Safe to share between threads."""

    def __init__(self) -> None:
        self._shapes: dict[tuple[str, ...], _Shape] = {}
        self._splices: dict[tuple[str, str], _Spliced] = {}
        self._numbers: dict[int, int] = {}

    def pack(self, row: dict[str, Any]) -> Packed:
        keys = tuple(row)
        shape = self._shapes.get(keys)
        if shape is None:
            shape = self._shapes.setdefault(keys, _Shape(keys))  # one, whichever thread wins
        values = list(row.values())
        for i in shape.words:
            v = values[i]
            if type(v) is str:
                values[i] = sys.intern(v)
        for i in shape.numbers:
            v = values[i]
            if type(v) is int:  # not a bool: True == 1 must not come back as 1
                values[i] = self._numbers.setdefault(v, v)
        if shape.spliced:
            sha = values[shape.sha]
            if type(sha) is str and sha:
                for i in shape.spliced:
                    v = values[i]
                    if type(v) is str:
                        head, found, tail = v.partition(sha)
                        if found:
                            key = (head, tail)
                            spliced = self._splices.get(key)
                            if spliced is None:
                                spliced = self._splices.setdefault(key, _Spliced(head, tail))
                            values[i] = spliced
        for i, v in enumerate(values):
            if type(v) is list:  # (a JSON row has no tuples: every tuple here was a list)
                values[i] = tuple(v)
        values.append(shape)
        return tuple(values)


def unpack(row: Packed) -> dict[str, Any]:
    """The dict a packed row was made from (a new one)."""
    shape: _Shape = row[-1]
    out = dict(zip(shape.keys, row, strict=False))  # stops before the shape
    for i in shape.spliced:
        v = row[i]
        if type(v) is _Spliced:
            out[shape.keys[i]] = v.head + row[shape.sha] + v.tail
    for key, v in out.items():
        if type(v) is tuple:
            out[key] = list(v)
    return out


def _get(row: Packed, key: str, default: Any = None) -> Any:
    """`unpack(row).get(key, default)`, without making the dict."""
    shape: _Shape = row[-1]
    i = shape.at.get(key, -1)
    if i < 0:
        return default
    v = row[i]
    if type(v) is _Spliced:
        return v.head + row[shape.sha] + v.tail
    if type(v) is tuple:
        return list(v)
    return v


class AvatarListModel(QAbstractListModel):
    """Rows are avatar dicts, kept packed (RowPacker): the hot paths (painting, filtering,
    indexing, comparing a fresh list with the rows shown) read the packed values, and a whole
    row's dict is only made for whoever asks for one (AvatarRole, avatar, avatars, row_at).
    Thumbnails come from the loader lazily, as rows are painted."""

    def __init__(self, thumbs: ThumbnailLoader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._packer = RowPacker()
        self._rows: list[Packed] = []
        self._row_of: dict[str, int] = {}
        # Avatars painted while their thumbnail was loading, by its path: repainted when it
        # comes. (Not every row's path: at 100,000 rows those strings would be ~25 MB.)
        self._awaiting_thumb: dict[str, set[str]] = {}
        self._progress: dict[str, float] = {}
        # Reads run on a thread pool and can answer out of order: a full list asked for before
        # an upload finished may arrive after the fresher row that upload's refresh fetched.
        # Each read takes a ticket when it is asked for; a row is only ever replaced by a read
        # asked for later than the one it came from. Rows come from the last full list unless
        # a later read of just them (an import's batch, a finished upload) is noted here.
        self._tickets = itertools.count(1)
        self._list_ticket = 0
        self._row_ticket: dict[str, int] = {}
        self._thumbs = thumbs
        thumbs.thumbnail_ready.connect(self._on_thumb)
        # Paging: the rows are the library's first ones in its order; more follow when the view
        # asks (fetchMore), through `fetcher`, which answers later with `append_page`.
        self._more = False
        self._fetching = False
        self._fetcher: Callable[[int], None] | None = None
        # Rows counted but not read yet, behind the loaded ones: the view is told the library's
        # size up front and lays it out once. Appending pages instead made QListView lay out
        # every row again per page (O(rows^2) to scroll to the end, 170 ms stalls at 100,000).
        self._expected = 0  # rows the list will have once loaded (0: unknown)
        self._pending = 0  # placeholder rows at the end, = max(expected - loaded, 0) if more
        self._wanted = -1  # the furthest placeholder row asked for (painted)
        self._want_soon = False
        self._failed = False  # the last page could not be read: ask again only when painted
        # Rows add_avatars put in front since the last full list, less rows removed since.
        self.added_since_list = 0
        self._kinds: collections.Counter[str] = collections.Counter()  # rows per resource_type

    # Qt model API
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows) + self._pending

    def loaded(self) -> int:
        """Rows read so far (the first ones); those after them are placeholders."""
        return len(self._rows)

    def set_expected(self, total: int) -> None:
        """How many rows the list will have once every page is read (the library's count for
        the shown filter): the rest are shown as placeholders and read as they are painted."""
        self._expected = max(total, 0)
        self._sync_pending()

    def _sync_pending(self) -> None:
        want = max(self._expected - len(self._rows), 0) if self._more else 0
        have = self._pending
        end = len(self._rows) + have
        if want > have:
            self.beginInsertRows(QModelIndex(), end, end + want - have - 1)
            self._pending = want
            self.endInsertRows()
        elif want < have:
            self.beginRemoveRows(QModelIndex(), end - (have - want), end - 1)
            self._pending = want
            self.endRemoveRows()
        if self._wanted >= len(self._rows) and self._pending and not self._failed:
            self._ask_soon()
        elif not self._pending:
            self._wanted = -1

    def _ask_soon(self) -> None:
        # Not from inside data(): that runs while the view paints.
        if not self._want_soon:
            self._want_soon = True
            QTimer.singleShot(0, self, self._ask_wanted)

    def _ask_wanted(self) -> None:
        self._want_soon = False
        if self._wanted >= len(self._rows) and self.canFetchMore():
            self.fetchMore()

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return (not parent.isValid() and self._more and not self._fetching
                and self._fetcher is not None)

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            assert self._fetcher is not None
            self._fetching = True
            self._fetcher(self.ticket())

    def set_fetcher(self, fetcher: Callable[[int], None] | None) -> None:
        """`fetcher(ticket)` asks for the rows after those shown; its answer goes to
        append_page with that ticket."""
        self._fetcher = fetcher

    def has_more(self) -> bool:
        """Rows of the library follow those loaded."""
        return self._more

    def fetching(self) -> bool:
        return self._fetching

    def pack(self, row: dict[str, Any]) -> Packed:
        """The row as this model keeps it; any thread may call this (a list's answer is packed
        on the bridge's worker: see ops.list_avatars), and the model's row methods take rows
        packed or not."""
        return self._packer.pack(row)

    def _packed(self, rows: Sequence[RowLike]) -> list[Packed]:
        pack = self._packer.pack
        return [r if isinstance(r, tuple) else pack(r) for r in rows]

    def append_page(self, avatars: Sequence[RowLike], more: bool, ticket: int) -> None:
        """The next page, behind the rows shown. A page asked for before the last full list was
        is dropped (that list decided what is shown and whether more follow; the view asks
        again if it still needs rows); rows already shown (an import moved the library on
        meanwhile) are skipped."""
        self._fetching = False
        if ticket < self._list_ticket:
            self._sync_pending()  # rows still wanted are asked for again, under the new list
            return
        new = [a for a in self._packed(avatars) if str(_get(a, "id")) not in self._row_of]
        self._failed = not avatars and more
        self._more = more
        # The last placeholder was painted: the view is at the end of the rows it was told of.
        end_shown = self._pending > 0 and self._wanted >= len(self._rows) + self._pending - 1
        if new:
            first = len(self._rows)
            # Rows that take placeholders' places are a change of data, not of the row count:
            # the view keeps its layout.
            filled = min(len(new), self._pending)
            if filled < len(new):
                self.beginInsertRows(QModelIndex(), first + self._pending,
                                     first + self._pending + len(new) - filled - 1)
            self._rows.extend(new)
            self._pending -= filled
            self._kinds.update(str(_get(a, "resource_type")) for a in new)
            # Appended: no row moves, so only the new rows are indexed (a full reindex per page
            # would cost the GUI thread more the further the user scrolls).
            for i, a in enumerate(new, start=first):
                self._row_of[_get(a, "id") or ""] = i
            if filled < len(new):
                self.endInsertRows()
            if filled:
                self.dataChanged.emit(self.index(first), self.index(first + filled - 1))
            # The rows read stay for the window's life, and CPython's full collection walks every
            # object the collector tracks: at 100,000 rows one took 30-70 ms on the GUI thread,
            # the longest stall of a scroll. Frozen, they are no longer walked. (What else is
            # alive at that moment is frozen too: a garbage cycle among it is then never freed.)
            gc.freeze()
        self._sync_pending()
        if end_shown and not self._pending and self._more and not self._failed:
            # Rows follow the counted ones (the built-in avatars, after mine): the view asks for
            # them itself only when its scroll bar next reaches the end, and a bar already there
            # does not move again, so a gallery scrolled to its end before its last page came
            # was never read to the end.
            self._wanted = len(self._rows)
            self._ask_soon()

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows) + self._pending:
            return None  # only Qt's C++ side asks for invalid rows
        if index.row() >= len(self._rows):
            return self._placeholder(index.row(), role)
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return _get(row, "name") or ""
        if role == AvatarRole:
            return unpack(row)
        if role == IdRole:
            return _get(row, "id")
        if role == ThumbRole:
            path = _get(row, "thumb_path") or ""
            pix = self._thumbs.pixmap(path)
            if pix is None and path:  # (no path: nothing loads, nothing to wait for)
                self._awaiting_thumb.setdefault(path, set()).add(_get(row, "id") or "")
            return pix or QPixmap()
        if role == CardRole:
            return (_get(row, "name") or "", _get(row, "sync_state") or "queued",
                    self._progress.get(_get(row, "id") or "", NO_PROGRESS),
                    bool(_get(row, "has_video")), duration_text(_get(row, "video_duration")))
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.describe(unpack(row))
        if role == Qt.ItemDataRole.AccessibleTextRole:
            text = (f"{_get(row, 'name', '')}, "
                    f"{self.state_text(_get(row, 'sync_state') or 'queued')}")
            if _get(row, "has_video"):
                text += ", " + self.video_text(unpack(row))
            return text
        return None

    def _placeholder(self, row: int, role: int) -> Any:
        """A row not read yet: painting it asks for the pages up to it."""
        self._wanted = max(self._wanted, row)
        if not self._fetching:
            self._failed = False  # painted again: worth another try
            self._ask_soon()
        if role == CardRole:
            return PENDING_CARD
        if role == ThumbRole:
            return QPixmap()
        if role == AvatarRole:
            return {}
        if role in (Qt.ItemDataRole.DisplayRole, IdRole, Qt.ItemDataRole.ToolTipRole,
                    Qt.ItemDataRole.AccessibleTextRole):
            return ""
        return None

    def video_text(self, row: dict[str, Any]) -> str:
        length = duration_text(row.get("video_duration"))
        return self.tr("video, {length}").format(length=length) if length else self.tr("video")

    def state_text(self, state: str) -> str:
        return {
            "local": self.tr("On this computer only"),
            "queued": self.tr("Waiting to sync"),
            "syncing": self.tr("Syncing"),
            "synced": self.tr("Synced"),
            "failed": self.tr("Sync failed"),
        }.get(state, state)

    def describe(self, row: dict[str, Any]) -> str:
        """The tooltip: name, state, and for a failure its reason and what to do."""
        state = row.get("sync_state") or "queued"
        lines = [str(row.get("name") or ""), self.state_text(state)]
        if row.get("has_video"):
            lines.insert(1, self.video_text(row).capitalize())
        if state == "failed":
            if row.get("sync_error"):
                lines.append(translate_text(str(row["sync_error"])))
            if row.get("sync_hint"):
                lines.append(translate_text(str(row["sync_hint"])))
        return "\n".join(lines)

    # updates
    def avatar(self, avatar_id: str) -> dict[str, Any] | None:
        """A read avatar's row (a copy: changing it changes nothing shown)."""
        r = self._row_of.get(avatar_id)
        return None if r is None else unpack(self._rows[r])

    def row_of(self, avatar_id: str) -> int | None:
        """The row of a read avatar."""
        return self._row_of.get(avatar_id)

    def avatars(self) -> list[dict[str, Any]]:
        return [unpack(r) for r in self._rows]

    def kind_counts(self) -> collections.Counter[str]:
        """Rows loaded per resource_type, kept as rows come (counting them all again when the
        last page arrives stalled the window for a 100,000-row library)."""
        return self._kinds

    def row_at(self, row: int) -> dict[str, Any]:
        """The dict of read row `row` (a copy); `field` reads one value of it for less."""
        return unpack(self._rows[row])

    def field(self, row: int, key: str, default: Any = None) -> Any:
        """`row_at(row).get(key, default)`, without making the row's dict (the filter asks this
        of every row on every change of the filter)."""
        return _get(self._rows[row], key, default)

    def ticket(self) -> int:
        """Take before asking for rows; hand the answer in with it."""
        return next(self._tickets)

    def _fresher(self, avatar_id: str, ticket: int) -> bool:
        """Whether a row read under `ticket` may replace what is shown for `avatar_id`; if so,
        note that this row now comes from that read."""
        if ticket < self._row_ticket.get(avatar_id, self._list_ticket):
            return False
        self._row_ticket[avatar_id] = ticket
        return True

    def set_avatars(self, avatars: Sequence[RowLike], ticket: int | None = None,
                    more: bool = False, total: int | None = None) -> None:
        """Replace the rows with the smallest change Qt can be told about: same ids, repaint
        what changed; new avatars in front (an import), insert them; else reset. Resets cost a
        re-filter and relayout of the whole library, which a 10,000-row view notices. `more`:
        the library goes on past these rows (they are its first ones); `total`: how many rows
        the list has in all (see set_expected)."""
        ticket = self.ticket() if ticket is None else ticket
        if ticket < self._list_ticket:
            return  # a newer full list has already been shown
        self._list_ticket = ticket
        self._more = more
        if total is not None:
            self._expected = max(total, 0)
        self.added_since_list = 0
        rows = self._packed(avatars)
        newer = {k: v for k, v in self._row_ticket.items() if v > ticket}
        self._row_ticket = newer
        if newer:
            # Rows read after this list was asked for stay as they are; ones it does not know
            # yet (an import's latest batch) stay in front.
            shown = self._row_of
            rows = [self._rows[shown[i]] if i in newer and i in shown else a
                    for a, i in ((a, _get(a, "id")) for a in rows)]
            listed = {_get(a, "id") for a in rows}
            rows[0:0] = [self._rows[r] for r in sorted(
                shown[i] for i in newer if i in shown and i not in listed)]
        new_ids = [_get(a, "id") for a in rows]
        old_ids = [_get(a, "id") for a in self._rows]
        added = len(new_ids) - len(old_ids)
        if added > 0 and new_ids[added:] == old_ids:
            self.beginInsertRows(QModelIndex(), 0, added - 1)
            self._rows[0:0] = rows[:added]
            self._kinds.update(str(_get(a, "resource_type")) for a in rows[:added])
            self._reindex()
            self.endInsertRows()
            self._update_in_place(rows)
            self._sync_pending()
            return
        if new_ids == old_ids:
            self._update_in_place(rows)
            self._sync_pending()
            return
        self.beginResetModel()
        self._rows = rows
        self._pending = max(self._expected - len(self._rows), 0) if more else 0
        self._wanted = -1
        self._kinds = collections.Counter(str(_get(a, "resource_type")) for a in rows)
        live = set(new_ids)
        self._progress = {k: v for k, v in self._progress.items() if k in live}
        self._reindex()
        self.endResetModel()
        self._sync_pending()

    def _update_in_place(self, rows: list[Packed]) -> None:
        for i, (old, new) in enumerate(zip(self._rows, rows, strict=True)):
            if old != new:
                self._replace(i, new)
                idx = self.index(i)
                self.dataChanged.emit(idx, idx)

    def _replace(self, r: int, new: Packed) -> None:
        old_thumb, new_thumb = _get(self._rows[r], "thumb_path"), _get(new, "thumb_path")
        if old_thumb != new_thumb:
            self._thumbs.forget(old_thumb or "")
        self._rows[r] = new
        if _get(new, "sync_state") != "syncing":
            self._progress.pop(str(_get(new, "id")), None)

    def add_avatars(self, avatars: Sequence[RowLike], ticket: int | None = None) -> None:
        """Show newly made avatars in front, newest first as `avatar.list` orders them; any
        already shown are updated in place."""
        ticket = self.ticket() if ticket is None else ticket
        rows = self._packed(avatars)
        new = [a for a in rows if str(_get(a, "id")) not in self._row_of
               and self._fresher(str(_get(a, "id")), ticket)]
        for a in rows:
            if str(_get(a, "id")) in self._row_of:
                self.update_avatar(a, ticket)
        if new:
            new.sort(key=lambda a: (-float(_get(a, "created_at") or 0), str(_get(a, "id"))))
            self.added_since_list += len(new)
            self._kinds.update(str(_get(a, "resource_type")) for a in new)
            self.beginInsertRows(QModelIndex(), 0, len(new) - 1)
            self._rows[0:0] = new
            self._reindex()
            self.endInsertRows()

    def update_avatar(self, avatar: RowLike, ticket: int | None = None) -> None:
        """Replace one row in place (a sync job finished): no full reload for one change."""
        row = avatar if isinstance(avatar, tuple) else self._packer.pack(avatar)
        avatar_id = str(_get(row, "id"))
        r = self._row_of.get(avatar_id)
        ticket = self.ticket() if ticket is None else ticket
        if r is None or not self._fresher(avatar_id, ticket) or self._rows[r] == row:
            return
        self._replace(r, row)
        idx = self.index(r)
        self.dataChanged.emit(idx, idx)

    def refresh_rows(self, bridge: Bridge, ids: Sequence[str]) -> None:
        """Read these avatars again (a change named them) and show them as they are now."""
        asked = list(dict.fromkeys(ids))
        if not asked:
            return
        ticket = self.ticket()

        def got(rows: AvatarRows) -> None:
            self.apply_rows(asked, rows.avatars, ticket)

        ops.get_avatars(bridge, asked, on_success=got, on_failure=lambda _e: None)

    def apply_rows(self, asked: Sequence[str], avatars: Sequence[RowLike], ticket: int) -> None:
        """The answer to a read of just the `asked` ids: rows shown are updated in place, rows
        the library no longer has (asked, not answered: deleted) are removed, and new rows go
        in front. A row not shown that is older than the loaded pages' last one stays out: it
        arrives with its page."""
        rows = self._packed(avatars)
        found = {str(_get(a, "id")) for a in rows}
        self.remove_ids([i for i in asked if i not in found and i in self._row_of
                         and self._fresher(i, ticket)])
        oldest = float(_get(self._rows[-1], "created_at") or 0) if self._rows else 0.0
        self.add_avatars([a for a in rows if str(_get(a, "id")) in self._row_of
                          or not self._more or float(_get(a, "created_at") or 0) >= oldest],
                         ticket)

    def remove_ids(self, ids: Sequence[str]) -> None:
        """Take these rows out (deleted avatars), each as one removal Qt can animate."""
        rows = sorted((self._row_of[i] for i in ids if i in self._row_of), reverse=True)
        for r in rows:  # from the bottom: the rows above keep their numbers
            row = self._rows[r]
            # Counted out first: the filter proxy drops its row (and the page recounts its
            # label) as soon as this model says the row is about to go.
            self._kinds[str(_get(row, "resource_type"))] -= 1
            self._progress.pop(str(_get(row, "id")), None)
            self.added_since_list -= 1
            self.beginRemoveRows(QModelIndex(), r, r)
            del self._rows[r]
            self._reindex()
            self.endRemoveRows()

    def set_progress(self, avatar_id: str, fraction: float | None) -> None:
        r = self._row_of.get(avatar_id)
        before = self._progress.get(avatar_id)
        if fraction is None:
            self._progress.pop(avatar_id, None)
        else:
            self._progress[avatar_id] = max(0.0, min(1.0, fraction))
        if r is not None and self._progress.get(avatar_id) != before:  # repaint on change only
            idx = self.index(r)
            self.dataChanged.emit(idx, idx, [CardRole])

    def _reindex(self) -> None:
        self._row_of = {_get(a, "id") or "": i for i, a in enumerate(self._rows)}

    def _on_thumb(self, path: str) -> None:
        for avatar_id in self._awaiting_thumb.pop(path, ()):
            r = self._row_of.get(avatar_id)
            if r is not None and (_get(self._rows[r], "thumb_path") or "") == path:
                idx = self.index(r)
                self.dataChanged.emit(idx, idx, [ThumbRole])


class AvatarFilterModel(QSortFilterProxyModel):
    """Filters by name (case-insensitive substring) and by sync state."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._states: set[str] = set()
        self._types: set[str] = set()
        # Qt asks filterAcceptsRow of every row inserted: at 100,000 avatars the window's first
        # list inserts ~100,000 placeholders at once, and each ask that went through
        # sourceModel(), isinstance and the filter's sets cost ~1.6 us (160 ms before the
        # window settled, against ~60 ms now). So the source's methods and the placeholders'
        # answer are looked up once, when they change.
        self._loaded: Callable[[], int] | None = None
        self._field: Callable[..., Any] | None = None
        self._placeholders_shown = False

    def setSourceModel(self, model: QAbstractItemModel) -> None:  # noqa: N802 - Qt's name
        if isinstance(model, AvatarListModel):
            self._loaded, self._field = model.loaded, model.field
        else:
            self._loaded = self._field = None
        super().setSourceModel(model)

    def set_text(self, text: str) -> None:
        self._refilter(lambda: setattr(self, "_text", text.strip().casefold()))

    def set_states(self, states: set[str]) -> None:
        self._refilter(lambda: setattr(self, "_states", set(states)))

    def set_types(self, types: set[str]) -> None:
        self._refilter(lambda: setattr(self, "_types", set(types)))

    def _refilter(self, change: Callable[[], None]) -> None:
        def changed() -> None:
            change()
            # Not read yet: only the default view pages (mine, any state, no search: the
            # list's order puts my avatars first), so a placeholder is a row it shows; any
            # other filter waits for the whole library.
            self._placeholders_shown = (not self._text and not self._states
                                        and bool(self._types) and "system" not in self._types)

        # Qt 6.10 replaced invalidateFilter() with begin/endFilterChange().
        if hasattr(self, "beginFilterChange"):
            self.beginFilterChange()
            changed()
            self.endFilterChange()
        else:
            changed()
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        loaded, value = self._loaded, self._field
        if loaded is None or value is None:
            return True
        if source_row >= loaded():
            return self._placeholders_shown
        # Straight to the row's values (no dict made): this runs for every row on every
        # filter change.
        if self._states and (value(source_row, "sync_state") or "queued") not in self._states:
            return False
        if self._types and value(source_row, "resource_type") not in self._types:
            return False
        if self._text:
            # What avatar.list's query searches too: name, file name, tags, description.
            tags = " ".join(str(t) for t in value(source_row, "tags") or [])
            hay = (f"{value(source_row, 'name', '')} "
                   f"{value(source_row, 'original_filename', '')} {tags} "
                   f"{value(source_row, 'description') or ''}").casefold()
            return self._text in hay
        return True
