"""A global excepthook for bugs: the traceback goes to the log file, the user sees a short
message and where the log is, never a raw traceback."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication, QMessageBox

from ecan.bridge.messages import translate_text
from ecan.errors import UserFacingError

log = logging.getLogger(__name__)


class BugReporter(QObject):
    def __init__(self, log_path: Path | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.log_path = log_path
        self._previous = sys.excepthook
        self._showing = False

    def install(self) -> None:
        sys.excepthook = self.handle

    def uninstall(self) -> None:
        sys.excepthook = self._previous

    def handle(self, kind: type[BaseException], value: BaseException,
               tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        log.error("unexpected error in the app", exc_info=(kind, value, tb))
        if self._showing or QApplication.instance() is None:
            return
        self._showing = True
        try:
            if isinstance(value, UserFacingError):  # not a bug: what it says, and the fix
                box = QMessageBox(QMessageBox.Icon.Warning, self.tr("ecan hit a problem"),
                                  translate_text(value.message))
                box.setInformativeText(translate_text(value.hint))
            else:
                box = QMessageBox(QMessageBox.Icon.Critical, self.tr("ecan hit a problem"),
                                  self.tr("Something went wrong ({kind}). Your library is safe; "
                                          "you can keep working.").format(kind=kind.__name__))
                box.setInformativeText(self.tr("Details were written to the log: {path}")
                                       .format(path=self.log_path or self.tr("(no log file)")))
            box.exec()
        finally:
            self._showing = False
