"""The AI avatar dialog: pick a photo or an avatar, write the request, choose a style and how many
candidates (1-4), and see the refined prompt, the photo before and the result(s) after, and the
timings; keep or discard it, or keep the chosen candidates. A second tab shows the task history
with thumbnails (use a past prompt again, or run it again) and the stats. Everything runs
through the bridge (`generate.*`, `avatar.*`), never on the GUI thread."""

from __future__ import annotations

import time
import uuid
from typing import Any

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
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
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ecan.bridge import ops
from ecan.bridge.bridge import Bridge
from ecan.handlers.models import Avatar, AvatarPage, Generated, History, Kept, Stats

PREVIEW_SIZE = 256
BEFORE_SIZE = 160
CANDIDATE_SIZE = 140
HISTORY_ICON = 48
PRESET_NAMES = ("flat", "clay", "pixel", "watercolour", "anime")

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
    "Style": "风格",
    "No style": "无风格",
    "Flat illustration": "扁平插画",
    "3D clay": "3D 黏土",
    "Pixel art": "像素画",
    "Watercolour": "水彩",
    "Anime": "动漫",
    "Candidates": "候选数量",
    "How many pictures to draw in one run (each costs one image credit)":
        "一次绘制几张图片（每张消耗一张图片额度）",
    "Before": "之前",
    "After": "之后",
    "Keep chosen": "保留所选",
    "Discard all": "全部丢弃",
    "Candidate {n}": "候选 {n}",
    "Done: choose the candidates to keep, then “Keep chosen”.":
        "完成：请选择要保留的候选图片，然后点击“保留所选”。",
    "Choose at least one candidate, or “Discard all”.":
        "请至少选择一张候选图片，或点击“全部丢弃”。",
    "Kept %n avatar(s); the others were discarded.": "已保留 %n 个头像；其余已丢弃。",
    "Analysing the photo and drawing %n candidates… this can take a minute or two.":
        "正在分析照片并绘制 %n 张候选图片……可能需要一两分钟。",
    "Use this prompt": "使用此提示",
    "Run again": "再次运行",
    "Pick a task in the list first.": "请先在列表中选择一个任务。",
    "another computer": "另一台电脑",
    "The photo of this task is on another computer: choose one here.":
        "该任务的照片在另一台电脑上：请在这里选择一张照片。",
}


def _seconds(ms: Any) -> str:
    return "–" if ms is None else f"{ms / 1000:.1f}"


class GenerateDialog(QDialog):
    """Signals:
        generated(dict): a generation finished; the `generate.start` result.
        discarded(str): the user discarded the generated avatar (its id; "" for candidates).
        kept(list): the chosen candidates were kept (the new avatars' ids).
    """

    generated = Signal(object)
    discarded = Signal(str)
    kept = Signal(list)

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
        options = QHBoxLayout()
        self.style_label = QLabel(page)
        self.preset = QComboBox(page)
        self.preset.addItem("", None)
        for name in PRESET_NAMES:
            self.preset.addItem("", name)
        self.style_label.setBuddy(self.preset)
        self.candidates_label = QLabel(page)
        self.candidates = QSpinBox(page)
        self.candidates.setRange(1, 4)
        self.candidates_label.setBuddy(self.candidates)
        options.addWidget(self.style_label)
        options.addWidget(self.preset)
        options.addSpacing(16)
        options.addWidget(self.candidates_label)
        options.addWidget(self.candidates)
        options.addStretch(1)
        col.addLayout(options)
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
        before = QVBoxLayout()
        self.before_label = QLabel(self.result_box)
        self.before = QLabel(self.result_box)
        self.before.setFixedSize(BEFORE_SIZE, BEFORE_SIZE)
        self.before.setAlignment(Qt.AlignmentFlag.AlignCenter)
        before.addWidget(self.before_label)
        before.addWidget(self.before)
        before.addStretch(1)
        after = QVBoxLayout()
        self.after_label = QLabel(self.result_box)
        self.preview = QLabel(self.result_box)
        self.preview.setFixedSize(PREVIEW_SIZE, PREVIEW_SIZE)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # Several candidates: one checkable picture each; the checked ones are kept.
        self.choices = QWidget(self.result_box)
        self.choices_row = QHBoxLayout(self.choices)
        self.choices_row.setContentsMargins(0, 0, 0, 0)
        self.choice_buttons: list[QToolButton] = []
        self.choices.setVisible(False)
        # A chosen candidate must be plain to see at a glance, not a slightly darker button.
        self.choices.setStyleSheet(
            "QToolButton { border: 3px solid transparent; border-radius: 6px; padding: 3px; }"
            "QToolButton:checked { border-color: palette(highlight);"
            " background: palette(alternate-base); font-weight: bold; }")
        after.addWidget(self.after_label)
        after.addWidget(self.preview)
        after.addWidget(self.choices)
        after.addStretch(1)
        rcol.addLayout(before)
        rcol.addLayout(after)
        side = QVBoxLayout()
        self.timings = QLabel(self.result_box)
        self.timings.setWordWrap(True)
        self.keep_button = QPushButton(self.result_box)
        self.discard_button = QPushButton(self.result_box)
        side.addWidget(self.timings)
        side.addStretch(1)
        side.addWidget(self.keep_button)
        side.addWidget(self.discard_button)
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
        self.table = QTableWidget(0, 6, hist)
        self.table.setIconSize(QSize(HISTORY_ICON, HISTORY_ICON))
        self.table.verticalHeader().setDefaultSectionSize(HISTORY_ICON + 6)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.refresh_button = QPushButton(hist)
        self.reuse_button = QPushButton(hist)
        self.rerun_button = QPushButton(hist)
        hcol.addWidget(self.stats)
        hcol.addWidget(self.budget)
        hcol.addWidget(self.table)
        hrow = QHBoxLayout()
        hrow.addWidget(self.reuse_button)
        hrow.addWidget(self.rerun_button)
        hrow.addStretch(1)
        hrow.addWidget(self.refresh_button)
        hcol.addLayout(hrow)
        self._tasks: list[dict[str, Any]] = []
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
        self.reuse_button.clicked.connect(lambda: self.reuse(run=False))
        self.rerun_button.clicked.connect(lambda: self.reuse(run=True))
        self.table.doubleClicked.connect(lambda _i: self.reuse(run=False))
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
        self.style_label.setText(self.tr("Style"))
        self.preset.setItemText(0, self.tr("No style"))
        for i, name in enumerate(PRESET_NAMES, start=1):
            self.preset.setItemText(i, self._preset_label(name))
        self.preset.setAccessibleName(self.tr("Style"))
        self.candidates_label.setText(self.tr("Candidates"))
        self.candidates.setAccessibleName(self.tr("Candidates"))
        self.candidates.setToolTip(
            self.tr("How many pictures to draw in one run (each costs one image credit)"))
        self.before_label.setText(self.tr("Before"))
        self.after_label.setText(self.tr("After"))
        for n, button in enumerate(self.choice_buttons, start=1):
            button.setText(self.tr("Candidate {n}").format(n=n))
            button.setAccessibleName(button.text())
        self.reuse_button.setText(self.tr("Use this prompt"))
        self.rerun_button.setText(self.tr("Run again"))
        self.generate_button.setText(self.tr("Generate"))
        self.cancel_button.setText(self.tr("Cancel"))
        self.prompt_label.setText(self.tr("Refined prompt"))
        self.professional.setAccessibleName(self.tr("Refined prompt"))
        self.result_box.setTitle(self.tr("Result"))
        several = bool(self.choice_buttons)
        self.keep_button.setText(self.tr("Keep chosen") if several else self.tr("Keep"))
        self.discard_button.setText(self.tr("Discard all") if several else self.tr("Discard"))
        self.refresh_button.setText(self.tr("Refresh"))
        self.close_button.setText(self.tr("Close"))
        self.table.setHorizontalHeaderLabels([self.tr("When"), self.tr("Status"),
                                              self.tr("Request"), self.tr("Style"),
                                              self.tr("Time"), self.tr("Error")])
        if self._result is not None:
            self._show_timings(self._result["timings"])

    def _preset_label(self, name: str | None) -> str:
        # Literal tr() calls, so that lupdate finds each label.
        labels = {"flat": self.tr("Flat illustration"), "clay": self.tr("3D clay"),
                  "pixel": self.tr("Pixel art"), "watercolour": self.tr("Watercolour"),
                  "anime": self.tr("Anime")}
        return labels.get(name or "", "")

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
        n = self.candidates.value()
        # Chosen here so that Cancel can name the task while `generate.start` is running.
        self._task_id = task_id = uuid.uuid4().hex
        self._result = None
        self.result_box.setVisible(False)
        self.professional.clear()
        self._busy(True)
        if n > 1:
            self._say(self.tr("Analysing the photo and drawing %n candidates… this can take a "
                              "minute or two.", "", n))
        else:
            self._say(self.tr(
                "Analysing the photo and drawing the avatar… this can take a minute."))
        ops.generate_start(self._bridge, prompt=prompt, task_id=task_id, image_path=image_path,
                           avatar_id=avatar_id, preset=self.preset.currentData() or None,
                           candidates=n, on_success=self._finished, on_failure=self._failed)

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
        self.preset.setEnabled(not busy)
        self.candidates.setEnabled(not busy)
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
        self.before.clear()
        self.preview.clear()
        self._set_choices(data.get("candidates") or [])
        self.result_box.setVisible(True)
        if data.get("source_path"):
            self._load_image(data["source_path"], self.before, BEFORE_SIZE)
        if self.choice_buttons:
            self._say(self.tr("Done: choose the candidates to keep, then “Keep chosen”."))
        elif generated.avatar_id is not None:
            self._say(self.tr("Done: the avatar is in your library."))
            ops.get_avatar(self._bridge, generated.avatar_id, on_success=self._load_preview,
                           on_failure=lambda error: None)
        self.generated.emit(data)
        self._load_avatars()

    def _set_choices(self, candidates: list[dict[str, Any]]) -> None:
        for button in self.choice_buttons:
            button.deleteLater()
        self.choice_buttons = []
        for c in candidates:
            button = QToolButton(self.choices)
            button.setCheckable(True)
            button.setProperty("index", c["index"])
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            button.setIconSize(QSize(CANDIDATE_SIZE, CANDIDATE_SIZE))
            button.setMinimumWidth(CANDIDATE_SIZE + 12)
            self.choices_row.addWidget(button)
            self.choice_buttons.append(button)
            self._load_image(c["thumb_path"], button, CANDIDATE_SIZE)
        self.choices.setVisible(bool(candidates))
        self.preview.setVisible(not candidates)
        self._retranslate()

    def chosen(self) -> list[int]:
        return [int(b.property("index")) for b in self.choice_buttons if b.isChecked()]

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
        if path:
            self._load_image(path, self.preview, PREVIEW_SIZE)

    def _load_image(self, path: str, target: QLabel | QToolButton, size: int) -> None:
        """Show the picture at `path` in `target`, decoded and scaled off the GUI thread
        (QImage is safe there; the QPixmap is made here)."""
        def decode() -> QImage:
            return QImage(path).scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                                       Qt.TransformationMode.SmoothTransformation)

        def show(image: QImage) -> None:
            if image.isNull():
                return
            if isinstance(target, QToolButton):
                target.setIcon(QIcon(QPixmap.fromImage(image)))
            else:
                target.setPixmap(QPixmap.fromImage(image))

        self._bridge.run_task("generate.preview", decode, on_success=show,
                              on_failure=lambda error: None)

    def keep(self) -> None:
        result = self._result
        if self.choice_buttons and result is not None:
            indices = self.chosen()
            if not indices:
                self._say(self.tr("Choose at least one candidate, or “Discard all”."),
                          error=True)
                return
            self._keep_candidates(result, indices)
            return
        self.keep_button.setEnabled(False)
        self.discard_button.setEnabled(False)
        self._say(self.tr("Kept: the avatar stays in your library."))

    def _keep_candidates(self, result: dict[str, Any], indices: list[int]) -> None:
        self.keep_button.setEnabled(False)
        self.discard_button.setEnabled(False)

        def kept(answer: Kept) -> None:
            ids = list(answer.avatar_ids)
            for button in self.choice_buttons:
                # The kept ones stay in sight, in colour; the discarded ones go.
                button.setVisible(button.isChecked())
                button.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
            if ids:
                self._say(self.tr("Kept %n avatar(s); the others were discarded.", "",
                                  len(ids)))
                self.kept.emit(ids)
            else:
                self._discarded("")
            self._load_avatars()

        ops.generate_keep(self._bridge, str(result["task_id"]), indices, on_success=kept,
                          on_failure=self._failed)

    def discard(self) -> None:
        result = self._result
        if result is None:
            return
        if self.choice_buttons:
            self._keep_candidates(result, [])
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
        self._set_choices([])
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
        self._tasks = list(tasks)
        self.table.setRowCount(len(tasks))
        names = {"succeeded": self.tr("succeeded"), "failed": self.tr("failed"),
                 "cancelled": self.tr("cancelled")}
        thumbs: list[tuple[int, str]] = []
        for row, task in enumerate(tasks):
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(task["created_at"]))
            status = names.get(task["status"], self.tr("running"))
            if task.get("origin"):
                status += " · " + self.tr("another computer")
            cells = [when, status, task["user_prompt"], self._preset_label(task.get("preset")),
                     _seconds(task["timings"].get("total_ms")), task.get("error") or ""]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(task.get("professional_prompt") or text)
                self.table.setItem(row, column, item)
            thumb = task.get("thumb_path") or task.get("source_path")
            if thumb:
                thumbs.append((row, thumb))
        self.table.resizeColumnsToContents()
        self._load_history_icons(thumbs)

    def _load_history_icons(self, thumbs: list[tuple[int, str]]) -> None:
        """Each task's picture (its kept avatar, else its photo) beside its time, decoded off
        the GUI thread in one go."""
        tasks = list(self._tasks)

        def decode() -> list[tuple[int, QImage]]:
            return [(row, QImage(path).scaled(
                HISTORY_ICON, HISTORY_ICON, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation)) for row, path in thumbs]

        def show(images: list[tuple[int, QImage]]) -> None:
            if tasks != self._tasks:
                return  # the list was loaded again meanwhile
            for row, image in images:
                item = self.table.item(row, 0)
                if item is not None and not image.isNull():
                    item.setIcon(QIcon(QPixmap.fromImage(image)))
            self.table.resizeColumnToContents(0)

        if thumbs:
            self._bridge.run_task("generate.history_icons", decode, on_success=show,
                                  on_failure=lambda error: None)

    def reuse(self, *, run: bool) -> None:
        """The selected task's request, style and candidates in the form, to edit (and its
        photo, when it is kept here); `run`: start it again at once."""
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self._tasks):
            self.stats.setText(self.tr("Pick a task in the list first."))
            return
        task = self._tasks[rows[0].row()]
        self.request.setPlainText(task.get("user_prompt") or "")
        index = self.preset.findData(task.get("preset"))
        self.preset.setCurrentIndex(max(index, 0))
        self.candidates.setValue(int(task.get("candidates") or 1))
        self.tabs.setCurrentIndex(0)
        if task.get("source_path"):
            self.use_file.setChecked(True)
            self.photo.setText(task["source_path"])
        elif self.use_file.isChecked():
            self.photo.clear()
            self._say(self.tr("The photo of this task is on another computer: choose one "
                              "here."))
            return
        if run and self._task_id is None:
            self.start()

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
