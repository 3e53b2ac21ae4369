"""The Avatars screen: search and state filter, the gallery (QListView in icon mode over
AvatarListModel, smooth at 10,000 rows), an empty state that says what to do, and the details
pane."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QItemSelection, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ecan.bridge import ops
from ecan.bridge.bridge import Bridge
from ecan.bridge.thumbs import ThumbnailLoader
from ecan.handlers.changes import ALL, Changes
from ecan.handlers.models import AgentList, AvatarPage
from ecan.ui.details import DetailsPane
from ecan.ui.gallery_delegate import CARD, THUMB, THUMB_RADIUS, AvatarDelegate
from ecan.ui.gallery_model import AvatarFilterModel, AvatarListModel, AvatarRole, IdRole
from ecan.ui.resources import icon
from ecan.ui.throttle import Throttle

# The gallery loads the library a page at a time, as it is scrolled: a 100,000-avatar library
# is shown as soon as its first page is.
PAGE = 1000
# (kinds shown, states shown) per entry of the "show" box; empty set: any.
MINE = {"uploaded", "generated"}
SHOW_FILTERS: list[tuple[set[str], set[str]]] = [
    (MINE, set()),
    (set(), set()),
    ({"system"}, set()),
    (MINE, {"failed"}),
    (MINE, {"local", "queued", "syncing"}),
    (MINE, {"synced"}),
]


class AvatarsPage(QWidget):
    """Signals:
        import_requested(): the empty state's Import button.
        loaded(int): the library was (re)loaded; the number of avatars.
        usage_changed(): which agents use which avatars was (re)loaded (see delete_refusal).
    """

    import_requested = Signal()
    loaded = Signal(int)
    usage_changed = Signal()

    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._loading = False
        self._reload_again = False
        self._loaded_once = False
        self._used_by: dict[str, list[str]] = {}  # avatar id -> names of the agents using it
        # Avatars per kind in the whole library, from the last list (the rows loaded may be
        # only its first pages).
        self._counts: dict[str, int] = {}
        self.thumbs = ThumbnailLoader(QSize(THUMB, THUMB), self,
                                      device_pixel_ratio=self.devicePixelRatioF(),
                                      tile_radius=THUMB_RADIUS)
        self.model = AvatarListModel(self.thumbs, self)
        self.model.set_fetcher(self._fetch_page)
        self.proxy = AvatarFilterModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.set_types(MINE)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 10, 12, 0)
        outer.setSpacing(8)
        bar = QHBoxLayout()
        self.search = QLineEdit(self)
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(240)
        self.search.textChanged.connect(self._filter_changed)
        self.state_filter = QComboBox(self)
        self.state_filter.currentIndexChanged.connect(self._filter_changed)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("hintLabel")
        bar.addWidget(self.search, 2)
        bar.addWidget(self.state_filter)
        bar.addStretch(1)
        bar.addWidget(self.count_label)
        outer.addLayout(bar)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.stack = QStackedWidget(self.splitter)
        self.stack.setObjectName("galleryStack")
        self.view = QListView(self.stack)
        self.view.setObjectName("gallery")
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setUniformItemSizes(True)
        self.view.setLayoutMode(QListView.LayoutMode.Batched)
        self.view.setBatchSize(300)
        self.view.setGridSize(CARD)
        self.view.setSpacing(0)
        self.view.setMouseTracking(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setItemDelegate(AvatarDelegate(self.view, tiles=True))
        self.view.setModel(self.proxy)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.stack.addWidget(self.view)

        self.empty = QWidget(self.stack)
        self.empty.setObjectName("emptyState")
        self.empty.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        ev = QVBoxLayout(self.empty)
        ev.addStretch(1)
        self.empty_icon = QLabel(self.empty)
        self.empty_icon.setPixmap(icon("drop").pixmap(QSize(72, 72)))
        self.empty_icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_title = QLabel(self.empty)
        self.empty_title.setObjectName("emptyTitle")
        self.empty_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_text = QLabel(self.empty)
        self.empty_text.setObjectName("hintLabel")
        self.empty_text.setWordWrap(True)
        self.empty_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_button = QPushButton(icon("import"), "", self.empty)
        self.empty_button.clicked.connect(self.import_requested)
        for w in (self.empty_icon, self.empty_title, self.empty_text):
            ev.addWidget(w)
        ev.addSpacing(8)
        ev.addWidget(self.empty_button, 0, Qt.AlignmentFlag.AlignHCenter)
        ev.addStretch(2)
        self.stack.addWidget(self.empty)

        self.details = DetailsPane(self.splitter, decoder=self.thumbs.decoder)
        self.splitter.addWidget(self.stack)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.setCollapsible(0, False)
        outer.addWidget(self.splitter, 1)

        self.model.modelReset.connect(self._update_empty)
        self.model.dataChanged.connect(self._refresh_details)
        self.proxy.modelReset.connect(self._update_empty)
        self.proxy.rowsInserted.connect(self._update_empty)
        self.proxy.rowsRemoved.connect(self._update_empty)
        self._reload_soon = Throttle(200, self.reload, self)  # one reload for a burst
        bridge.changed.connect(self._on_changed)
        self._retranslate()
        self._update_empty()

    # language
    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    def _retranslate(self) -> None:
        self.search.setPlaceholderText(self.tr("Search by name, tag or description"))
        self.search.setAccessibleName(self.tr("Search avatars"))
        self.view.setAccessibleName(self.tr("Avatar gallery"))
        self.state_filter.setAccessibleName(self.tr("Show avatars by sync state"))
        current = max(self.state_filter.currentIndex(), 0)
        self.state_filter.blockSignals(True)
        self.state_filter.clear()
        self.state_filter.addItems([self.tr("My avatars"), self.tr("All, with built-in"),
                                    self.tr("Built-in avatars"), self.tr("Failed to sync"),
                                    self.tr("Not synced yet"), self.tr("Synced")])
        self.state_filter.setCurrentIndex(current)
        self.state_filter.blockSignals(False)
        self.empty_button.setText(self.tr("Import pictures…"))
        self.empty_button.setAccessibleName(self.tr("Import pictures"))
        self._update_empty()
        self._refresh_details(force=True)  # the reason Delete is off is in words

    # data
    def reload(self) -> None:
        if self._loading:
            self._reload_again = True
            return
        self._loading = True
        ticket = self.model.ticket()
        # The rows loaded so far, refreshed (or all of them, when a filter needs the whole
        # library to answer).
        ops.list_avatars(self._bridge,
                         limit=None if self._wants_all() else max(PAGE, self.model.loaded()),
                         on_success=lambda page: self._listed(page, ticket),
                         on_failure=self._list_failed, pack=self.model.pack)
        ops.list_agents(self._bridge, on_success=self._got_agents, on_failure=lambda _e: None)

    def _got_agents(self, listed: AgentList) -> None:
        used: dict[str, list[str]] = {}
        for agent in listed.agents:
            if agent.get("avatar_id"):
                used.setdefault(str(agent["avatar_id"]), []).append(str(agent.get("name")))
        self._used_by = used
        self._refresh_details(force=True)
        self.usage_changed.emit()

    def delete_refusal(self, avatar_id: str) -> str | None:
        """Why the library would refuse to delete this avatar (said before asking the user),
        or None when it can be deleted."""
        avatar = self.model.avatar(avatar_id)
        if avatar is not None and avatar.get("resource_type") == "system":
            return self.tr("Built-in avatars cannot be deleted.")
        agents = self._used_by.get(avatar_id, [])
        name = str((avatar or {}).get("name") or "")
        if agents:
            shown = ", ".join(f"“{a}”" for a in sorted(agents)[:3]) + (
                ", …" if len(agents) > 3 else "")
            return self.tr("“{name}” is the avatar of %n agent(s) ({agents}): give them "
                           "another avatar first.", "", len(agents)).format(name=name,
                                                                             agents=shown)
        # The avatar row's own count, for an agent list not loaded yet.
        used = int((avatar or {}).get("usage_count") or 0)
        if used:
            return self.tr("“{name}” is the avatar of %n agent(s): give them another avatar "
                           "first.", "", used).format(name=name)
        return None

    def is_loaded(self) -> bool:
        return self._loaded_once and not self._loading

    def reload_pending(self) -> bool:
        """A reload is asked for and not yet sent (a burst of changes is being gathered)."""
        return self._reload_soon.isActive() or self._reload_again

    def _wants_all(self) -> bool:
        """A search or a filter other than the default: which avatars match is only known with
        the whole library loaded (and the view, showing few or none, would not ask for more)."""
        types, states = SHOW_FILTERS[max(self.state_filter.currentIndex(), 0)]
        return bool(self.search.text().strip()) or types != MINE or bool(states)

    def _fetch_page(self, ticket: int) -> None:
        """The model's fetchMore: the next page behind the rows loaded."""
        def paged(page: AvatarPage) -> None:
            self._counts = dict(page.counts or self._counts)
            self.model.set_expected(self._expected_rows())
            self.model.append_page(page.rows(), page.more, ticket)
            self._update_empty()

        def failed(_error: dict[str, Any]) -> None:
            self.model.append_page([], True, ticket)  # the view asks again when scrolled

        ops.list_avatars(self._bridge, limit=None if self._wants_all() else PAGE,
                         offset=self.model.loaded(), on_success=paged, on_failure=failed,
                         pack=self.model.pack)

    def _expected_rows(self) -> int:
        """The rows the paged (default) view has in all: my avatars, which the list's order puts
        before the system ones; 0 (no placeholders) when a filter loads the whole library."""
        if self._wants_all():
            return 0
        return sum(n for k, n in self._counts.items() if k in MINE) \
            + self.model.added_since_list

    def _listed(self, page: AvatarPage, ticket: int) -> None:
        self._loading = False
        if page.counts is not None:
            self._counts = dict(page.counts)
        self.model.set_avatars(page.rows(), ticket, more=page.more,
                               total=sum(n for k, n in self._counts.items() if k in MINE)
                               if not self._wants_all() else 0)
        self._loaded_once = True
        self._update_empty()
        self._refresh_details()
        self.loaded.emit(self.model.rowCount())
        if self._reload_again:
            self._reload_again = False
            self._reload_soon.request()

    def _list_failed(self, error: dict[str, Any]) -> None:
        self._loading = False
        self._loaded_once = True
        self.empty_title.setText(self.tr("The library could not be read"))
        self.empty_text.setText(f"{error.get('message', '')}\n{error.get('hint', '')}")
        self.stack.setCurrentWidget(self.empty)

    def _on_changed(self, changes: Changes, origin: object) -> None:
        if changes.avatars is ALL or changes.agents:
            # Which avatars changed is not known, or an agent took or left one (usage counts,
            # and what Delete refuses): list the library again.
            self._reload_soon.request()
        elif changes.avatars and origin is not self:
            # Just these rows: an import's batch, an edit, a delete, a generated avatar. A
            # change this page made itself it has already shown.
            self.model.refresh_rows(self._bridge, sorted(changes.avatars))

    def set_drop_highlight(self, on: bool) -> None:
        """Outline the gallery while files are dragged over the window."""
        self.stack.setProperty("dropping", "true" if on else "false")
        self.stack.style().unpolish(self.stack)
        self.stack.style().polish(self.stack)

    def set_item_progress(self, avatar_id: str, fraction: float | None) -> None:
        self.model.set_progress(avatar_id, fraction)

    # selection and filter
    def selected_ids(self) -> list[str]:
        # A placeholder (a row not read yet, selected by Ctrl+A) has no id.
        return [i for i in (str(i.data(IdRole)) for i in self.view.selectionModel()
                            .selectedIndexes()) if i]

    def selected_avatars(self) -> list[dict[str, Any]]:
        """The selected avatars' rows, in the gallery's order."""
        rows = sorted(self.view.selectionModel().selectedIndexes(), key=lambda i: i.row())
        return [dict(a) for a in (i.data(AvatarRole) for i in rows) if a]

    def select_id(self, avatar_id: str) -> None:
        # Through the rows read (not by asking each card: placeholders would read the library).
        source = self.model.row_of(avatar_id)
        idx = self.proxy.mapFromSource(self.model.index(source)) if source is not None else None
        if idx is not None and idx.isValid():
            self.view.setCurrentIndex(idx)
            self.view.scrollTo(idx)

    def _selection_changed(self, _sel: QItemSelection, _desel: QItemSelection) -> None:
        self._refresh_details()

    def _refresh_details(self, *_args: object, force: bool = False) -> None:
        ids = self.selected_ids()
        avatar = self.model.avatar(ids[0]) if len(ids) == 1 else None
        if avatar is None and self.details.avatar_id() is None and not force:
            return
        self.details.show_avatar(avatar, delete_refusal=self.delete_refusal(ids[0])
                                 if avatar is not None else None)

    def _filter_changed(self, *_args: object) -> None:
        self.proxy.set_text(self.search.text())
        types, states = SHOW_FILTERS[max(self.state_filter.currentIndex(), 0)]
        self.proxy.set_types(types)
        self.proxy.set_states(states)
        if self._wants_all() and self.model.has_more():
            self.reload()  # the rest of the library, so the filter sees all of it
        self._update_empty()

    def _update_empty(self, *_args: object) -> None:
        if self.model.has_more() and self._counts:
            # Part of the library is loaded: the counts are the last list's, plus what an
            # import has put in front since.
            added = self.model.added_since_list
            everything = sum(self._counts.values()) + added
            mine = sum(n for k, n in self._counts.items() if k in MINE) + added
        else:
            kinds = self.model.kind_counts()
            everything = self.model.rowCount()
            mine = sum(kinds[k] for k in MINE)
        show_index = max(self.state_filter.currentIndex(), 0)
        total = mine if SHOW_FILTERS[show_index][0] == MINE else everything
        partial = self.model.has_more()
        # Unfiltered, every avatar is shown (the rest as the gallery is scrolled).
        shown = total if partial and not self._wants_all() else self.proxy.rowCount()
        if not self._loaded_once:
            self.count_label.setText("")
            self.empty_title.setText(self.tr("Loading your library…"))
            self.empty_text.setText("")
            self.empty_button.hide()
            self.stack.setCurrentWidget(self.empty)
            return
        self.count_label.setText(self.tr("{shown} of %n avatar(s)", "", total).format(
            shown=shown) if shown != total else self.tr("%n avatar(s)", "", total))
        if total == 0:
            self.empty_title.setText(self.tr("Your avatar library is empty"))
            text = self.tr(
                "Drop pictures here or click Import. You can also paste an image with Ctrl+V.")
            if everything > total:
                text += "\n" + self.tr("%n built-in avatar(s) are ready to use: choose "
                                        "“Built-in avatars” above to see them.", "",
                                        everything - total)
            self.empty_text.setText(text)
            self.empty_button.show()
            self.stack.setCurrentWidget(self.empty)
            self.details.setVisible(False)
            return
        self.details.setVisible(True)
        if shown == 0 and partial:
            self.empty_title.setText(self.tr("Loading your library…"))
            self.empty_text.setText("")
            self.empty_button.hide()
            self.stack.setCurrentWidget(self.empty)
        elif shown == 0:
            self.empty_title.setText(self.tr("No avatars match"))
            self.empty_text.setText(self.tr("Try another search, or show all avatars."))
            self.empty_button.hide()
            self.stack.setCurrentWidget(self.empty)
        else:
            self.stack.setCurrentWidget(self.view)

    def current_avatars(self) -> list[dict[str, Any]]:
        """The rows shown and read so far (placeholders are not asked: that would read the
        whole library)."""
        rows: list[dict[str, Any]] = []
        for r in range(self.proxy.rowCount()):
            source = self.proxy.mapToSource(self.proxy.index(r, 0)).row()
            if source >= self.model.loaded():
                break  # the placeholders are the last rows
            rows.append(self.model.row_at(source))
        return rows
