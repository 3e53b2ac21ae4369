"""Bringing avatars in: dropped or picked files and folders are imported in small batches through
`avatar.import_paths` (so progress can be shown), pasted image data through
`avatar.upload_avatar`, and the user gets a summary of what was refused and why."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ecan.bridge import ops
from ecan.bridge.bridge import Bridge
from ecan.handlers.models import ImportBatch, Uploaded

BATCH = 8
# A folder walk keeps only files that could be avatars; files named one by one all go to the
# importer, which explains any refusal.
MEDIA_EXTS = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".heic",
              ".heif", ".mp4", ".webm", ".mov"}


def expand_paths(paths: list[str]) -> list[str]:
    """Files as given, folders walked recursively (hidden files skipped). Runs off-thread."""
    out: list[str] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    if not f.startswith(".") and Path(f).suffix.lower() in MEDIA_EXTS:
                        out.append(str(Path(root) / f))
        else:
            out.append(str(p))
    return out


def encode_png(image: QImage) -> str:
    """PNG bytes of `image`, base64 text for `avatar.upload_avatar`'s fileData. Off-thread."""
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")  # type: ignore[call-overload]  # the stubs want bytes; Qt wants str
    buf.close()
    return base64.b64encode(bytes(data.data())).decode("ascii")


class ImportController(QObject):
    """One import at a time; a second request while busy is queued behind it.

    Signals:
        progress(int, int): files done, files in total.
        finished(list): every result ({path, ok, avatar_id, error}) of the import.
        busy_changed(int): 1 while importing, 0 when done (an int: PySide 6.12 on Python 3.11
            loses a reference to True/False on every bool emitted from Python).
    """

    progress = Signal(int, int)
    finished = Signal(object)
    busy_changed = Signal(int)

    def __init__(self, bridge: Bridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._todo: list[str] = []
        self._results: list[dict[str, Any]] = []
        self._total = 0
        self._busy = False
        self._waiting: list[list[str]] = []

    @property
    def busy(self) -> bool:
        return self._busy

    def import_paths(self, paths: list[str]) -> None:
        if not paths:
            return
        if self._busy:
            self._waiting.append(paths)
            return
        self._set_busy(True)
        self._results = []
        self._bridge.run_task("expand", lambda: expand_paths(paths),
                              on_success=self._start, on_failure=self._expand_failed)

    def upload_image(self, image: QImage, filename: str,
                     on_done: Callable[[dict[str, Any]], None] | None = None) -> None:
        """Save in-memory image data (paste, crop) as an avatar."""
        def uploaded(up: Uploaded) -> None:
            self._single_done(filename, str(up.avatar["id"]), None, on_done)

        def encoded(data: str) -> None:
            ops.upload_image(self._bridge, data, filename, on_success=uploaded,
                             on_failure=lambda e: self._single_done(filename, None, e, on_done))

        copy = QImage(image)
        self._bridge.run_task("encode", lambda: encode_png(copy), on_success=encoded,
                              on_failure=lambda e: self._single_done(filename, None, e, on_done))

    def _single_done(self, filename: str, avatar_id: str | None, error: dict[str, Any] | None,
                     on_done: Callable[[dict[str, Any]], None] | None) -> None:
        result: dict[str, Any] = {"path": filename, "ok": error is None, "avatar_id": avatar_id,
                                  "error": error}
        if on_done is not None:
            on_done(result)
        self.finished.emit([result])

    def _expand_failed(self, error: dict[str, Any]) -> None:
        self._set_busy(False)
        self.finished.emit([{"path": "", "ok": False, "avatar_id": None, "error": error}])
        self._next_waiting()

    def _start(self, files: list[str]) -> None:
        self._todo = list(files)
        self._total = len(files)
        self.progress.emit(0, self._total)
        self._next_batch()

    def _next_batch(self) -> None:
        if not self._todo:
            self._set_busy(False)
            self.finished.emit(list(self._results))
            self._next_waiting()
            return
        batch, self._todo = self._todo[:BATCH], self._todo[BATCH:]
        # Each batch's avatars reach the galleries as the call's changes (their ids), row by
        # row, without a reload of the library per batch.
        ops.import_paths(self._bridge, batch, on_success=self._batch_done,
                         on_failure=lambda e, b=batch: self._batch_failed(b, e))  # type: ignore[misc]

    def _batch_done(self, batch: ImportBatch) -> None:
        self._results.extend(batch.results)
        self.progress.emit(len(self._results), self._total)
        self._next_batch()

    def _batch_failed(self, batch: list[str], error: dict[str, Any]) -> None:
        self._results.extend({"path": p, "ok": False, "avatar_id": None, "error": error}
                             for p in batch)
        self.progress.emit(len(self._results), self._total)
        self._next_batch()

    def _next_waiting(self) -> None:
        if self._waiting:
            self.import_paths(self._waiting.pop(0))

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(int(busy))


def error_text(error: Any) -> str:
    if isinstance(error, dict):
        text = str(error.get("message") or "")
        if error.get("hint"):
            text += " " + str(error["hint"])
        return text
    return str(error or "")


class ImportSummaryDialog(QDialog):
    """What was imported and, file by file, what was refused and why."""

    def __init__(self, results: list[dict[str, Any]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        ok = sum(1 for r in results if r.get("ok") and r.get("created", True))
        refused = [r for r in results if not r.get("ok")]
        self.setWindowTitle(self.tr("Import finished"))
        self.resize(640, 360)
        layout = QVBoxLayout(self)
        self.headline = QLabel(
            self.tr("Added {ok} of {total} files. {refused} could not be imported:").format(
                ok=ok, total=len(results), refused=len(refused)), self)
        self.headline.setWordWrap(True)
        layout.addWidget(self.headline)
        self.table = QTreeWidget(self)
        self.table.setAccessibleName(self.tr("Refused files"))
        self.table.setHeaderLabels([self.tr("File"), self.tr("Reason")])
        self.table.setRootIsDecorated(False)
        self.table.setColumnWidth(0, 220)
        for r in refused:
            item = QTreeWidgetItem([Path(str(r.get("path") or "")).name or str(r.get("path")),
                                    error_text(r.get("error"))])
            item.setToolTip(0, str(r.get("path") or ""))
            item.setToolTip(1, error_text(r.get("error")))
            self.table.addTopLevelItem(item)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("Close"))
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
