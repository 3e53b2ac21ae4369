"""Export from the window: "Save a copy…", "Save video…", "Save copies to folder…", "Show in file
manager" and "Copy picture", for the details pane and the gallery's context menu alike. The
copies are written by the avatar.export handler (the same code as `ecan export`), never here."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, QObject, QProcess, QStandardPaths, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication, QImage
from PySide6.QtWidgets import QFileDialog, QWidget

from ecan.bridge import ops
from ecan.bridge.bridge import Bridge
from ecan.bridge.messages import translate_error
from ecan.handlers.avatar import export_file_name
from ecan.handlers.models import Exported


def load_picture(path: str) -> QImage:
    """The original decoded (and turned as its EXIF says); runs off the GUI thread (a QImage,
    unlike a QPixmap, may be made there)."""
    from ecan.ui.crop_dialog import load_image

    return load_image(path)


class ExportActions(QObject):
    """Signals:
        message(str): what happened, for the status bar ("Saved 'cat.png' to /home/me").
    """

    message = Signal(str)

    def __init__(self, bridge: Bridge, parent: QWidget) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._window = parent
        self._folder = ""  # where the last copy went: the next dialog starts there

    def _start_folder(self) -> str:
        if self._folder and os.path.isdir(self._folder):
            return self._folder
        pictures = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.PicturesLocation)
        return pictures if pictures and os.path.isdir(pictures) else str(Path.home())

    # -- saving ---------------------------------------------------------------------------
    def save_copy(self, avatar: dict[str, Any], *, video: bool = False) -> None:
        """Ask where, then write the original (or the video) there as it is in the library."""
        ext = str(avatar.get("video_ext") if video else avatar.get("ext") or "")
        suggested = os.path.join(self._start_folder(),
                                 export_file_name(str(avatar.get("name") or "avatar"), ext))
        title = self.tr("Save video") if video else self.tr("Save a copy")
        kind = self.tr("Video") if video else self.tr("Picture")
        path, _filter = QFileDialog.getSaveFileName(
            self._window, title, suggested, f"{kind} (*.{ext})" if ext else "")
        if not path:
            return
        # The dialog has asked before replacing a file that exists: the user said yes.
        ops.export_avatars(self._bridge, [str(avatar["id"])], path, conflict="overwrite",
                           video=video, on_success=self._saved, on_failure=self._failed)

    def save_copies(self, avatars: Sequence[dict[str, Any]]) -> None:
        """Ask for a folder, then write one file per avatar; a name taken there gets " (2)"."""
        if not avatars:
            return
        folder = QFileDialog.getExistingDirectory(
            self._window, self.tr("Save copies to folder"), self._start_folder())
        if not folder:
            return
        ops.export_avatars(self._bridge, [str(a["id"]) for a in avatars], folder,
                           conflict="rename", on_success=self._saved, on_failure=self._failed)

    def _saved(self, done: Exported) -> None:
        paths = done.paths
        if paths:
            self._folder = os.path.dirname(paths[0])
        parts = []
        if len(paths) == 1:
            parts.append(self.tr("Saved '{name}' to {folder}.").format(
                name=os.path.basename(paths[0]), folder=os.path.dirname(paths[0])))
        elif paths:
            parts.append(self.tr("Saved %n copies to {folder}.", "", len(paths)).format(
                folder=os.path.dirname(paths[0])))
        if done.failed:
            first = translate_error(dict(done.failed[0]))
            parts.append(self.tr("%n could not be saved:", "", len(done.failed)) + " "
                         + " ".join(x for x in (first.get("message"), first.get("hint")) if x))
        self.message.emit(" ".join(parts))

    def _failed(self, error: dict[str, Any]) -> None:
        shown = translate_error(error)
        self.message.emit(" ".join(str(x) for x in (shown.get("message"), shown.get("hint"))
                                   if x))

    # -- the file manager -----------------------------------------------------------------
    def show_in_folder(self, avatar: dict[str, Any]) -> None:
        """The library's file in the system's file manager, selected where the platform can."""
        path = str(avatar.get("video_path") if avatar.get("has_video") else
                   avatar.get("image_path") or "")
        if not path:
            return
        native = os.path.normpath(path)
        if sys.platform == "win32":
            opened = QProcess.startDetached("explorer", [f"/select,{native}"])[0]
        elif sys.platform == "darwin":
            opened = QProcess.startDetached("open", ["-R", native])[0]
        else:
            # xdg-open (through Qt) opens the folder; selecting the file has no portable way.
            opened = QDesktopServices.openUrl(QUrl.fromLocalFile(os.path.dirname(native)))
        if not opened:
            self.message.emit(self.tr("No file manager could open {folder}.").format(
                folder=os.path.dirname(native)))

    # -- the clipboard --------------------------------------------------------------------
    def copy_picture(self, avatar: dict[str, Any]) -> None:
        """The decoded picture on the clipboard, with its file's URL beside it (pasting into a
        file manager gives the file, into an editor the picture)."""
        path = str(avatar.get("image_path") or "")
        if not path:
            return
        name = str(avatar.get("name") or "")

        def decoded(image: QImage) -> None:
            if image.isNull():
                self.message.emit(self.tr("'{name}' could not be read to copy it.").format(
                    name=name))
                return
            mime = QMimeData()
            mime.setImageData(image)
            mime.setUrls([QUrl.fromLocalFile(path)])
            QGuiApplication.clipboard().setMimeData(mime)
            self.message.emit(self.tr("Copied '{name}' to the clipboard.").format(name=name))

        self._bridge.run_task("copy picture", lambda: load_picture(path), on_success=decoded,
                              on_failure=self._failed)
