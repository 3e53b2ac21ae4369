"""The Trash (Edit > Trash…): avatars deleted on this computer or on the user's other computers,
kept for the trash's days (avatar.trash), each with when it goes for good, newest deletion first;
Restore brings the selected ones back here and, through the change journal, everywhere."""

from __future__ import annotations

import math
import time
from functools import partial
from typing import Any

from PySide6.QtCore import QDateTime, QLocale, QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialogButtonBox,
    QTreeWidgetItem,
    QWidget,
)

from ecan.bridge import ops
from ecan.bridge.bridge import Bridge
from ecan.bridge.decoder_process import DecoderProcess
from ecan.bridge.thumbs import ThumbnailLoader
from ecan.handlers.changes import Changes
from ecan.handlers.models import Avatar, Trash
from ecan.ui.list_window import ListWindow
from ecan.ui.resources import icon

THUMB = 40  # logical pixels: a row's picture, big enough to tell avatars apart
DAY_S = 86400.0

# Simplified Chinese of this dialog's strings (scripts/i18n.py puts them in the .ts file).
ZH_CN: dict[str, str] = {
    "Trash": "回收站",
    "Deleted avatars stay here for {days} days, then are deleted for good on all your "
    "computers. Restore brings them back everywhere.":
        "删除的头像会在这里保留 {days} 天，之后会从你的所有电脑上彻底删除。"
        "恢复后，它们会在所有电脑上回来。",
    "The trash is empty.\nAvatars you delete stay here for {days} days, so you can bring "
    "them back.": "回收站是空的。\n你删除的头像会在这里保留 {days} 天，方便你恢复。",
    "Avatar": "头像",
    "Deleted": "删除时间",
    "Deleted for good": "彻底删除",
    "in %n day(s)": "%n 天后",
    "Deleted avatars": "已删除的头像",
    "&Restore": "恢复(&R)",
    "Bring the selected avatars back to the library": "将所选头像恢复到头像库",
    "Close": "关闭",
    "Restored “{name}”.": "已恢复“{name}”。",
    "Restored %n avatar(s).": "已恢复 %n 个头像。",
    "&Trash…": "回收站(&T)…",
    "Deleted avatars, to bring back": "已删除的头像，可以恢复",
    "Moved “{name}” to the trash. Edit > Trash… brings it back.":
        "已将“{name}”移到回收站。可在“编辑 > 回收站…”中恢复。",
    "Moved %n avatar(s) to the trash. Edit > Trash… brings them back.":
        "已将 %n 个头像移到回收站。可在“编辑 > 回收站…”中恢复。",
}

IdRole = Qt.ItemDataRole.UserRole
PathRole = Qt.ItemDataRole.UserRole + 1


class TrashDialog(ListWindow):
    """A window of its own (not modal), like Activity: it stays open beside the gallery and
    lists again when avatars change (a delete here, a restore, or a pull from another computer),
    gathered for a moment.

    Signals:
        message(str): what a restore did, for the status bar.
    """

    message = Signal(str)

    def __init__(self, bridge: Bridge, parent: QWidget | None = None, *,
                 decoder: DecoderProcess | None = None) -> None:
        super().__init__(bridge, parent, name="trashDialog", size=(720, 460))
        self._avatars: list[dict[str, Any]] = []
        self._keep_days = 30  # until the first answer says otherwise
        self._restoring: set[str] = set()
        self._restored: list[str] = []  # names, for the message when the last one is back
        # The window's decoder process (when given): no second process for a few thumbnails.
        self.thumbs = ThumbnailLoader(QSize(THUMB, THUMB), self, capacity=500,
                                      device_pixel_ratio=self.devicePixelRatioF(),
                                      decoder=decoder, tile_radius=6.0)
        self.thumbs.thumbnail_ready.connect(self._thumbnail_ready)
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self.list.itemDoubleClicked.connect(lambda _i, _c: self.restore_selected())
        self.restore_button = self.buttons.addButton("", QDialogButtonBox.ButtonRole.ActionRole)
        self.restore_button.setIcon(icon("retry"))
        self.restore_button.clicked.connect(self.restore_selected)
        bridge.changed.connect(self._on_changed)
        self._retranslate()
        self._update_buttons()

    def _retranslate(self) -> None:
        self.setWindowTitle(self.tr("Trash"))
        days = self._keep_days
        self.intro.setText(self.tr(
            "Deleted avatars stay here for {days} days, then are deleted for good on all your "
            "computers. Restore brings them back everywhere.").format(days=days))
        self.empty.setText(self.tr(
            "The trash is empty.\nAvatars you delete stay here for {days} days, so you can bring "
            "them back.").format(days=days))
        self.list.setHeaderLabels([self.tr("Avatar"), self.tr("Deleted"),
                                   self.tr("Deleted for good")])
        self.list.setAccessibleName(self.tr("Deleted avatars"))
        self.restore_button.setText(self.tr("&Restore"))
        self.restore_button.setToolTip(self.tr("Bring the selected avatars back to the library"))
        self.close_button.setText(self.tr("Close"))
        self._show()

    # data
    def refresh(self) -> None:
        """List the trash again (off the GUI thread)."""
        ops.list_trash(self._bridge, on_success=self._got, on_failure=lambda _e: None)

    def _on_changed(self, changes: Changes, _origin: object) -> None:
        # Any avatar change may be a delete or a restore (here, or pulled from another
        # computer): the trash is small, so it is listed again rather than patched.
        if changes.avatars:
            self.refresh_soon()

    def _got(self, trash: Trash) -> None:
        self._avatars = list(trash.avatars)
        self._keep_days = trash.keep_days
        self._loaded = True
        self._retranslate()  # the days in the texts, and the rows

    def ids(self) -> list[str]:
        """The avatars listed, in order."""
        return [str(item.data(0, IdRole)) for item in self._items()]

    def select_ids(self, ids: list[str]) -> None:
        wanted = set(ids)
        for item in self._items():
            item.setSelected(str(item.data(0, IdRole)) in wanted)

    def _items(self) -> list[QTreeWidgetItem]:
        items = (self.list.topLevelItem(i) for i in range(self.list.topLevelItemCount()))
        return [item for item in items if item is not None]

    def _show(self) -> None:
        selected = {str(item.data(0, IdRole)) for item in self.list.selectedItems()}
        self.list.clear()
        items = []
        now = time.time()
        for avatar in self._avatars:
            avatar_id = str(avatar["id"])
            if avatar_id in self._restoring:
                continue  # on its way back: gone from here at once
            name = str(avatar.get("name") or "")
            days = max(1, math.ceil((float(avatar["purge_at"]) - now) / DAY_S))
            item = QTreeWidgetItem([name, self._when(float(avatar["deleted_at"])),
                                    self.tr("in %n day(s)", "", days)])
            item.setData(0, IdRole, avatar_id)
            path = str(avatar.get("thumb_path") or "")
            item.setData(0, PathRole, path)
            item.setIcon(0, self._thumbnail(path))
            item.setToolTip(0, name)
            items.append(item)
        self.list.addTopLevelItems(items)
        for item in items:
            item.setSelected(str(item.data(0, IdRole)) in selected)
        self.show_list(bool(items))
        self._update_buttons()

    def _thumbnail(self, path: str) -> QIcon:
        pixmap = self.thumbs.pixmap(path) if path else None
        return QIcon(pixmap) if pixmap is not None and not pixmap.isNull() else QIcon()

    def _thumbnail_ready(self, path: str) -> None:
        for item in self._items():
            if item.data(0, PathRole) == path:
                item.setIcon(0, self._thumbnail(path))

    def _when(self, at: float) -> str:
        when = QDateTime.fromMSecsSinceEpoch(int(at * 1000))
        locale = QLocale()
        if time.localtime(at)[:3] == time.localtime()[:3]:
            return locale.toString(when.time(), QLocale.FormatType.ShortFormat)
        return locale.toString(when, QLocale.FormatType.ShortFormat)

    def _update_buttons(self) -> None:
        self.restore_button.setEnabled(bool(self.list.selectedItems()))
        # Enter restores what is selected; with nothing to restore it closes.
        default = self.restore_button if self.restore_button.isEnabled() else self.close_button
        default.setDefault(True)

    # restore
    def restore_selected(self) -> None:
        """Bring the selected avatars back: each leaves this list at once and reappears in the
        gallery when the library has it (the call's change names it)."""
        chosen = [item for item in self.list.selectedItems()
                  if str(item.data(0, IdRole)) not in self._restoring]
        if not chosen:
            return
        self._restored = []
        for item in chosen:
            avatar_id, name = str(item.data(0, IdRole)), item.text(0)
            self._restoring.add(avatar_id)
            ops.undelete_avatar(self._bridge, avatar_id, origin=self,
                                on_success=partial(self._back, avatar_id),
                                on_failure=partial(self._not_back, avatar_id, name))
        self._show()

    def _back(self, avatar_id: str, avatar: Avatar) -> None:
        self._restoring.discard(avatar_id)
        self._avatars = [a for a in self._avatars if str(a["id"]) != avatar_id]
        self._restored.append(str(avatar.row.get("name") or ""))
        if not self._restoring:
            names, self._restored = self._restored, []
            self.message.emit(self.tr("Restored “{name}”.").format(name=names[0])
                              if len(names) == 1
                              else self.tr("Restored %n avatar(s).", "", len(names)))
        self._show()

    def _not_back(self, avatar_id: str, name: str, error: dict[str, Any]) -> None:
        # Say it where the user is looking, then list again: it may have left the trash
        # meanwhile (restored or purged on another computer).
        self._restoring.discard(avatar_id)
        text = " ".join(str(x) for x in (error.get("message"), error.get("hint")) if x)
        self.message.emit(f"{name}: {text}" if name else text)
        self.refresh()

    def showEvent(self, event: Any) -> None:
        self.refresh()
        super().showEvent(event)
