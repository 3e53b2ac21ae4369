"""The sign-in dialog: username and password, and every step a user pool sends people through
(create an account and its e-mailed code, a forgotten password, the new password an
administrator's user must choose, an authenticator or text-message code, the browser). Errors are
shown in place (the dialog stays open); the "session expired" variant resumes the sync queue."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ecan.bridge import ops
from ecan.bridge.bridge import Bridge
from ecan.handlers.models import BrowserFlow, CodeSent, SignedIn, TotpKey
from ecan.ui.account_dialogs import StepPage, TotpView
from ecan.ui.dialogs import fit_height

# How long the dialog waits for the browser to come back (the user may take a while to find
# their password; Cancel ends the wait at once).
BROWSER_WAIT_S = 900.0


class SignInDialog(QDialog):
    """Signals:
        signed_in(SignedIn): signing in succeeded, by whichever step (identity_id...).
    """

    signed_in = Signal(object)

    def __init__(self, bridge: Bridge, parent: QWidget | None = None, *,
                 expired: bool = False, username: str = "", hosted_ui: bool = False) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._expired = expired
        # What the user typed, kept while the dialog is open so that confirming a new account
        # or a reset password signs in without asking for it again.
        self._username = ""
        self._password = ""
        self._challenge_id = ""
        self._flow_id = ""
        self.browser_url = ""
        self.setWindowTitle(self.tr("Sign in to ecan"))
        self.setMinimumWidth(400)
        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        self._layout = layout
        self._pages: list[StepPage] = []
        self._build_sign_in(username, hosted_ui)
        self._build_sign_up()
        self._build_confirm()
        self._build_forgot()
        self._build_reset()
        self._build_new_password()
        self._build_mfa()
        self._build_browser()
        self.finished.connect(self._closed)
        self.show_page(self.signin_page)
        (self.password if username else self.username).setFocus()

    # ---- the pages ------------------------------------------------------------------------

    def _page(self) -> StepPage:
        page = StepPage(self)
        page.hide()
        self._layout.addWidget(page)
        self._pages.append(page)
        self._current = page
        return page

    def _back(self, page: StepPage) -> None:
        page.button(self.tr("Back"), QDialogButtonBox.ButtonRole.RejectRole).clicked.connect(
            lambda: self.show_page(self.signin_page))

    def _build_sign_in(self, username: str, hosted_ui: bool) -> None:
        page = self.signin_page = self._page()
        self.intro = page.intro
        self.intro.setText(
            self.tr("Your session has expired. Sign in again to resume syncing; nothing waiting "
                    "to upload has been lost.") if self._expired else
            self.tr("Sign in to sync your avatars to your cloud storage and find them on every "
                    "computer you use."))
        self.username = page.field(self.tr("&Username"), placeholder=self.tr(
            "user name or email"), text=username)
        self.username.setAccessibleName(self.tr("Username"))
        self.password = page.field(self.tr("&Password"), secret=True)
        self.password.setAccessibleName(self.tr("Password"))
        self.error = page.error
        self.error.setAccessibleName(self.tr("Sign-in error"))
        self.create_link = page.link(self.tr("Create account"))
        self.forgot_link = page.link(self.tr("Forgot password?"))
        self.browser_link = page.link(self.tr("Sign in with browser"))
        self.browser_link.setVisible(hosted_ui)
        page.end_links()
        self.create_link.clicked.connect(self.start_sign_up)
        self.forgot_link.clicked.connect(self.start_forgot)
        self.browser_link.clicked.connect(self.start_browser)
        self.buttons = page.buttons
        self.buttons.setStandardButtons(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.sign_in_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.sign_in_button.setText(self.tr("Sign in"))
        self.sign_in_button.setAccessibleName(self.tr("Sign in"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

    def _build_sign_up(self) -> None:
        page = self.signup_page = self._page()
        page.title = self.tr("Create an ecan account")
        page.intro.setText(self.tr("Create an ecan account. The sign-in service e-mails you a "
                                   "code to confirm it."))
        self.new_username = page.field(self.tr("&Username"))
        self.email = page.field(self.tr("&E-mail"), placeholder=self.tr("you@example.com"))
        self.new_password = page.field(self.tr("&Password"), secret=True)
        page.show_note(page.password_policy())
        self.create_button = page.button(self.tr("Create account"),
                                         QDialogButtonBox.ButtonRole.AcceptRole)
        self.create_button.clicked.connect(self.submit_sign_up)
        self._back(page)

    def _build_confirm(self) -> None:
        page = self.confirm_page = self._page()
        page.title = self.tr("Confirm your account")
        self.confirm_code = page.code_field(self.tr("&Code"))
        self.confirm_button = page.button(self.tr("Confirm"),
                                          QDialogButtonBox.ButtonRole.AcceptRole)
        self.resend_button = page.button(self.tr("Send again"),
                                         QDialogButtonBox.ButtonRole.ActionRole)
        self.confirm_button.clicked.connect(self.submit_confirm)
        self.resend_button.clicked.connect(self.resend)
        self._back(page)

    def _build_forgot(self) -> None:
        page = self.forgot_page = self._page()
        page.title = self.tr("Reset your password")
        page.intro.setText(self.tr("Type your username: the sign-in service e-mails you a code "
                                   "to set a new password."))
        self.forgot_username = page.field(self.tr("&Username"))
        self.send_code_button = page.button(self.tr("Send code"),
                                            QDialogButtonBox.ButtonRole.AcceptRole)
        self.send_code_button.clicked.connect(self.submit_forgot)
        self._back(page)

    def _build_reset(self) -> None:
        page = self.reset_page = self._page()
        page.title = self.tr("Reset your password")
        self.reset_code = page.code_field(self.tr("&Code"))
        self.reset_password = page.field(self.tr("&New password"), secret=True)
        page.show_note(page.password_policy())
        self.reset_button = page.button(self.tr("Set password"),
                                        QDialogButtonBox.ButtonRole.AcceptRole)
        self.reset_resend_button = page.button(self.tr("Send again"),
                                               QDialogButtonBox.ButtonRole.ActionRole)
        self.reset_button.clicked.connect(self.submit_reset)
        self.reset_resend_button.clicked.connect(self.submit_forgot)
        self._back(page)

    def _build_new_password(self) -> None:
        page = self.newpass_page = self._page()
        page.title = self.tr("Choose a new password")
        page.intro.setText(self.tr("Your account needs a new password before you can sign in. "
                                   "Choose one that only you know."))
        self.required_password = page.field(self.tr("&New password"), secret=True)
        self.required_repeat = page.field(self.tr("&Repeat it"), secret=True)
        page.show_note(page.password_policy())
        self.newpass_button = page.button(self.tr("Set password"),
                                          QDialogButtonBox.ButtonRole.AcceptRole)
        self.newpass_button.clicked.connect(self.submit_new_password)
        self._back(page)

    def _build_mfa(self) -> None:
        page = self.mfa_page = self._page()
        page.title = self.tr("Two-step sign-in")
        self.mfa_setup = TotpView(page)
        page.add_extra(self.mfa_setup)
        page.show_extra(False)  # only for MFA_SETUP
        self.mfa_code = page.code_field(self.tr("&Code"))
        self.verify_button = page.button(self.tr("Verify"),
                                         QDialogButtonBox.ButtonRole.AcceptRole)
        self.verify_button.clicked.connect(self.submit_mfa)
        self._back(page)

    def _build_browser(self) -> None:
        page = self.browser_page = self._page()
        page.title = self.tr("Sign in with browser")
        page.intro.setText(self.tr("Finish signing in in your browser. ecan waits here until "
                                   "the sign-in page sends you back."))
        # The address, for a browser that did not open: in a read-only field (one long line
        # that a label could not wrap), ready to copy.
        self.browser_address = page.field(self.tr("&Address"))
        self.browser_address.setReadOnly(True)
        self.retry_browser_button = page.button(self.tr("Try again"),
                                                QDialogButtonBox.ButtonRole.ActionRole)
        self.retry_browser_button.clicked.connect(self.start_browser)
        self.cancel_browser_button = page.button(self.tr("Cancel"),
                                                 QDialogButtonBox.ButtonRole.RejectRole)
        self.cancel_browser_button.clicked.connect(self.cancel_browser)

    def show_page(self, page: StepPage) -> None:
        """Show one step; the dialog takes that step's height (a hidden step takes no room in
        the layout, so a short step is not padded to the tallest one's height)."""
        for other in self._pages:
            other.setVisible(other is page)
        self._current = page
        self.setWindowTitle(page.title or self.tr("Sign in to ecan"))
        page.clear_error()
        self.setMinimumHeight(0)
        self._layout.activate()
        self.resize(self.width(), self.sizeHint().height())
        fit_height(self)
        default = next((b for b in page.buttons.buttons() if
                        page.buttons.buttonRole(b) == QDialogButtonBox.ButtonRole.AcceptRole),
                       None)
        if isinstance(default, QPushButton):
            default.setDefault(True)

    def current_page(self) -> StepPage:
        return self._current

    # ---- signing in ------------------------------------------------------------------------

    def submit(self) -> None:
        username = self.username.text().strip()
        password = self.password.text()
        if not username or not password:
            self._show_error({"message": self.tr("Enter your username and password."), "hint": ""})
            return
        self._username, self._password = username, password
        self._set_busy(True)
        self._sign_in()

    def _sign_in(self) -> None:
        ops.sign_in(self._bridge, self._username, self._password, on_success=self._stepped,
                    on_failure=self._failed)

    def _stepped(self, step: SignedIn) -> None:
        """A step succeeded: signed in, or the pool asks for another step."""
        self._set_busy(False)
        challenge = step.challenge
        if challenge is None:
            self._succeeded(step)
            return
        self._challenge_id = step.challenge_id
        if challenge == "NEW_PASSWORD_REQUIRED":
            self.required_password.clear()
            self.required_repeat.clear()
            self.show_page(self.newpass_page)
            self.required_password.setFocus()
            return
        self.mfa_code.clear()
        self.mfa_page.show_extra(False)
        where = step.destination or self.tr("your phone")
        self.mfa_page.totp = challenge in ("SOFTWARE_TOKEN_MFA", "MFA_SETUP")
        if challenge == "SOFTWARE_TOKEN_MFA":
            self.mfa_page.intro.setText(self.tr("Type the 6-digit code from your authenticator "
                                                "app."))
        elif challenge == "SMS_MFA":
            self.mfa_page.intro.setText(self.tr("Type the code that was texted to {where}."
                                                ).format(where=where))
        elif challenge == "MFA_SETUP":
            self.mfa_page.intro.setText(self.tr(
                "Your account asks for an authenticator app. Scan this QR code with one, then "
                "type the 6-digit code it shows."))
            ops.mfa_setup_secret(self._bridge, self._challenge_id,
                                 on_success=self._got_setup_key, on_failure=self._failed)
        else:
            self._show_error({"message": self.tr(
                "This account asks for a step ecan cannot show yet ({step}). Sign in with "
                "`ecan login` in a terminal.").format(step=challenge)})
            return
        self.show_page(self.mfa_page)
        self.mfa_code.setFocus()

    def _got_setup_key(self, key: TotpKey) -> None:
        self.mfa_setup.show_key(key)
        self.mfa_page.show_extra(True)
        self.show_page(self.mfa_page)
        self.mfa_code.setFocus()

    def _succeeded(self, signed: SignedIn) -> None:
        self._set_busy(False)
        self.password.clear()
        self._password = ""
        self.signed_in.emit(signed)
        self.accept()

    def _failed(self, error: dict[str, Any]) -> None:
        self._set_busy(False)
        page = self.current_page()
        if page is self.signin_page and error.get("code") == "user_not_confirmed":
            # Signed up earlier but never typed the code: this is where to do it.
            self._show_confirm("")
            self.confirm_page.show_error(error)
            return
        page.show_error(error)
        if page is self.signin_page:
            self.password.selectAll()
            self.password.setFocus()

    def _show_error(self, error: dict[str, Any]) -> None:
        page = self.current_page()
        if error.get("code"):
            page.show_error(error)
            return
        text = str(error.get("message") or self.tr("Sign-in failed."))
        if error.get("hint"):
            text += "\n" + str(error["hint"])
        page.show_error(text)

    def _set_busy(self, busy: bool) -> None:
        page = self.current_page()
        for b in page.buttons.buttons():
            b.setEnabled(not busy)
        for i in range(page.form.rowCount()):
            item = page.form.itemAt(i, page.form.ItemRole.FieldRole)
            field = item.widget() if item is not None else None
            if field is not None:
                field.setEnabled(not busy)
        if page is self.signin_page:
            self.sign_in_button.setText(self.tr("Signing in…") if busy else self.tr("Sign in"))

    # ---- a new account ---------------------------------------------------------------------

    def start_sign_up(self) -> None:
        self.new_username.setText(self.username.text().strip())
        self.show_page(self.signup_page)
        (self.email if self.new_username.text() else self.new_username).setFocus()

    def submit_sign_up(self) -> None:
        username = self.new_username.text().strip()
        email = self.email.text().strip()
        password = self.new_password.text()
        if not username or not email or not password:
            self.signup_page.show_error(self.tr("Fill in the username, e-mail address and "
                                                "password."))
            return
        self._username, self._password = username, password
        self._set_busy(True)
        ops.sign_up(self._bridge, username, email, password, on_success=self._signed_up,
                    on_failure=self._failed)

    def _signed_up(self, sent: CodeSent) -> None:
        self._set_busy(False)
        self.new_password.clear()
        self._show_confirm(sent.destination)

    def _show_confirm(self, where: str) -> None:
        self.confirm_page.intro.setText(self.tr("Type the code that was sent to {where}.").format(
            where=where or self.tr("your e-mail address")))
        self.confirm_code.clear()
        self.confirm_page.show_note("")
        self.show_page(self.confirm_page)
        self.confirm_code.setFocus()

    def submit_confirm(self) -> None:
        code = self.confirm_code.text().strip()
        if not code:
            self.confirm_page.show_error(self.tr("Type the code."))
            return
        self._set_busy(True)
        ops.confirm_sign_up(self._bridge, self._username, code, on_success=self._confirmed,
                            on_failure=self._failed)

    def _confirmed(self, _data: Any) -> None:
        if self._password:
            self._set_busy(True)
            self._sign_in()
            return
        self._set_busy(False)
        self.username.setText(self._username)
        self.show_page(self.signin_page)
        self.signin_page.show_note(self.tr("Your account is confirmed. Sign in with it."))
        self.password.setFocus()

    def resend(self) -> None:
        self.resend_button.setEnabled(False)
        ops.resend_code(self._bridge, self._username, on_success=self._resent,
                        on_failure=self._resend_failed)

    def _resent(self, sent: CodeSent) -> None:
        self.resend_button.setEnabled(True)
        self.current_page().clear_error()
        self.current_page().show_note(self.tr("A new code was sent to {where}.").format(
            where=sent.destination or self.tr("your e-mail address")))

    def _resend_failed(self, error: dict[str, Any]) -> None:
        self.resend_button.setEnabled(True)
        self.current_page().show_error(error)

    # ---- a forgotten password --------------------------------------------------------------

    def start_forgot(self) -> None:
        self.forgot_username.setText(self.username.text().strip())
        self.show_page(self.forgot_page)
        self.forgot_username.setFocus()

    def submit_forgot(self) -> None:
        page = self.current_page()
        username = (self.forgot_username.text().strip() if page is self.forgot_page
                    else self._username)
        if not username:
            page.show_error(self.tr("Enter your username."))
            return
        self._username, self._password = username, ""
        self._set_busy(True)
        ops.forgot_password(self._bridge, username, on_success=self._code_sent,
                            on_failure=self._failed)

    def _code_sent(self, sent: CodeSent) -> None:
        self._set_busy(False)
        where = sent.destination or self.tr("your e-mail address")
        if self.current_page() is self.reset_page:
            self.reset_page.clear_error()
            self.reset_page.show_note(self.tr("A new code was sent to {where}.").format(
                where=where) + "\n" + self.reset_page.password_policy())
            return
        self.reset_page.intro.setText(self.tr("Type the code that was sent to {where}, and "
                                              "choose a new password.").format(where=where))
        self.reset_code.clear()
        self.reset_password.clear()
        self.reset_page.show_note(self.reset_page.password_policy())
        self.show_page(self.reset_page)
        self.reset_code.setFocus()

    def submit_reset(self) -> None:
        code = self.reset_code.text().strip()
        password = self.reset_password.text()
        if not code or not password:
            self.reset_page.show_error(self.tr("Type the code and the new password."))
            return
        self._password = password
        self._set_busy(True)
        ops.confirm_forgot_password(self._bridge, self._username, code, password,
                                    on_success=self._password_reset, on_failure=self._failed)

    def _password_reset(self, _data: Any) -> None:
        self.reset_password.clear()
        self._sign_in()

    # ---- the pool's challenges -------------------------------------------------------------

    def submit_new_password(self) -> None:
        password = self.required_password.text()
        if not password or not self.required_repeat.text():
            self.newpass_page.show_error(self.tr("Type the new password twice."))
            return
        if password != self.required_repeat.text():
            self.newpass_page.show_error(self.tr("The two passwords are not the same."))
            return
        self._set_busy(True)
        ops.respond_new_password(self._bridge, self._challenge_id, password,
                                 on_success=self._stepped, on_failure=self._failed)

    def submit_mfa(self) -> None:
        code = self.mfa_code.text().strip()
        if not code:
            self.mfa_page.show_error(self.tr("Type the code."))
            return
        self._set_busy(True)
        self.verify_button.setText(self.tr("Verifying…"))
        ops.respond_mfa(self._bridge, self._challenge_id, code, on_success=self._mfa_done,
                        on_failure=self._mfa_failed)

    def _mfa_done(self, step: SignedIn) -> None:
        self.verify_button.setText(self.tr("Verify"))
        self._stepped(step)

    def _mfa_failed(self, error: dict[str, Any]) -> None:
        self.verify_button.setText(self.tr("Verify"))
        self._failed(error)
        self.mfa_code.selectAll()
        self.mfa_code.setFocus()

    # ---- the browser (the pool's hosted UI) ------------------------------------------------

    def start_browser(self) -> None:
        """Open the pool's sign-in page in the system browser and wait for it off the GUI
        thread; Cancel ends the wait."""
        self.show_page(self.browser_page)
        self.browser_address.clear()
        self.browser_page.show_note(self.tr("Opening the sign-in page in your browser…"))
        self.retry_browser_button.hide()
        ops.hosted_ui_start(self._bridge, on_success=self._browser_started,
                            on_failure=self._browser_failed)

    def _browser_started(self, flow: BrowserFlow) -> None:
        self._flow_id = flow.flow_id
        self.browser_url = flow.url
        self.show_browser_address(self.browser_url)
        QDesktopServices.openUrl(QUrl(self.browser_url))
        ops.hosted_ui_finish(self._bridge, self._flow_id, BROWSER_WAIT_S,
                             on_success=self._browser_done, on_failure=self._browser_failed)

    def show_browser_address(self, url: str) -> None:
        self.browser_address.setText(url)
        self.browser_address.setCursorPosition(0)
        self.browser_page.show_note(self.tr("If the browser did not open, copy this address "
                                            "into it."))

    def _browser_done(self, signed: SignedIn) -> None:
        self._flow_id = ""
        self._succeeded(signed)

    def _browser_failed(self, error: dict[str, Any]) -> None:
        self._flow_id = ""
        if error.get("code") == "cancelled":
            return  # the user's own Cancel: nothing to say
        self.retry_browser_button.show()
        self.browser_page.show_note("")
        self.browser_page.show_error(error)

    def cancel_browser(self) -> None:
        self._cancel_flow()
        self.show_page(self.signin_page)

    def _cancel_flow(self) -> None:
        if self._flow_id:
            ops.hosted_ui_cancel(self._bridge, self._flow_id, on_failure=lambda _e: None)
            self._flow_id = ""

    def _closed(self, _result: int) -> None:
        self._cancel_flow()
        self._password = ""
