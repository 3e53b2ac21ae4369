"""The details pane beside the gallery: the selected avatar's preview, facts (size, format,
dimensions, cloud key), its sync state with any error and hint, and its actions."""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import QEvent, QSize, Qt, QUrl, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QDesktopServices,
    QGuiApplication,
    QHideEvent,
    QKeyEvent,
    QKeySequence,
    QMovie,
    QPixmap,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ecan.bridge.decoder_process import DecoderProcess
from ecan.bridge.messages import translate_text
from ecan.bridge.thumbs import ThumbnailLoader
from ecan.ui.gallery_model import duration_text
from ecan.ui.resources import icon

PREVIEW = 200
# QMovie decodes frames on the GUI thread as they are shown: past this size an animation plays
# as its still thumbnail rather than risk stalling the window.
ANIMATE_MAX_BYTES = 8 * 1024 * 1024


def human_bytes(n: int | float | None) -> str:
    if n is None:
        return ""
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


class DetailsPane(QFrame):
    """Signals:
        delete_requested(str): the user asked to delete this avatar (id).
        retry_requested(str): the user asked to retry this avatar's sync (id).
        message(str): a short confirmation for the status bar ("Link copied").
        link_requested(str, int): the user asked for a private link to this avatar (id) that
            works for so many seconds; answer with copy_link().
        edit_requested(str, object): the user saved a new name, tags or description for this
            avatar (id, {name, tags, description}: the avatar.update payload's fields).
        export_requested(str, object): the user asked to export this avatar (the avatar's
            dict): "save" (a copy of the original), "save_video", "show" (in the file
            manager) or "copy" (the picture, to the clipboard); see ecan.ui.export.
    """

    delete_requested = Signal(str)
    retry_requested = Signal(str)
    message = Signal(str)
    link_requested = Signal(str, int)
    edit_requested = Signal(str, object)
    export_requested = Signal(str, object)

    # What "Copy private link" offers: (seconds, label) - labels are set in _retranslate.
    LINK_EXPIRIES = (3600, 86400, 7 * 86400)

    def __init__(self, parent: QWidget | None = None,
                 decoder: DecoderProcess | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailsPane")
        self.setMinimumWidth(280)
        self.setMaximumWidth(380)
        self._avatar: dict[str, Any] | None = None
        self._refusal: str | None = None
        self._movie: QMovie | None = None
        self._loader = ThumbnailLoader(QSize(PREVIEW, PREVIEW), self, capacity=16,
                                       device_pixel_ratio=self.devicePixelRatioF(),
                                       decoder=decoder)
        self._loader.thumbnail_ready.connect(self._thumb_ready)
        # On a short window a long problem text scrolls instead of losing its last lines; the
        # buttons stay in view below it.
        content = QWidget(self)
        content.setObjectName("detailsContent")
        scroll = QScrollArea(self)
        scroll.setObjectName("detailsScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(10)
        self.preview = QLabel(self)
        self.preview.setFixedSize(PREVIEW, PREVIEW)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setObjectName("preview")
        layout.addWidget(self.preview, 0, Qt.AlignmentFlag.AlignHCenter)
        self.title = QLabel(self)
        self.title.setObjectName("detailsTitle")
        self.title.setWordWrap(True)
        self.title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.title)
        # What the user can change (the rest is facts): name, tags, description.
        self.edit_form = QFormLayout()
        self.edit_form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.name_edit = QLineEdit(self)
        self.name_edit.setMaxLength(120)
        self.tags_edit = QLineEdit(self)
        self.description_edit = QPlainTextEdit(self)
        self.description_edit.setTabChangesFocus(True)
        self.description_edit.setFixedHeight(64)
        self.edit_labels = [QLabel(self) for _ in range(3)]
        for label, editor in zip(self.edit_labels,
                                 (self.name_edit, self.tags_edit, self.description_edit),
                                 strict=True):
            label.setBuddy(editor)
            self.edit_form.addRow(label, editor)
        self.save_edits = QPushButton(self)
        self.save_edits.clicked.connect(self._save_edits)
        self.edit_form.addRow("", self.save_edits)
        for line in (self.name_edit, self.tags_edit):
            line.textEdited.connect(self._edits_changed)
            line.returnPressed.connect(self._save_edits)
        self.description_edit.textChanged.connect(self._edits_changed)
        layout.addLayout(self.edit_form)
        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.form.setHorizontalSpacing(10)
        self.form.setVerticalSpacing(6)
        self.values: dict[str, QLabel] = {}
        self.labels: dict[str, QLabel] = {}
        for key in ("type", "format", "dimensions", "size", "length", "state", "error", "key"):
            label = QLabel(self)
            value = WrappedLabel(self)
            value.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            self.labels[key], self.values[key] = label, value
            self.form.addRow(label, value)
        self.values["error"].setStyleSheet("color: #c5221f;")
        layout.addLayout(self.form)
        self.play = QPushButton(icon("play"), "", self)
        self.play.clicked.connect(self._play)
        row = QHBoxLayout()
        self.copy_public = QPushButton(icon("link"), "", self)
        self.copy_public.clicked.connect(lambda: self._copy("cloud_image_url"))
        self.copy_presigned = QPushButton(icon("link"), "", self)
        # A link lasts as long as the user says: the button opens the choice of expiry.
        self.expiry_menu = QMenu(self.copy_presigned)
        self.expiry_actions = []
        for seconds in self.LINK_EXPIRIES:
            action = self.expiry_menu.addAction("")
            action.triggered.connect(lambda _c=False, s=seconds: self._ask_link(s))
            self.expiry_actions.append(action)
        self.copy_presigned.setMenu(self.expiry_menu)
        row.addWidget(self.copy_public)
        row.addWidget(self.copy_presigned)
        # Export: the original as it is in the library, wherever the user wants it.
        self.save_copy = QPushButton(icon("save"), "", self)
        self.copy_picture = QPushButton(icon("copy"), "", self)
        self.show_file = QPushButton(icon("folder"), "", self)
        self.save_video = QPushButton(icon("save"), "", self)
        for button, what in ((self.save_copy, "save"), (self.copy_picture, "copy"),
                             (self.show_file, "show"), (self.save_video, "save_video")):
            button.clicked.connect(lambda _c=False, a=what: self._export(a))
        # One row, the folder as an icon (named in its tooltip and for screen readers): the
        # pane's facts keep their room on a short window.
        export_row = QHBoxLayout()
        export_row.addWidget(self.save_copy, 1)
        export_row.addWidget(self.copy_picture, 1)
        export_row.addWidget(self.show_file)
        play_row = QHBoxLayout()
        play_row.addWidget(self.play, 1)
        play_row.addWidget(self.save_video, 1)
        row2 = QHBoxLayout()
        self.retry = QPushButton(icon("retry"), "", self)
        self.retry.clicked.connect(lambda: self._avatar and self.retry_requested.emit(
            str(self._avatar.get("id"))))
        self.delete = QPushButton(icon("delete"), "", self)
        self.delete.clicked.connect(lambda: self._avatar and self.delete_requested.emit(
            str(self._avatar.get("id"))))
        row2.addWidget(self.retry)
        row2.addWidget(self.delete)
        # Why Delete is off (a built-in avatar, one an agent uses), in words, not just grey.
        self.delete_note = QLabel(self)
        self.delete_note.setObjectName("hintLabel")
        self.delete_note.setWordWrap(True)
        actions = QVBoxLayout()
        actions.setContentsMargins(16, 6, 16, 16)
        actions.addLayout(play_row)
        actions.addLayout(export_row)
        actions.addLayout(row)
        actions.addLayout(row2)
        actions.addWidget(self.delete_note)
        outer.addLayout(actions)
        layout.addStretch(1)
        self.placeholder = QLabel(self)
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setObjectName("hintLabel")
        layout.addWidget(self.placeholder)
        layout.addStretch(2)
        self._retranslate()
        self.show_avatar(None)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
            self.show_avatar(self._avatar, delete_refusal=self._refusal)
        super().changeEvent(event)

    def _retranslate(self) -> None:
        names = {"type": self.tr("Kind"), "format": self.tr("Format"),
                 "dimensions": self.tr("Dimensions"), "size": self.tr("File size"),
                 "length": self.tr("Length"),
                 "state": self.tr("Sync"), "error": self.tr("Problem"),
                 "key": self.tr("Cloud key")}
        for key, text in names.items():
            self.labels[key].setText(text)
        self.copy_public.setText(self.tr("Copy public link"))
        self.copy_public.setAccessibleName(self.tr("Copy public link"))
        self.copy_public.setToolTip(self.tr("Copy the avatar's public (CDN) link"))
        self.copy_presigned.setText(self.tr("Copy private link"))
        self.copy_presigned.setAccessibleName(self.tr("Copy private link"))
        self.copy_presigned.setToolTip(self.tr("Copy a time-limited link to the original"))
        labels = (self.tr("Works for 1 hour"), self.tr("Works for 1 day"),
                  self.tr("Works for 7 days"))
        for action, label in zip(self.expiry_actions, labels, strict=True):
            action.setText(label)
        self.play.setText(self.tr("Play"))
        self.play.setAccessibleName(self.tr("Play video"))
        self.play.setToolTip(self.tr("Open the video in your video player"))
        self.save_copy.setText(self.tr("Save a copy…"))
        self.save_copy.setToolTip(self.tr("Save a copy of the original picture"))
        self.save_video.setText(self.tr("Save video…"))
        self.save_video.setToolTip(self.tr("Save a copy of the video"))
        self.copy_picture.setText(self.tr("Copy picture"))
        self.copy_picture.setToolTip(self.tr("Copy the picture to the clipboard"))
        self.show_file.setAccessibleName(self.tr("Show in file manager"))
        self.show_file.setToolTip(self.tr("Show the avatar's file in your file manager"))
        self.retry.setText(self.tr("Retry sync"))
        self.retry.setAccessibleName(self.tr("Retry sync"))
        self.delete.setText(self.tr("Delete"))
        self.delete.setAccessibleName(self.tr("Delete avatar"))
        self.placeholder.setText(self.tr("Select an avatar to see its details."))
        for buddy_label, text in zip(self.edit_labels, (self.tr("&Name"), self.tr("&Tags"),
                                                        self.tr("D&escription")), strict=True):
            buddy_label.setText(text)
        self.name_edit.setAccessibleName(self.tr("Avatar name"))
        self.tags_edit.setAccessibleName(self.tr("Avatar tags"))
        self.tags_edit.setPlaceholderText(self.tr("e.g. friendly, blue"))
        self.description_edit.setAccessibleName(self.tr("Avatar description"))
        self.description_edit.setPlaceholderText(self.tr("What this avatar is for (optional)"))
        self.save_edits.setText(self.tr("Save changes"))

    def avatar_id(self) -> str | None:
        return None if self._avatar is None else str(self._avatar.get("id"))

    def show_avatar(self, avatar: dict[str, Any] | None, *,
                    delete_refusal: str | None = None) -> None:
        """Show `avatar` (None: the placeholder); `delete_refusal` says why it cannot be
        deleted (the toolbar's Delete agrees: both come from AvatarsPage.delete_refusal)."""
        same = (avatar is not None and self._avatar is not None
                and avatar.get("id") == self._avatar.get("id"))
        self._avatar = avatar
        self._refusal = delete_refusal
        has = avatar is not None
        for w in (self.preview, self.title, self.copy_public, self.copy_presigned, self.retry,
                  self.delete, self.play, self.save_copy, self.copy_picture, self.show_file,
                  self.save_video, *self.values.values(), *self.labels.values(),
                  self.name_edit, self.tags_edit, self.description_edit, self.save_edits,
                  *self.edit_labels):
            w.setVisible(has)
        # A sync finishing refreshes the pane: what the user is typing stays.
        if avatar is not None and not (same and self._edits() != self._saved_values()):
            self._load_edits(avatar)
        self.placeholder.setVisible(not has)
        self.delete_note.setVisible(has and bool(delete_refusal))
        self.delete_note.setText(delete_refusal or "")
        if avatar is None:
            self._stop_movie()
            return
        kinds = {"system": self.tr("Built-in"), "uploaded": self.tr("Uploaded"),
                 "generated": self.tr("Generated")}
        states = {"local": self.tr("On this computer only"), "queued": self.tr("Waiting to sync"),
                  "syncing": self.tr("Syncing"), "synced": self.tr("Synced"),
                  "failed": self.tr("Sync failed")}
        state = str(avatar.get("sync_state") or "queued")
        self.title.setText(f"<b>{_esc(str(avatar.get('name') or ''))}</b>")
        self.values["type"].setText(kinds.get(str(avatar.get("resource_type")), ""))
        video = bool(avatar.get("has_video") and avatar.get("video_path"))
        # A video avatar is its video: the poster picture is only how it is shown.
        self.values["format"].setText(
            self.tr("{format} video").format(format=str(avatar.get("video_ext") or "").upper())
            if video else str(avatar.get("format") or ""))
        w, h = avatar.get("width", "?"), avatar.get("height", "?")
        self.values["dimensions"].setText(f"{w} × {h}")
        self.values["size"].setText(human_bytes(avatar.get("video_bytes") if video
                                                else avatar.get("bytes")))
        self.values["state"].setText(states.get(state, state))
        err = " ".join(translate_text(str(x)) for x in (avatar.get("sync_error"),
                                                        avatar.get("sync_hint")) if x)
        self.values["error"].setText(breakable(err))
        self.values["error"].setVisible(bool(err))
        self.labels["error"].setVisible(bool(err))
        key = str(avatar.get("cloud_image_key") or "")
        self.values["key"].setText(breakable(key) or self.tr("not in the cloud yet"))
        # Public: only where CDN_DOMAIN / PUBLIC_URL_BASE gives the avatar a public URL.
        self.copy_public.setVisible(bool(avatar.get("cloud_image_url")))
        self.copy_presigned.setVisible(state == "synced" and bool(avatar.get("cloud_image_key")))
        length = duration_text(avatar.get("video_duration"))
        self.values["length"].setText(length)
        self.values["length"].setVisible(video and bool(length))
        self.labels["length"].setVisible(video and bool(length))
        self.play.setVisible(video)
        self.save_video.setVisible(video)
        self.retry.setVisible(state == "failed")
        self.delete.setEnabled(delete_refusal is None)
        self.delete.setToolTip(delete_refusal or "")
        if same and self._movie is not None:
            return  # a row refresh (sync state) must not restart the animation
        self._stop_movie()
        if not self._start_movie(avatar):
            self._set_preview(self._loader.pixmap(str(avatar.get("thumb_path") or "")))

    def movie(self) -> QMovie | None:
        """The animation playing in the preview, if the avatar is animated."""
        return self._movie

    def _start_movie(self, avatar: dict[str, Any]) -> bool:
        path = str(avatar.get("image_path") or "")
        if not (avatar.get("animated") and path
                and int(avatar.get("bytes") or 0) <= ANIMATE_MAX_BYTES):
            return False
        movie = QMovie(path, parent=self)
        if not movie.isValid():
            movie.deleteLater()
            return False
        movie.setCacheMode(QMovie.CacheMode.CacheAll)  # a small loop: decode each frame once
        w, h = int(avatar.get("width") or PREVIEW), int(avatar.get("height") or PREVIEW)
        movie.setScaledSize(QSize(w, h).scaled(QSize(PREVIEW, PREVIEW),
                                               Qt.AspectRatioMode.KeepAspectRatio))
        self._movie = movie
        self.preview.setMovie(movie)
        if self.isVisible():
            movie.start()
        return True

    def _stop_movie(self) -> None:
        if self._movie is not None:
            self._movie.stop()
            self.preview.clear()
            self._movie.deleteLater()
            self._movie = None

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._movie is not None:
            if self._movie.state() == QMovie.MovieState.NotRunning:
                self._movie.start()
            else:
                self._movie.setPaused(False)

    def hideEvent(self, event: QHideEvent) -> None:
        # Another tab or a minimised window: no frames to draw for nobody.
        if self._movie is not None and self._movie.state() == QMovie.MovieState.Running:
            self._movie.setPaused(True)
        super().hideEvent(event)

    def _thumb_ready(self, path: str) -> None:
        if self._movie is None and self._avatar and str(self._avatar.get("thumb_path")) == path:
            self._set_preview(self._loader.pixmap(path))

    def _set_preview(self, pix: QPixmap | None) -> None:
        if pix is None or pix.isNull():
            self.preview.clear()
            return
        self.preview.setPixmap(pix)

    def _play(self) -> None:
        """The video in the system's player: it plays every codec the user's machine has, and
        ecan ships no player of its own (PySide6-Essentials has no QtMultimedia)."""
        path = str((self._avatar or {}).get("video_path") or "")
        if path and not QDesktopServices.openUrl(QUrl.fromLocalFile(path)):
            self.message.emit(self.tr("No video player is set up to open {name}.").format(
                name=path.rsplit("/", 1)[-1]))

    def _export(self, action: str) -> None:
        if self._avatar:
            self.export_requested.emit(action, dict(self._avatar))

    def _load_edits(self, avatar: dict[str, Any]) -> None:
        self.name_edit.setText(str(avatar.get("name") or ""))
        self.tags_edit.setText(", ".join(str(t) for t in avatar.get("tags") or []))
        self.description_edit.blockSignals(True)
        self.description_edit.setPlainText(str(avatar.get("description") or ""))
        self.description_edit.blockSignals(False)
        editable = avatar.get("resource_type") != "system"  # built-in avatars are read-only
        for editor in (self.name_edit, self.tags_edit):
            editor.setReadOnly(not editable)
        self.description_edit.setReadOnly(not editable)
        self.save_edits.setVisible(editable)
        self._edits_changed()

    def _edits(self) -> tuple[str, list[str], str]:
        tags = [t.strip() for t in self.tags_edit.text().split(",") if t.strip()]
        return (self.name_edit.text().strip(), tags, self.description_edit.toPlainText())

    def _saved_values(self) -> tuple[str, list[str], str]:
        a = self._avatar or {}
        return (str(a.get("name") or ""), [str(t) for t in a.get("tags") or []],
                str(a.get("description") or ""))

    def _edits_changed(self) -> None:
        self.save_edits.setEnabled(self._avatar is not None
                                   and self._edits() != self._saved_values()
                                   and bool(self._edits()[0]))

    def _save_edits(self) -> None:
        if not self._avatar or not self.save_edits.isEnabled():
            return
        name, tags, description = self._edits()
        self.save_edits.setEnabled(False)  # until the answer comes (saved() or edit_failed())
        self.edit_requested.emit(str(self._avatar.get("id")),
                                 {"name": name, "tags": tags, "description": description})

    def saved(self, avatar: dict[str, Any]) -> None:
        """avatar.update answered: show what was stored (names are cleaned, tags deduplicated)."""
        if self._avatar is not None and avatar.get("id") == self._avatar.get("id"):
            self._avatar = avatar
            self._load_edits(avatar)
            self.title.setText(f"<b>{_esc(str(avatar.get('name') or ''))}</b>")
        self.message.emit(self.tr("Changes saved."))

    def edit_failed(self, message: str) -> None:
        self._edits_changed()
        self.message.emit(message)

    def _ask_link(self, seconds: int) -> None:
        if self._avatar:
            self.link_requested.emit(str(self._avatar.get("id")), seconds)

    def copy_link(self, url: str, expires_at: str) -> None:
        """The private link asked for has come: onto the clipboard, and say until when."""
        QGuiApplication.clipboard().setText(url)
        self.message.emit(self.tr("Private link copied: it works until {when}.").format(
            when=_local_time(expires_at)))

    def _copy(self, field: str) -> None:
        if not self._avatar or not self._avatar.get(field):
            return
        QGuiApplication.clipboard().setText(str(self._avatar[field]))
        self.message.emit(self.tr("Link copied to the clipboard."))


ZWSP = "\u200b"
_LONG_RUN = re.compile(rf"[^\s/{ZWSP}]{{16}}(?=[^\s/{ZWSP}])")


def breakable(text: str) -> str:
    """`text` with a zero-width space after each "/" and every 16 characters of a long run, so
    a QLabel (which wraps only between words) wraps a path or a 64-hex file name instead of
    cutting it off at the pane's edge."""
    return _LONG_RUN.sub(lambda m: m.group(0) + ZWSP, text.replace("/", "/" + ZWSP))


class WrappedLabel(QLabel):
    """A selectable, word-wrapping label showing `breakable` text: what the user copies
    (Ctrl+C, or the context menu) comes without the zero-width spaces that let a long path
    wrap, so a copied path or key can be pasted into a terminal or a bug report as it is."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy) and self.hasSelectedText():
            self._copy(self.selectedText())
            event.accept()
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = QMenu(self)
        copy = menu.addAction(self.tr("Copy"), lambda: self._copy(self.selectedText()))
        copy.setEnabled(self.hasSelectedText())
        menu.addAction(self.tr("Copy all"), lambda: self._copy(self.text()))
        menu.exec(event.globalPos())

    @staticmethod
    def _copy(text: str) -> None:
        QGuiApplication.clipboard().setText(text.replace(ZWSP, ""))


def _local_time(iso_utc: str) -> str:
    """"2026-12-05T13:00:00Z" as the user's clock and locale show a date and time."""
    from PySide6.QtCore import QDateTime, QLocale

    when = QDateTime.fromString(iso_utc, Qt.DateFormat.ISODate)
    if not when.isValid():
        return iso_utc
    return QLocale().toString(when.toLocalTime(), QLocale.FormatType.ShortFormat)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
