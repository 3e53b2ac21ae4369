"""The Activity list (Sync > Activity…): recent changes made on this computer and pulled from
the user's other computers, and failures with their fix, newest first (sync.activity)."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QDateTime, QLocale
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from ecan.bridge import ops
from ecan.bridge.bridge import Bridge
from ecan.bridge.messages import translate_text
from ecan.handlers.models import Activity
from ecan.ui.list_window import ListWindow
from ecan.ui.resources import icon

# Simplified Chinese of this dialog's strings (scripts/i18n.py puts them in the .ts file).
ZH_CN: dict[str, str] = {
    "Activity": "动态",
    "Recent changes on this computer and your other computers, newest first.":
        "本机和你的其他电脑上最近的更改，最新的在前。",
    "Nothing yet. Changes you make here and on your other computers appear here.":
        "暂无动态。你在本机和其他电脑上所做的更改会显示在这里。",
    "Change": "更改",
    "Computer": "电脑",
    "When": "时间",
    "Recent changes": "最近的更改",
    "Close": "关闭",
    "This computer": "本机",
    "Another computer": "另一台电脑",
    "Added “{name}”": "添加了“{name}”",
    "Edited “{name}”": "编辑了“{name}”",
    "Renamed “{before}” to “{name}”": "将“{before}”重命名为“{name}”",
    "Deleted “{name}”": "删除了“{name}”",
    "Brought back “{name}” from the trash": "从回收站恢复了“{name}”",
    "Saved agent “{name}”": "保存了智能体“{name}”",
    "Deleted agent “{name}”": "删除了智能体“{name}”",
    "Upload of “{name}” failed: {message}": "“{name}”上传失败：{message}",
    "Getting changes from the cloud failed: {message}": "从云端获取更改失败：{message}",
    "Note: {message}": "注意：{message}",
    "Fix: {hint}": "解决方法：{hint}",
    "&Activity…": "动态(&A)…",
    "Recent changes on this and your other computers": "本机和其他电脑上最近的更改",
}

_ICONS = {"added": "import", "edited": "generate", "renamed": "generate", "deleted": "delete",
          "restored": "retry", "agent_saved": "agents", "agent_deleted": "agents"}
_FAILURES = {"upload_failed", "pull_failed"}


class ActivityDialog(ListWindow):
    """A window of its own (not modal): the list stays open beside the gallery and refreshes
    as changes arrive (`refresh_soon()`, gathered for a moment)."""

    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(bridge, parent, name="activityDialog", size=(720, 440))
        self._entries: list[dict[str, Any]] = []
        self.list.setUniformRowHeights(False)  # a failure takes two lines: what, and the fix
        self.list.setSelectionMode(QTreeWidget.SelectionMode.NoSelection)
        # Focus on the button: the list, showing no selection, would draw a focus frame on a row.
        self.close_button.setDefault(True)
        self.close_button.setFocus()
        self._retranslate()

    def _retranslate(self) -> None:
        self.setWindowTitle(self.tr("Activity"))
        self.intro.setText(self.tr(
            "Recent changes on this computer and your other computers, newest first."))
        self.empty.setText(self.tr(
            "Nothing yet. Changes you make here and on your other computers appear here."))
        self.list.setHeaderLabels([self.tr("Change"), self.tr("Computer"), self.tr("When")])
        self.list.setAccessibleName(self.tr("Recent changes"))
        self.close_button.setText(self.tr("Close"))
        self._show()

    # data
    def refresh(self) -> None:
        """Read the list again (off the GUI thread)."""
        ops.sync_activity(self._bridge, on_success=self._got, on_failure=lambda _e: None)

    def _got(self, activity: Activity) -> None:
        self._entries = list(activity.entries)
        self._loaded = True
        self._show()

    def _show(self) -> None:
        self.list.clear()
        items = []
        for entry in self._entries:
            kind = str(entry.get("kind") or "")
            text = self.describe(entry)
            if not text:
                continue
            item = QTreeWidgetItem([text, self._computer(entry), self._when(entry.get("at"))])
            item.setIcon(0, self._icon(kind))
            item.setToolTip(0, text)
            items.append(item)
        self.list.addTopLevelItems(items)
        self.show_list(bool(items))

    def describe(self, entry: dict[str, Any]) -> str:
        """One entry in words (a failure with its fix on a second line)."""
        kind = str(entry.get("kind") or "")
        name = str(entry.get("subject") or "")
        message = str(entry.get("detail") or "")
        hint = str(entry.get("hint") or "")
        if kind == "added":
            return self.tr("Added “{name}”").format(name=name)
        if kind == "edited":
            return self.tr("Edited “{name}”").format(name=name)
        if kind == "renamed":
            return self.tr("Renamed “{before}” to “{name}”").format(before=message, name=name)
        if kind == "deleted":
            return self.tr("Deleted “{name}”").format(name=name)
        if kind == "restored":
            return self.tr("Brought back “{name}” from the trash").format(name=name)
        if kind == "agent_saved":
            return self.tr("Saved agent “{name}”").format(name=name)
        if kind == "agent_deleted":
            return self.tr("Deleted agent “{name}”").format(name=name)
        # A failure's message and fix are the domain's English: in the window's language here,
        # as the details pane shows them.
        message, hint = translate_text(message), translate_text(hint)
        if kind == "upload_failed":
            text = self.tr("Upload of “{name}” failed: {message}").format(name=name,
                                                                         message=message)
        elif kind == "pull_failed":
            text = self.tr("Getting changes from the cloud failed: {message}").format(
                message=message)
        elif kind == "notice":
            text = self.tr("Note: {message}").format(message=message)
        else:
            return ""  # written by a newer ecan
        return text + "\n" + self.tr("Fix: {hint}").format(hint=hint) if hint else text

    def _computer(self, entry: dict[str, Any]) -> str:
        if not entry.get("machine"):
            return self.tr("This computer")
        return str(entry.get("machine_name") or "") or self.tr("Another computer")

    def _when(self, at: Any) -> str:
        if not isinstance(at, int | float):
            return ""
        when = QDateTime.fromMSecsSinceEpoch(int(at * 1000))
        locale = QLocale()
        if time.localtime(at)[:3] == time.localtime()[:3]:
            return locale.toString(when.time(), QLocale.FormatType.ShortFormat)
        return locale.toString(when, QLocale.FormatType.ShortFormat)

    def _icon(self, kind: str) -> QIcon:
        if kind in _FAILURES:
            return self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        return icon(_ICONS.get(kind, "cloud"))

    def showEvent(self, event: Any) -> None:
        self.refresh()
        super().showEvent(event)
