"""A small window of its own (not modal) that lists rows beside the gallery: an intro line, a
three-column list or an empty-state text, and Close. Activity and Trash are two of these; each
says what it lists (`refresh`, `_show`) and what its texts are (`_retranslate`)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QTreeWidget,
    QVBoxLayout,
    QWidget,
)

from ecan.bridge.bridge import Bridge
from ecan.ui.throttle import Throttle


class ListWindow(QDialog):
    """Subclasses implement `refresh()` (ask for the rows, off the GUI thread), `_show()` (fill
    `self.list`, then `show_list(bool)`) and `_retranslate()` (every text, then `_show()`)."""

    def __init__(self, bridge: Bridge, parent: QWidget | None, *, name: str,
                 size: tuple[int, int]) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self._bridge = bridge
        self._loaded = False
        self.resize(*size)
        layout = QVBoxLayout(self)
        self.intro = QLabel(self)
        self.intro.setObjectName("hintLabel")
        self.intro.setWordWrap(True)
        layout.addWidget(self.intro)
        self.stack = QStackedWidget(self)
        self.list = QTreeWidget(self.stack)
        self.list.setRootIsDecorated(False)
        self.list.setAlternatingRowColors(True)
        self.list.setColumnCount(3)
        self.list.setWordWrap(False)
        header = self.list.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.empty = QLabel(self.stack)
        self.empty.setObjectName("hintLabel")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.stack.addWidget(self.list)
        self.stack.addWidget(self.empty)
        layout.addWidget(self.stack, 1)
        self.buttons = QDialogButtonBox(self)
        # A button of ours, not the standard Close: Qt would put its own text back on a
        # language change, in a language it may have no translation for.
        self.close_button = self.buttons.addButton("", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.rejected.connect(self.close)
        layout.addWidget(self.buttons)
        self._refresh_soon = Throttle(300, self.refresh, self)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    def refresh(self) -> None:
        raise NotImplementedError

    def _retranslate(self) -> None:
        raise NotImplementedError

    def refresh_soon(self) -> None:
        """Refresh in a moment (a burst of changes lists once), if the window is shown."""
        if self.isVisible():
            self._refresh_soon.request()

    def is_loaded(self) -> bool:
        return self._loaded

    def show_list(self, has_rows: bool) -> None:
        self.stack.setCurrentWidget(self.list if has_rows else self.empty)

    def rows(self) -> list[tuple[str, ...]]:
        """What the list shows, row by row (its three columns' texts)."""
        rows: list[tuple[str, ...]] = []
        for i in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(i)
            if item is not None:
                rows.append(tuple(item.text(c) for c in range(self.list.columnCount())))
        return rows
