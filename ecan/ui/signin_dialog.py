"""The sign-in dialog: username and password, errors shown in place (the dialog stays open), and
a "session expired" variant whose success resumes the sync queue."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ecan.bridge import ops
from ecan.bridge.bridge import Bridge
from ecan.handlers.models import SignedIn
from ecan.ui.dialogs import fit_height


class SignInDialog(QDialog):
    """Signals:
        signed_in(SignedIn): `auth.sign_in` succeeded (its answer: identity_id...).
    """

    signed_in = Signal(object)

    def __init__(self, bridge: Bridge, parent: QWidget | None = None, *,
                 expired: bool = False, username: str = "") -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._expired = expired
        self.setWindowTitle(self.tr("Sign in to ecan"))
        self.setMinimumWidth(380)
        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        self.intro.setText(
            self.tr("Your session has expired. Sign in again to resume syncing; nothing waiting "
                    "to upload has been lost.") if expired else
            self.tr("Sign in to sync your avatars to your cloud storage and find them on every "
                    "computer you use."))
        layout.addWidget(self.intro)
        form = QFormLayout()
        self.username = QLineEdit(username, self)
        self.username.setAccessibleName(self.tr("Username"))
        self.username.setPlaceholderText(self.tr("user name or email"))
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName(self.tr("Password"))
        form.addRow(self.tr("&Username"), self.username)
        form.addRow(self.tr("&Password"), self.password)
        layout.addLayout(form)
        self.error = QLabel(self)
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c5221f;")
        self.error.setAccessibleName(self.tr("Sign-in error"))
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.sign_in_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.sign_in_button.setText(self.tr("Sign in"))
        self.sign_in_button.setAccessibleName(self.tr("Sign in"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        (self.password if username else self.username).setFocus()

    def submit(self) -> None:
        username = self.username.text().strip()
        password = self.password.text()
        if not username or not password:
            self._show_error({"message": self.tr("Enter your username and password."), "hint": ""})
            return
        self._set_busy(True)
        ops.sign_in(self._bridge, username, password, on_success=self._succeeded,
                    on_failure=self._failed)

    def _succeeded(self, signed: SignedIn) -> None:
        self._set_busy(False)
        self.password.clear()
        self.signed_in.emit(signed)
        self.accept()

    def _failed(self, error: dict[str, Any]) -> None:
        self._set_busy(False)
        self._show_error(error)
        self.password.selectAll()
        self.password.setFocus()

    def _show_error(self, error: dict[str, Any]) -> None:
        text = str(error.get("message") or self.tr("Sign-in failed."))
        if error.get("hint"):
            text += "\n" + str(error["hint"])
        self.error.setText(text)
        self.error.show()
        fit_height(self)

    def _set_busy(self, busy: bool) -> None:
        self.sign_in_button.setEnabled(not busy)
        self.sign_in_button.setText(self.tr("Signing in…") if busy else self.tr("Sign in"))
        self.username.setEnabled(not busy)
        self.password.setEnabled(not busy)
