"""The Agents screen: the list of agents and an editor (name, description, and an avatar picker
over built-in, uploaded and generated avatars). Saving goes through `agent.save`, which also
makes sure the chosen avatar is synced."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QSize, Qt, Signal
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
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ecan.bridge.bridge import Bridge
from ecan.bridge.thumbs import ThumbnailLoader
from ecan.ui.gallery_delegate import CARD, THUMB, AvatarDelegate
from ecan.ui.gallery_model import AvatarFilterModel, AvatarListModel, IdRole
from ecan.ui.import_flow import IMPORT_METHOD

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
        self.new_button.clicked.connect(self.new_agent)
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
        bridge.changed_by.connect(self._on_changed)
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
        self._bridge.run("agent.list", {}, on_success=self._got_agents,
                         on_failure=self._show_error)
        ticket = self.avatars.ticket()
        self._bridge.run("avatar.list", {}, on_success=lambda data: self._got_avatars(data, ticket),
                         on_failure=self._show_error)

    def is_loaded(self) -> bool:
        return self._loaded

    def _on_changed(self, method: str, changed: set[str]) -> None:
        # An import's rows come from the window batch by batch, not from a full reload.
        if method != IMPORT_METHOD and changed & {"agents", "avatars"} and self.isVisible():
            self.reload()

    def showEvent(self, event: Any) -> None:
        self.reload()
        super().showEvent(event)

    def _got_agents(self, data: Any) -> None:
        agents = data.get("agents") if isinstance(data, dict) else data
        self._agents = list(agents or [])
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

    def _got_avatars(self, data: Any, ticket: int) -> None:
        avatars = data.get("avatars") if isinstance(data, dict) else data
        self.avatars.set_avatars(list(avatars or []), ticket)
        self._select_avatar(self._agent_avatar_id())

    def _agent_avatar_id(self) -> str | None:
        for a in self._agents:
            if a.get("id") == self._current_id:
                return a.get("avatar_id")
        return None

    # editing
    def new_agent(self) -> None:
        self._current_id = None
        self.list.blockSignals(True)
        self.list.setCurrentRow(-1)
        self.list.blockSignals(False)
        self.name.clear()
        self.description.clear()
        self.picker.clearSelection()
        self.error.hide()
        self.delete_button.setEnabled(False)
        self.editor_title.setText(self.tr("New agent"))
        self.name.setFocus()

    def _agent_selected(self, item: QListWidgetItem | None, _prev: object = None) -> None:
        if item is None:
            return
        agent = next((a for a in self._agents
                      if a.get("id") == item.data(Qt.ItemDataRole.UserRole)), None)
        if agent is None:
            return
        self._current_id = agent.get("id")
        self.name.setText(str(agent.get("name") or ""))
        self.description.setPlainText(str(agent.get("description") or ""))
        self._select_avatar(agent.get("avatar_id"))
        self.delete_button.setEnabled(True)
        self.error.hide()
        self.editor_title.setText(self.tr("Edit agent"))

    def _select_avatar(self, avatar_id: str | None) -> None:
        self.picker.clearSelection()
        if not avatar_id:
            return
        for row in range(self.proxy.rowCount()):
            idx = self.proxy.index(row, 0)
            if idx.data(IdRole) == avatar_id:
                self.picker.setCurrentIndex(idx)
                self.picker.scrollTo(idx)
                return

    def chosen_avatar_id(self) -> str | None:
        sel = self.picker.selectionModel().selectedIndexes()
        return str(sel[0].data(IdRole)) if sel else None

    def save(self) -> None:
        name = self.name.text().strip()
        if not name:
            self._show_error({"message": self.tr("Give the agent a name."), "hint": ""})
            self.name.setFocus()
            return
        payload: dict[str, Any] = {"name": name,
                                   "description": self.description.toPlainText().strip()}
        avatar_id = self.chosen_avatar_id()
        if avatar_id:
            payload["avatar_id"] = avatar_id
        if self._current_id:
            payload["id"] = self._current_id
        self.save_button.setEnabled(False)
        self._bridge.run("agent.save", payload, on_success=self._saved,
                         on_failure=self._save_failed)

    def _saved(self, data: Any) -> None:
        self.save_button.setEnabled(True)
        self.error.hide()
        agent = data.get("agent", data) if isinstance(data, dict) else {}
        self._current_id = agent.get("id") or self._current_id
        self.editor_title.setText(self.tr("Edit agent"))
        self.delete_button.setEnabled(True)
        self.message.emit(self.tr("Agent “{name}” saved.").format(name=self.name.text().strip()))

    def _save_failed(self, error: dict[str, Any]) -> None:
        self.save_button.setEnabled(True)
        self._show_error(error)

    def delete_agent(self) -> None:
        if not self._current_id:
            return
        self._bridge.run("agent.delete", {"id": self._current_id},
                         on_success=lambda _d: self.new_agent(), on_failure=self._show_error)

    def _show_error(self, error: dict[str, Any]) -> None:
        text = str(error.get("message") or "")
        if error.get("hint"):
            text += "\n" + str(error["hint"])
        self.error.setText(text)
        self.error.show()

    def _type_changed(self, index: int) -> None:
        which = TYPE_FILTERS[max(index, 0)]
        self.proxy.set_types({which} if which else set())
