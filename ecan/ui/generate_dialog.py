"""The AI avatar dialog: pick a photo or an avatar, write the request, and see the refined prompt,
the result and its timings; keep or discard it. A second tab shows the task history and stats.
Everything runs through the bridge (`generate.*`, `avatar.*`), never on the GUI thread."""

from __future__ import annotations

import time
import uuid
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ecan.bridge import ops
from ecan.bridge.bridge import Bridge
from ecan.handlers.models import Avatar, AvatarPage, Generated, History, Stats

PREVIEW_SIZE = 256

# Simplified Chinese for this dialog's strings, for scripts/i18n.py's table (ZH.update(...)).
ZH_CN: dict[str, str] = {
    "Generate an AI avatar": "生成 AI 头像",
    "Generate": "生成",
    "History": "历史记录",
    "Start from": "从这里开始",
    "A photo file": "照片文件",
    "An avatar in my library": "头像库中的头像",
    "Photo file": "照片文件",
    "Choose a photo…": "选择照片…",
    "Choose a photo": "选择照片",
    "Images (*.png *.jpg *.jpeg *.webp *.gif)": "图片 (*.png *.jpg *.jpeg *.webp *.gif)",
    "Avatar to start from": "作为起点的头像",
    "Your request": "您的要求",
    "e.g. Dress this person in a doctor's white coat, in a hospital":
        "例如：让这个人穿上医生的白大褂，背景是医院",
    "Cancel": "取消",
    "Refined prompt": "优化后的提示词",
    "Result": "结果",
    "Keep": "保留",
    "Discard": "丢弃",
    "Close": "关闭",
    "Pick a photo file first.": "请先选择一张照片。",
    "Pick an avatar first.": "请先选择一个头像。",
    "Write what the avatar should look like.": "请写下头像应该是什么样子。",
    "Analysing the photo and drawing the avatar… this can take a minute.":
        "正在分析照片并绘制头像……可能需要一分钟。",
    "Cancelling…": "正在取消…",
    "Done: the avatar is in your library.": "完成：头像已加入您的头像库。",
    "Kept: the avatar stays in your library.": "已保留：头像保留在您的头像库中。",
    "Discarded.": "已丢弃。",
    "Analyse {a} s · generate {g} s · total {t} s": "分析 {a} 秒 · 生成 {g} 秒 · 共 {t} 秒",
    "When": "时间",
    "Status": "状态",
    "Request": "要求",
    "Time": "用时",
    "Error": "错误",
    "Refresh": "刷新",
    "succeeded": "成功",
    "failed": "失败",
    "cancelled": "已取消",
    "running": "进行中",
    "%n task(s) · {rate} succeeded · analyse {a} s, generate {g} s on average · "
    "{credits} images used": "%n 个任务 · 成功率 {rate} · 平均分析 {a} 秒、生成 {g} 秒 · "
                             "已用 {credits} 张图片额度",
    "Budget: {left} of {budget} images left": "额度：剩余 {left} / {budget} 张图片",
    "No budget limit": "不限额度",
}


def _seconds(ms: Any) -> str:
    return "–" if ms is None else f"{ms / 1000:.1f}"


class GenerateDialog(QDialog):
    """Signals:
        generated(dict): a generation finished; the `generate.start` result.
        discarded(str): the user discarded the generated avatar (its id).
    """

    generated = Signal(object)
    discarded = Signal(str)

    def __init__(self, bridge: Bridge, parent: QWidget | None = None, *,
                 avatar_id: str | None = None) -> None:
        """`avatar_id`: the avatar selected where the dialog was opened; the picker starts on
        it."""
        super().__init__(parent)
        self._bridge = bridge
        self._preferred = avatar_id
        self._ready = True
        self._task_id: str | None = None
        self._result: dict[str, Any] | None = None
        self._avatars: list[dict[str, Any]] = []
        self.setMinimumWidth(620)
        self.tabs = QTabWidget(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)

        # --- the generate tab ---
        page = QWidget(self.tabs)
        col = QVBoxLayout(page)
        self.source_box = QGroupBox(page)
        grid = QGridLayout(self.source_box)
        self.use_file = QRadioButton(self.source_box)
        self.use_avatar = QRadioButton(self.source_box)
        self.use_file.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.use_file)
        group.addButton(self.use_avatar)
        self.photo = QLineEdit(self.source_box)
        self.browse = QPushButton(self.source_box)
        self.avatar = QComboBox(self.source_box)
        self.avatar.setEnabled(False)
        grid.addWidget(self.use_file, 0, 0)
        grid.addWidget(self.photo, 0, 1)
        grid.addWidget(self.browse, 0, 2)
        grid.addWidget(self.use_avatar, 1, 0)
        grid.addWidget(self.avatar, 1, 1, 1, 2)
        col.addWidget(self.source_box)
        self.request_label = QLabel(page)
        self.request = QPlainTextEdit(page)
        self.request.setMaximumHeight(80)
        self.request.setTabChangesFocus(True)  # a one-line request has no use for a tab
        col.addWidget(self.request_label)
        col.addWidget(self.request)
        row = QHBoxLayout()
        self.generate_button = QPushButton(page)
        self.generate_button.setDefault(True)
        self.cancel_button = QPushButton(page)
        self.cancel_button.setEnabled(False)
        row.addWidget(self.generate_button)
        row.addWidget(self.cancel_button)
        row.addStretch(1)
        col.addLayout(row)
        self.status = QLabel(page)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        col.addWidget(self.status)
        self.prompt_label = QLabel(page)
        self.professional = QPlainTextEdit(page)
        self.professional.setReadOnly(True)
        self.professional.setMaximumHeight(90)
        col.addWidget(self.prompt_label)
        col.addWidget(self.professional)
        self.result_box = QGroupBox(page)
        rcol = QHBoxLayout(self.result_box)
        self.preview = QLabel(self.result_box)
        self.preview.setFixedSize(PREVIEW_SIZE, PREVIEW_SIZE)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        side = QVBoxLayout()
        self.timings = QLabel(self.result_box)
        self.timings.setWordWrap(True)
        self.keep_button = QPushButton(self.result_box)
        self.discard_button = QPushButton(self.result_box)
        side.addWidget(self.timings)
        side.addStretch(1)
        side.addWidget(self.keep_button)
        side.addWidget(self.discard_button)
        rcol.addWidget(self.preview)
        rcol.addLayout(side)
        self.result_box.setVisible(False)
        col.addWidget(self.result_box)
        col.addStretch(1)
        self.tabs.addTab(page, "")

        # --- the history tab ---
        hist = QWidget(self.tabs)
        hcol = QVBoxLayout(hist)
        self.stats = QLabel(hist)
        self.stats.setWordWrap(True)
        self.budget = QLabel(hist)
        self.table = QTableWidget(0, 5, hist)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.refresh_button = QPushButton(hist)
        hcol.addWidget(self.stats)
        hcol.addWidget(self.budget)
        hcol.addWidget(self.table)
        hcol.addWidget(self.refresh_button, 0, Qt.AlignmentFlag.AlignRight)
        self.tabs.addTab(hist, "")
        self.close_button = QPushButton(self)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignRight)

        self.use_avatar.toggled.connect(self._source_changed)
        self.browse.clicked.connect(self._browse)
        self.generate_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.keep_button.clicked.connect(self.keep)
        self.discard_button.clicked.connect(self.discard)
        self.refresh_button.clicked.connect(self.refresh_history)
        self.close_button.clicked.connect(self.close)
        self.tabs.currentChanged.connect(lambda i: self.refresh_history() if i == 1 else None)
        self._retranslate()
        self._load_avatars()
        ops.generate_ready(self._bridge, on_failure=self._not_ready)

    def _not_ready(self, error: dict[str, Any]) -> None:
        # Said before the user fills the form in, not after Generate.
        self._ready = False
        self.generate_button.setEnabled(False)
        text = str(error.get("message", ""))
        if error.get("hint"):
            text += "\n" + str(error["hint"])
        self._say(text, error=True)

    # --- language ---------------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    def _retranslate(self) -> None:
        self.setWindowTitle(self.tr("Generate an AI avatar"))
        self.tabs.setTabText(0, self.tr("Generate"))
        self.tabs.setTabText(1, self.tr("History"))
        self.source_box.setTitle(self.tr("Start from"))
        self.use_file.setText(self.tr("A photo file"))
        self.use_avatar.setText(self.tr("An avatar in my library"))
        self.photo.setAccessibleName(self.tr("Photo file"))
        self.browse.setText(self.tr("Choose a photo…"))
        self.avatar.setAccessibleName(self.tr("Avatar to start from"))
        self.request_label.setText(self.tr("Your request"))
        self.request.setAccessibleName(self.tr("Your request"))
        self.request.setPlaceholderText(
            self.tr("e.g. Dress this person in a doctor's white coat, in a hospital"))
        self.generate_button.setText(self.tr("Generate"))
        self.cancel_button.setText(self.tr("Cancel"))
        self.prompt_label.setText(self.tr("Refined prompt"))
        self.professional.setAccessibleName(self.tr("Refined prompt"))
        self.result_box.setTitle(self.tr("Result"))
        self.keep_button.setText(self.tr("Keep"))
        self.discard_button.setText(self.tr("Discard"))
        self.refresh_button.setText(self.tr("Refresh"))
        self.close_button.setText(self.tr("Close"))
        self.table.setHorizontalHeaderLabels([self.tr("When"), self.tr("Status"),
                                              self.tr("Request"), self.tr("Time"),
                                              self.tr("Error")])
        if self._result is not None:
            self._show_timings(self._result["timings"])

    # --- source -----------------------------------------------------------------------------

    def _source_changed(self, avatar: bool) -> None:
        self.avatar.setEnabled(avatar)
        self.photo.setEnabled(not avatar)
        self.browse.setEnabled(not avatar)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Choose a photo"), self.photo.text(),
            self.tr("Images (*.png *.jpg *.jpeg *.webp *.gif)"))
        if path:
            self.photo.setText(path)

    def _load_avatars(self) -> None:
        ops.list_avatars(self._bridge, on_success=self._avatars_loaded,
                         on_failure=lambda error: None)

    def _avatars_loaded(self, page: AvatarPage) -> None:
        self._avatars = [a for a in page.avatars if not a.get("animated")]
        current = self.avatar.currentData()
        self.avatar.clear()
        for a in self._avatars:
            self.avatar.addItem(a["name"], a["id"])
        if self._preferred is not None:
            index = self.avatar.findData(self._preferred)
            self._preferred = None  # only the first time: later reloads keep the user's pick
            if index >= 0:
                self.avatar.setCurrentIndex(index)
                self.use_avatar.setChecked(True)
        elif current is not None and self.avatar.findData(current) >= 0:
            self.avatar.setCurrentIndex(self.avatar.findData(current))

    # --- generate ---------------------------------------------------------------------------

    def start(self) -> None:
        prompt = self.request.toPlainText().strip()
        avatar_id: str | None = None
        image_path: str | None = None
        if self.use_avatar.isChecked():
            if self.avatar.currentData() is None:
                self._say(self.tr("Pick an avatar first."), error=True)
                return
            avatar_id = str(self.avatar.currentData())
        else:
            if not self.photo.text().strip():
                self._say(self.tr("Pick a photo file first."), error=True)
                return
            image_path = self.photo.text().strip()
        if not prompt:
            self._say(self.tr("Write what the avatar should look like."), error=True)
            return
        # Chosen here so that Cancel can name the task while `generate.start` is running.
        self._task_id = task_id = uuid.uuid4().hex
        self._result = None
        self.result_box.setVisible(False)
        self.professional.clear()
        self._busy(True)
        self._say(self.tr("Analysing the photo and drawing the avatar… this can take a minute."))
        ops.generate_start(self._bridge, prompt=prompt, task_id=task_id, image_path=image_path,
                           avatar_id=avatar_id, on_success=self._finished,
                           on_failure=self._failed)

    def cancel(self) -> None:
        if self._task_id is None:
            return
        self._say(self.tr("Cancelling…"))
        ops.generate_cancel(self._bridge, self._task_id,
                            on_failure=lambda error: None)  # it may have just finished

    def is_running(self) -> bool:
        return self._task_id is not None

    def _busy(self, busy: bool) -> None:
        self.generate_button.setEnabled(not busy and self._ready)
        self.cancel_button.setEnabled(busy)
        self.source_box.setEnabled(not busy)
        self.request.setReadOnly(busy)

    def _finished(self, generated: Generated) -> None:
        data = generated.fields
        self._task_id = None
        self._busy(False)
        self._result = data
        self.professional.setPlainText(data.get("professional_prompt", ""))
        self._show_timings(data["timings"])
        self.keep_button.setEnabled(True)
        self.discard_button.setEnabled(True)
        self.result_box.setVisible(True)
        self._say(self.tr("Done: the avatar is in your library."))
        ops.get_avatar(self._bridge, generated.avatar_id, on_success=self._load_preview,
                       on_failure=lambda error: None)
        self.generated.emit(data)
        self._load_avatars()

    def _failed(self, error: dict[str, Any]) -> None:
        self._task_id = None
        self._busy(False)
        text = error.get("message", "")
        if error.get("hint"):
            text += "\n" + error["hint"]
        self._say(text, error=error.get("code") != "cancelled")

    def _show_timings(self, t: dict[str, Any]) -> None:
        self.timings.setText(self.tr("Analyse {a} s · generate {g} s · total {t} s").format(
            a=_seconds(t.get("analyse_ms")), g=_seconds(t.get("generate_ms")),
            t=_seconds(t.get("total_ms"))))

    def _load_preview(self, avatar: Avatar) -> None:
        path = avatar.row.get("thumb_path") or avatar.row.get("image_path")
        if not path:
            return
        # Decoded off the GUI thread (QImage is safe there; QPixmap is made here).
        self._bridge.run_task("generate.preview", lambda: QImage(path),
                              on_success=self._show_preview, on_failure=lambda error: None)

    def _show_preview(self, image: QImage) -> None:
        if image.isNull():
            return
        self.preview.setPixmap(QPixmap.fromImage(image).scaled(
            PREVIEW_SIZE, PREVIEW_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation))

    def keep(self) -> None:
        self.keep_button.setEnabled(False)
        self.discard_button.setEnabled(False)
        self._say(self.tr("Kept: the avatar stays in your library."))

    def discard(self) -> None:
        result = self._result
        if result is None:
            return
        self.keep_button.setEnabled(False)
        self.discard_button.setEnabled(False)
        if not result.get("created", True):
            # The model drew a picture the library already had: that avatar is not ours to
            # delete.
            self._discarded(result["avatar_id"])
            return
        ops.delete_avatar(self._bridge, str(result["avatar_id"]),
                          on_success=lambda gone: self._discarded(gone.id),
                          on_failure=self._failed)

    def _discarded(self, avatar_id: str) -> None:
        self._result = None
        self.result_box.setVisible(False)
        self.preview.clear()
        self._say(self.tr("Discarded."))
        self.discarded.emit(avatar_id)
        self._load_avatars()

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #b00020;" if error else "")

    # --- history ----------------------------------------------------------------------------

    def refresh_history(self) -> None:
        ops.generate_history(self._bridge, 200, on_success=self._history_loaded,
                             on_failure=lambda error: self.stats.setText(
                                 error.get("message", "")))
        ops.generate_stats(self._bridge, on_success=self._stats_loaded,
                           on_failure=lambda error: None)

    def _history_loaded(self, history: History) -> None:
        tasks = history.tasks
        self.table.setRowCount(len(tasks))
        names = {"succeeded": self.tr("succeeded"), "failed": self.tr("failed"),
                 "cancelled": self.tr("cancelled")}
        for row, task in enumerate(tasks):
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(task["created_at"]))
            cells = [when, names.get(task["status"], self.tr("running")), task["user_prompt"],
                     _seconds(task["timings"].get("total_ms")), task.get("error") or ""]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(task.get("professional_prompt") or text)
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()

    def _stats_loaded(self, stats: Stats) -> None:
        s = stats.fields
        rate = "–" if s.get("success_rate") is None else f"{s['success_rate']:.0%}"
        self.stats.setText(self.tr(
            "%n task(s) · {rate} succeeded · analyse {a} s, generate {g} s on average · "
            "{credits} images used", "", int(s["count"])).format(
                rate=rate, a=_seconds(s.get("avg_analyse_ms")),
                g=_seconds(s.get("avg_generate_ms")), credits=f"{s['credits_used']:g}"))
        if s.get("budget") is None:
            self.budget.setText(self.tr("No budget limit"))
        else:
            self.budget.setText(self.tr("Budget: {left} of {budget} images left").format(
                left=f"{s['budget_left']:g}", budget=f"{s['budget']:g}"))

    # --- closing ----------------------------------------------------------------------------

    def done(self, result: int) -> None:
        # Closing while a task runs cancels it: it ends as `cancelled` and leaves no avatar.
        if self._task_id is not None:
            self.cancel()
        super().done(result)

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        if self._task_id is not None:
            self.cancel()
        super().closeEvent(event)
