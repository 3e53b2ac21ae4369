"""The Agents screen: the list of agents and an editor (name, description, and an avatar picker
over built-in, uploaded and generated avatars). Saving goes through `agent.save`, which also
makes sure the chosen avatar is synced."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ecan.bridge import ops
from ecan.bridge.bridge import Bridge
from ecan.bridge.thumbs import ThumbnailLoader
from ecan.handlers.changes import ALL, Changes
from ecan.handlers.models import AgentList, AgentSaved, AvatarPage, Deleted
from ecan.ui.dialogs import ask, confirm_destructive
from ecan.ui.gallery_delegate import CARD, THUMB, AvatarDelegate
from ecan.ui.gallery_model import AvatarFilterModel, AvatarListModel, IdRole

TYPE_FILTERS = ["", "system", "uploaded", "generated"]


class AgentsPage(QWidget):
    """Signals:
        message(str): a short confirmation for the status bar.
    """

    message = Signal(str)

    def __init__(self, bridge: Bridge, thumbs: ThumbnailLoader,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._agents: list[dict[str, Any]] = []
        self._current_id: str | None = None
        self._loaded = False
        self._picked: str | None = None  # the avatar the editor holds for the agent
        self._baseline: tuple[str, str, str | None] = ("", "", None)  # as last saved/opened
        self._selecting = False
        # (agent id or None for a new one) to open once the save under way is done
        self._open_after_save: tuple[str | None] | None = None
        # agent.list answers (and saves, which answer with the list) are numbered as asked.
        self._agents_asked = 0
        self._agents_shown = 0

        outer = QHBoxLayout(self)
        outer.setContentsMargins(12, 10, 12, 0)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        left = QWidget(splitter)
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        self.list_title = QLabel(left)
        self.list_title.setObjectName("sectionTitle")
        self.list = QListWidget(left)
        self.list.currentItemChanged.connect(self._agent_selected)
        self.new_button = QPushButton(left)
        self.new_button.clicked.connect(self._new_clicked)
        lv.addWidget(self.list_title)
        lv.addWidget(self.list, 1)
        lv.addWidget(self.new_button)
        left.setMinimumWidth(200)
        left.setMaximumWidth(300)

        right = QWidget(splitter)
        rv = QVBoxLayout(right)
        rv.setContentsMargins(12, 0, 0, 0)
        self.editor_title = QLabel(right)
        self.editor_title.setObjectName("sectionTitle")
        rv.addWidget(self.editor_title)
        form = QFormLayout()
        self.name = QLineEdit(right)
        self.description = QPlainTextEdit(right)
        self.description.setFixedHeight(70)
        self.name_label = QLabel(right)
        self.name_label.setBuddy(self.name)
        self.description_label = QLabel(right)
        self.description_label.setBuddy(self.description)
        form.addRow(self.name_label, self.name)
        form.addRow(self.description_label, self.description)
        rv.addLayout(form)
        pick = QHBoxLayout()
        self.picker_label = QLabel(right)
        self.type_filter = QComboBox(right)
        self.type_filter.currentIndexChanged.connect(self._type_changed)
        pick.addWidget(self.picker_label)
        pick.addStretch(1)
        pick.addWidget(self.type_filter)
        rv.addLayout(pick)
        self.avatars = AvatarListModel(thumbs, self)
        self.proxy = AvatarFilterModel(self)
        self.proxy.setSourceModel(self.avatars)
        self.picker = QListView(right)
        self.picker.setViewMode(QListView.ViewMode.IconMode)
        self.picker.setResizeMode(QListView.ResizeMode.Adjust)
        self.picker.setMovement(QListView.Movement.Static)
        self.picker.setUniformItemSizes(True)
        self.picker.setLayoutMode(QListView.LayoutMode.Batched)
        self.picker.setGridSize(CARD)
        self.picker.setIconSize(QSize(THUMB, THUMB))
        self.picker.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.picker.setItemDelegate(AvatarDelegate(self.picker, tiles=True))  # avatars' thumbs
        self.picker.setModel(self.proxy)
        self.picker.selectionModel().selectionChanged.connect(self._picker_changed)
        # However short the window, the picker shows at least one whole row of avatars.
        self.picker.setMinimumHeight(CARD.height() + 2 * self.picker.frameWidth())
        rv.addWidget(self.picker, 1)
        self.error = QLabel(right)
        self.error.setStyleSheet("color: #c5221f;")
        self.error.setWordWrap(True)
        self.error.hide()
        rv.addWidget(self.error)
        buttons = QHBoxLayout()
        self.delete_button = QPushButton(right)
        self.delete_button.clicked.connect(self.delete_agent)
        self.save_button = QPushButton(right)
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        rv.addLayout(buttons)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        outer.addWidget(splitter)
        bridge.changed.connect(self._on_changed)
        self._retranslate()
        self.new_agent()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    def _retranslate(self) -> None:
        self.list_title.setText(self.tr("Agents"))
        self.list.setAccessibleName(self.tr("Agents"))
        self.new_button.setText(self.tr("New agent"))
        self.new_button.setAccessibleName(self.tr("New agent"))
        self.editor_title.setText(self.tr("Edit agent") if self._current_id
                                  else self.tr("New agent"))
        self.name_label.setText(self.tr("&Name"))
        self.name.setAccessibleName(self.tr("Agent name"))
        self.name.setPlaceholderText(self.tr("e.g. Support assistant"))
        self.description_label.setText(self.tr("&Description"))
        self.description.setAccessibleName(self.tr("Agent description"))
        self.description.setPlaceholderText(self.tr("What this agent does (optional)"))
        self.picker_label.setText(self.tr("Avatar"))
        self.picker.setAccessibleName(self.tr("Choose the agent's avatar"))
        self.type_filter.setAccessibleName(self.tr("Show avatars of kind"))
        current = max(self.type_filter.currentIndex(), 0)
        self.type_filter.blockSignals(True)
        self.type_filter.clear()
        self.type_filter.addItems([self.tr("All avatars"), self.tr("Built-in"),
                                   self.tr("Uploaded"), self.tr("Generated")])
        self.type_filter.setCurrentIndex(current)
        self.type_filter.blockSignals(False)
        self.delete_button.setText(self.tr("Delete agent"))
        self.delete_button.setAccessibleName(self.tr("Delete agent"))
        self.save_button.setText(self.tr("Save agent"))
        self.save_button.setAccessibleName(self.tr("Save agent"))

    # data
    def reload(self) -> None:
        self._agents_asked += 1
        asked = self._agents_asked
        ops.list_agents(self._bridge, on_success=lambda listed: self._got_agents(listed, asked),
                        on_failure=self._show_error)
        ticket = self.avatars.ticket()
        ops.list_avatars(self._bridge, on_success=lambda page: self._got_avatars(page, ticket),
                         on_failure=self._show_error, pack=self.avatars.pack)

    def is_loaded(self) -> bool:
        return self._loaded

    def _on_changed(self, changes: Changes, _origin: object) -> None:
        if not self.isVisible():
            return  # shown again, it lists everything (showEvent)
        if changes.agents or changes.avatars is ALL:
            self.reload()
        elif changes.avatars:
            # Just these avatars (an import's batch, an edit, a delete): their rows, not the
            # whole library again.
            self.avatars.refresh_rows(self._bridge, sorted(changes.avatars))

    def showEvent(self, event: Any) -> None:
        self.reload()
        super().showEvent(event)

    def _got_agents(self, listed: AgentList, asked: int) -> None:
        # A list asked for before the newest one we have (a save's answer carries the list as
        # it stands after the save) is older than what is shown: drop it.
        if asked < self._agents_shown:
            return
        self._agents_shown = asked
        self._agents = list(listed.agents)
        self._loaded = True
        self.list.blockSignals(True)
        self.list.clear()
        for a in self._agents:
            item = QListWidgetItem(str(a.get("name") or ""))
            item.setData(Qt.ItemDataRole.UserRole, a.get("id"))
            self.list.addItem(item)
            if a.get("id") == self._current_id:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)

    def _got_avatars(self, page: AvatarPage, ticket: int) -> None:
        self.avatars.set_avatars(page.rows(), ticket)
        # The editor's choice, not the agent as last listed: the list may be older than the
        # user's pick (or than the save that just stored it).
        self._select_avatar(self._picked)

    def _agent(self, agent_id: str | None) -> dict[str, Any] | None:
        return next((a for a in self._agents if a.get("id") == agent_id), None)

    # editing
    def _editor_state(self) -> tuple[str, str, str | None]:
        return (self.name.text().strip(), self.description.toPlainText().strip(), self._picked)

    def is_dirty(self) -> bool:
        """The editor holds changes that are not saved."""
        return self._editor_state() != self._baseline

    def new_agent(self) -> None:
        """Clear the editor for a new agent (unsaved edits are dropped: see `_leave_then`)."""
        self._current_id = None
        self.list.blockSignals(True)
        self.list.setCurrentRow(-1)
        self.list.blockSignals(False)
        self.name.clear()
        self.description.clear()
        self._picked = None
        self._select_avatar(None)
        self._baseline = self._editor_state()
        self.error.hide()
        self.delete_button.setEnabled(False)
        self.editor_title.setText(self.tr("New agent"))
        self.name.setFocus()

    def _new_clicked(self) -> None:
        self._leave_then(None)

    def _agent_selected(self, item: QListWidgetItem | None,
                        previous: QListWidgetItem | None = None) -> None:
        if item is None:
            return
        target = item.data(Qt.ItemDataRole.UserRole)
        if target == self._current_id:
            return
        if not self.is_dirty():
            self._open(str(target))
            return
        # Asked once the click that got here is over (the view would otherwise select the
        # clicked row after we put the list back); until the user has answered, or a save has
        # finished, the list shows the agent the editor holds.
        self._show_current_in_list()
        QTimer.singleShot(0, self, lambda: self._leave_then(str(target)))

    def _show_current_in_list(self) -> None:
        self.list.blockSignals(True)
        self.list.setCurrentRow(-1)
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == self._current_id:
                self.list.setCurrentRow(row)
        self.list.blockSignals(False)

    def _leave_then(self, target: str | None) -> None:
        """Open agent `target` (None: a new one), first asking what to do with unsaved edits:
        save them, discard them, or stay."""
        self._show_current_in_list()
        if self.is_dirty():
            shown = self.name.text().strip() or self.tr("the new agent")
            answer = ask(self, self.tr("Unsaved changes"),
                         self.tr("Save your changes to “{name}”?").format(name=shown),
                         [(self.tr("Save"), QMessageBox.ButtonRole.AcceptRole),
                          (self.tr("Discard"), QMessageBox.ButtonRole.DestructiveRole),
                          (self.tr("Cancel"), QMessageBox.ButtonRole.RejectRole)],
                         default=0, informative=self.tr(
                             "If you don't save, your changes to this agent are lost."))
            if answer == 2:
                return
            if answer == 0:
                self._open_after_save = (target,)
                if not self.save():
                    self._open_after_save = None
                return
        self._open(target)

    def _open(self, target: str | None) -> None:
        agent = self._agent(target)
        if agent is None:
            self.new_agent()
            return
        self._current_id = agent.get("id")
        self._show_current_in_list()
        self.name.setText(str(agent.get("name") or ""))
        self.description.setPlainText(str(agent.get("description") or ""))
        self._picked = agent.get("avatar_id")
        self._select_avatar(self._picked)
        self._baseline = self._editor_state()
        self.delete_button.setEnabled(True)
        self.error.hide()
        self.editor_title.setText(self.tr("Edit agent"))

    def _select_avatar(self, avatar_id: str | None) -> None:
        self._selecting = True
        try:
            self.picker.clearSelection()
            if not avatar_id:
                return
            for row in range(self.proxy.rowCount()):
                idx = self.proxy.index(row, 0)
                if idx.data(IdRole) == avatar_id:
                    self.picker.setCurrentIndex(idx)
                    self.picker.scrollTo(idx)
                    return
        finally:
            self._selecting = False

    def _picker_changed(self, *_args: object) -> None:
        if self._selecting:
            return
        chosen = self.chosen_avatar_id()
        if chosen is not None:
            self._picked = chosen
        elif self._picked is not None and self._row_of(self._picked) is not None:
            self._picked = None  # the user cleared it (the row is still there)

    def _row_of(self, avatar_id: str) -> int | None:
        for row in range(self.proxy.rowCount()):
            if self.proxy.index(row, 0).data(IdRole) == avatar_id:
                return row
        return None

    def chosen_avatar_id(self) -> str | None:
        """The avatar the picker highlights."""
        sel = self.picker.selectionModel().selectedIndexes()
        return str(sel[0].data(IdRole)) if sel else None

    def save(self) -> bool:
        """Save the editor's agent; False when refused before asking (no name)."""
        name = self.name.text().strip()
        if not name:
            self._show_error({"message": self.tr("Give the agent a name."), "hint": ""})
            self.name.setFocus()
            return False
        self.save_button.setEnabled(False)
        self._agents_asked += 1
        asked, sent = self._agents_asked, self._editor_state()
        ops.save_agent(self._bridge, name=name,
                       description=self.description.toPlainText().strip(),
                       avatar_id=self._picked, agent_id=self._current_id,
                       on_success=lambda saved: self._saved(saved, asked, sent),
                       on_failure=self._save_failed)
        return True

    def _saved(self, saved: AgentSaved, asked: int, sent: tuple[str, str, str | None]) -> None:
        self.save_button.setEnabled(True)
        self.error.hide()
        agent = saved.agent
        self._current_id = agent["id"]
        self._got_agents(AgentList(saved.agents), asked)
        if self._editor_state() == sent:
            # Show the name as stored (spaces collapsed), so it does not look unsaved.
            self.name.setText(str(agent.get("name") or sent[0]))
        self._baseline = (str(agent.get("name") or ""), str(agent.get("description") or ""),
                          agent.get("avatar_id"))
        self.editor_title.setText(self.tr("Edit agent"))
        self.delete_button.setEnabled(True)
        self.message.emit(self.tr("Agent “{name}” saved.").format(name=agent.get("name")))
        after, self._open_after_save = self._open_after_save, None
        if after is not None:
            self._open(after[0])

    def _save_failed(self, error: dict[str, Any]) -> None:
        self.save_button.setEnabled(True)
        self._open_after_save = None
        self._show_error(error)

    def delete_agent(self) -> None:
        agent = self._agent(self._current_id)
        if agent is None:
            return
        name = str(agent.get("name") or "")
        if not confirm_destructive(
                self, self.tr("Delete agent"),
                self.tr("Delete the agent “{name}”?").format(name=name),
                informative=self.tr("Its avatar stays in your library."),
                action=self.tr("Delete"), cancel=self.tr("Cancel")):
            return
        agent_id = str(agent.get("id"))

        def deleted(_gone: Deleted) -> None:
            if self._current_id == agent_id:
                self.new_agent()
            self.message.emit(self.tr("Agent “{name}” deleted.").format(name=name))

        ops.delete_agent(self._bridge, agent_id, on_success=deleted, on_failure=self._show_error)

    def _show_error(self, error: dict[str, Any]) -> None:
        text = str(error.get("message") or "")
        if error.get("hint"):
            text += "\n" + str(error["hint"])
        self.error.setText(text)
        self.error.show()

    def _type_changed(self, index: int) -> None:
        which = TYPE_FILTERS[max(index, 0)]
        self.proxy.set_types({which} if which else set())
        self._select_avatar(self._picked)  # still highlighted when it is among those shown
