"""The pieces of the account dialogs: one step of a sign-in flow (fields, the error under them,
buttons), errors in the user's language, the authenticator app's set-up, and the account menu's
"Switch to <name>…" entries."""

from __future__ import annotations

import base64
import re
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ecan.bridge import ops
from ecan.bridge.bridge import Bridge
from ecan.handlers.models import Accounts, LocalMoved, SignedIn, TotpKey
from ecan.ui.dialogs import ask, fit_height

# What the service says a password lacks (its own words, quoted in the weak_password error) ->
# the same in the user's language (see StepPage.password_rule).
_RULES = ("not long enough", "uppercase", "lowercase", "numeric", "symbol")


class StepPage(QWidget):
    """One step of an account flow: what to do (`intro`), the fields, a `note` (the password
    policy, where a code went), the `error` right under the fields, then the buttons. Errors
    are shown here, in place, never in a message box."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = ""  # the dialog's title while this step shows ("": the dialog's own)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        layout.addWidget(self.intro)
        # A step's own widgets (the QR code) above the fields. In a widget, hidden while empty:
        # an empty layout would still take the layout's spacing.
        self._extra_box = QWidget(self)
        self.extra = QVBoxLayout(self._extra_box)
        self.extra.setContentsMargins(0, 0, 0, 0)
        self._extra_box.hide()
        layout.addWidget(self._extra_box)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.note = QLabel(self)
        self.note.setObjectName("noteLabel")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: palette(placeholder-text);")
        self.note.hide()
        layout.addWidget(self.note)
        self.error = QLabel(self)
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c5221f;")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        layout.addWidget(self.error)
        self._links_box = QWidget(self)
        self.links = QHBoxLayout(self._links_box)
        self.links.setContentsMargins(0, 0, 0, 0)
        self.links.setSpacing(16)
        self._links_box.hide()
        layout.addWidget(self._links_box)
        # An authenticator app's code cannot be "the newest one sent": its error says so.
        self.totp = False
        self.buttons = QDialogButtonBox(self)
        layout.addWidget(self.buttons)

    def field(self, label: str, *, secret: bool = False, placeholder: str = "",
              text: str = "") -> QLineEdit:
        edit = QLineEdit(text, self)
        if secret:
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.setPlaceholderText(placeholder)
        edit.setAccessibleName(label.replace("&", ""))
        self.form.addRow(label, edit)
        return edit

    def code_field(self, label: str) -> QLineEdit:
        edit = self.field(label, placeholder="123456")
        edit.setMaxLength(16)
        edit.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)
        return edit

    def button(self, text: str, role: QDialogButtonBox.ButtonRole) -> QPushButton:
        b = self.buttons.addButton(text, role)
        b.setAccessibleName(text.replace("&", ""))
        return b

    def link(self, text: str) -> QPushButton:
        """A quiet button that leads to another flow ("Create account")."""
        b = QPushButton(text, self)
        b.setFlat(True)
        b.setCursor(Qt.CursorShape.PointingHandCursor)
        b.setStyleSheet("QPushButton { color: palette(link); border: none; padding: 0; "
                        "text-decoration: underline; }")
        b.setAutoDefault(False)
        self.links.addWidget(b)
        self._links_box.show()
        return b

    def add_extra(self, widget: QWidget) -> None:
        self.extra.addWidget(widget)
        self._extra_box.show()

    def show_extra(self, visible: bool) -> None:
        self._extra_box.setVisible(visible)

    def end_links(self) -> None:
        self.links.addStretch(1)

    def show_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))
        self._fit()

    def show_error(self, error: dict[str, Any] | str) -> None:
        self.error.setText(error if isinstance(error, str) else self.describe(error))
        self.error.show()
        self._fit()

    def clear_error(self) -> None:
        self.error.clear()
        self.error.hide()

    def _fit(self) -> None:
        window = self.window()
        if isinstance(window, QDialog):
            fit_height(window)

    # ---- errors in the user's language ----------------------------------------------------

    def describe(self, error: dict[str, Any]) -> str:
        """An error for the user: the handler's codes that people meet in these flows in the
        window's language; anything else as the handler said it (message, then hint)."""
        code = str(error.get("code") or "")
        message = str(error.get("message") or "")
        known = {
            "wrong_code": self.tr("That code is not right. Check it (the newest one, if several "
                                  "were sent) and type it again."),
            "expired_code": self.tr("That code has expired or was already used. Click “Send "
                                    "again” for a new one."),
            "user_exists": self.tr("There is already an account with that username. Sign in "
                                   "with it, reset its password, or choose another username."),
            "throttled": self.tr("Too many attempts. Wait a few minutes, then try again."),
            "wrong_password": self.tr("The username or password is wrong. Check both and try "
                                      "again (passwords are case-sensitive)."),
            "unknown_user": self.tr("There is no account with that username."),
            "invalid_email": self.tr("That is not an e-mail address."),
            "email_in_use": self.tr("That e-mail address belongs to another account."),
            "challenge_expired": self.tr("This sign-in step has expired. Sign in again from "
                                         "the start."),
            "browser_timeout": self.tr("The browser did not come back to ecan. Finish "
                                       "signing in in the browser, or try again."),
            "user_not_confirmed": self.tr("This account is not confirmed yet: type the code "
                                          "that was e-mailed to you."),
        }
        if code == "wrong_code" and self.totp:
            return self.tr("That code is not right. Check the time on your phone and type the "
                           "code the app shows now.")
        if code == "callback_port_busy":
            port = re.search(r"(\d{2,5})", message)  # the message may be translated already
            return self.tr(
                "Port {port} on this computer, where the browser comes back to ecan, is used "
                "by another program. Close it, or set COGNITO.CALLBACK_PORT (or "
                "ECAN_CALLBACK_PORT) to a free port and add http://localhost:<port>/callback to "
                "the app client's callback URLs.").format(port=port.group(1) if port else "?")
        if code == "weak_password":
            return self.tr("The password is not accepted: {rule}.").format(
                rule=self.password_rule(message))
        if code in known:
            return known[code]
        hint = str(error.get("hint") or "")
        return (message or self.tr("Something went wrong.")) + (f"\n{hint}" if hint else "")

    def password_rule(self, message: str) -> str:
        """The rule the pool's policy found broken, quoted from its message and translated."""
        said = message.lower()
        words = {
            "not long enough": self.tr("it is not long enough"),
            "uppercase": self.tr("it needs an upper-case letter"),
            "lowercase": self.tr("it needs a lower-case letter"),
            "numeric": self.tr("it needs a number"),
            "symbol": self.tr("it needs a symbol"),
        }
        for rule in _RULES:
            if rule in said:
                return words[rule]
        return message.split(": ", 1)[-1].rstrip(".") or self.tr("it breaks the pool's rules")

    def password_policy(self) -> str:
        return self.tr("Passwords need at least 8 characters, with upper- and lower-case "
                       "letters and a number (ecan's cloud set-up asks for that; your "
                       "organisation's may ask for more).")


def secret_in_groups(secret: str) -> str:
    """The TOTP key as people type it: groups of four."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def qr_pixmap(png_base64: str, side: int = 200) -> QPixmap:
    pixmap = QPixmap()
    pixmap.loadFromData(base64.b64decode(png_base64), "PNG")
    # Fast (nearest) scaling keeps the modules' edges sharp, which a phone's camera needs.
    return pixmap.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                         Qt.TransformationMode.FastTransformation)


class TotpView(QWidget):
    """The QR code of an authenticator app's key, and the key as text for typing."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.qr = QLabel(self)
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr.setMinimumSize(200, 200)
        self.qr.setAccessibleName(self.tr("QR code for your authenticator app"))
        layout.addWidget(self.qr)
        self.key_caption = QLabel(self.tr("Or type this key into the app:"), self)
        layout.addWidget(self.key_caption)
        self.secret = QLabel(self)
        self.secret.setObjectName("totpSecret")
        self.secret.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.secret.setStyleSheet("font-family: monospace; font-size: 13px;")
        self.secret.setWordWrap(True)
        layout.addWidget(self.secret)

    def show_key(self, key: TotpKey) -> None:
        self.qr.setPixmap(qr_pixmap(key.qr_png_base64))
        self.secret.setText(secret_in_groups(key.secret))


class TotpSetupDialog(QDialog):
    """Set up an authenticator app for the signed-in account: the QR code and the key, then a
    code from the app to confirm it (`auth.setup_totp`, `auth.verify_totp`).

    Signals:
        enabled(): the app is confirmed; signing in asks for its code from now on.
    """

    enabled = Signal()

    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self.setWindowTitle(self.tr("Set up an authenticator app"))
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        self.page = StepPage(self)
        self.page.intro.setText(self.tr(
            "Scan this QR code with an authenticator app (Google Authenticator, Microsoft "
            "Authenticator, 1Password…). Then type the 6-digit code the app shows."))
        self.view = TotpView(self.page)
        self.page.add_extra(self.view)
        self.page.totp = True
        self.code = self.page.code_field(self.tr("&Code from the app"))
        self.confirm_button = self.page.button(self.tr("Turn on"),
                                               QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = self.page.button(self.tr("Cancel"),
                                             QDialogButtonBox.ButtonRole.RejectRole)
        self.confirm_button.setDefault(True)
        self.confirm_button.clicked.connect(self.confirm)
        self.close_button.clicked.connect(self.reject)
        layout.addWidget(self.page)
        self.confirm_button.setEnabled(False)
        self.code.setEnabled(False)
        self.page.show_note(self.tr("Asking the sign-in service for a new key…"))
        ops.setup_totp(bridge, on_success=self._got_key, on_failure=self._failed)

    def _got_key(self, key: TotpKey) -> None:
        self.view.show_key(key)
        self.page.show_note("")
        self.confirm_button.setEnabled(True)
        self.code.setEnabled(True)
        self.code.setFocus()
        fit_height(self)

    def confirm(self) -> None:
        code = self.code.text().strip()
        if not code:
            self.page.show_error(self.tr("Type the 6-digit code the app shows."))
            return
        self.page.clear_error()
        self.confirm_button.setEnabled(False)
        ops.verify_totp(self._bridge, code, on_success=self._done, on_failure=self._failed)

    def _done(self, _data: Any) -> None:
        self.page.clear_error()
        self.view.hide()
        self.code.setEnabled(False)
        self.confirm_button.hide()
        self.close_button.setText(self.tr("Close"))
        self.page.intro.setText(self.tr("The authenticator app is set up. From now on, signing "
                                        "in asks for a code from it."))
        self.page.show_note("")
        self.enabled.emit()
        fit_height(self)

    def _failed(self, error: dict[str, Any]) -> None:
        self.page.show_note("")
        self.confirm_button.setEnabled(self.code.isEnabled())
        self.page.show_error(error)
        self.code.selectAll()
        self.code.setFocus()


class AccountSwitcher(QObject):
    """The accounts with a library on this computer (`auth.accounts`: usernames only), as
    "Switch to <name>…" entries in the account menus.

    Signals:
        switch_requested(str): the user chose an account; sign in as it (the username).
    """

    switch_requested = Signal(str)

    def __init__(self, bridge: Bridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self.accounts: list[dict[str, Any]] = []
        self._menus: list[tuple[QMenu, QAction]] = []
        self._made: dict[int, list[QAction]] = {}

    def attach(self, menu: QMenu, before: QAction) -> None:
        """Show the entries in `menu`, above `before`."""
        self._menus.append((menu, before))
        self._fill(menu, before)

    def refresh(self) -> None:
        ops.list_accounts(self._bridge, on_success=self._got, on_failure=lambda _e: None)

    def _got(self, known: Accounts) -> None:
        self.accounts = list(known.accounts)
        for menu, before in self._menus:
            self._fill(menu, before)

    def _fill(self, menu: QMenu, before: QAction) -> None:
        for action in self._made.pop(id(menu), []):
            menu.removeAction(action)
            action.deleteLater()
        made = []
        signed_in = any(a.get("current") for a in self.accounts)
        for account in self.accounts:
            if account.get("current"):
                continue
            name = str(account.get("username") or "")
            text = (self.tr("Switch to {name}…") if signed_in
                    else self.tr("Sign in as {name}…")).format(name=name)
            action = QAction(text, menu)
            action.setData(name)
            action.triggered.connect(lambda _c=False, n=name: self.switch_requested.emit(n))
            menu.insertAction(before, action)
            made.append(action)
        self._made[id(menu)] = made

    def entries(self, menu: QMenu) -> list[QAction]:
        return list(self._made.get(id(menu), []))


class LocalAvatarsOffer(QObject):
    """After signing in: the avatars used on this computer without an account can move into
    the account (then they sync under it), stay where they are (and the question is not asked
    again), or wait for a later sign-in. Moving uploads them to this account's cloud, so
    nothing moves unless the user says so.

    Signals:
        said(str): what happened, for the status bar.
    """

    said = Signal(str)

    def __init__(self, bridge: Bridge, parent: QWidget) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._parent = parent

    def offer(self, signed: SignedIn) -> None:
        count = signed.local_only_avatars
        if count > 0:
            # After the sign-in dialog has closed, not in the middle of its signal.
            account = signed.account
            QTimer.singleShot(0, self, lambda: self.ask(count, account))

    def ask(self, count: int, account: str) -> None:
        answer = ask(self._parent, self.tr("Avatars used without an account"), self.tr(
            "This computer has %n avatar(s) you added without signing in. Move them into "
            "{account}'s library?", "", count).format(account=account), [
                (self.tr("Move them"), QMessageBox.ButtonRole.AcceptRole),
                (self.tr("Keep them apart"), QMessageBox.ButtonRole.DestructiveRole),
                (self.tr("Ask me later"), QMessageBox.ButtonRole.RejectRole)],
            default=2, informative=self.tr(
                "Moved avatars upload to this account's cloud storage. Kept apart, they stay "
                "on this computer, shown only when nobody is signed in."))
        if answer == 0:
            ops.local_avatars(self._bridge, "move", on_success=self._moved,
                              on_failure=lambda e: self.said.emit(str(e.get("message") or "")))
        elif answer == 1:
            ops.local_avatars(self._bridge, "keep",
                              on_failure=lambda e: self.said.emit(str(e.get("message") or "")))

    def _moved(self, result: LocalMoved) -> None:
        moved = result.moved
        self.said.emit(self.tr("Moved %n avatar(s) into your account; they upload now.", "",
                               moved))


# The Chinese of this module's and the sign-in dialog's window strings (scripts/i18n.py reads
# it, as it does the generate dialog's).
ZH_CN: dict[str, str] = {
    "That code is not right. Check it (the newest one, if several were sent) and type it "
    "again.": "验证码不正确。请检查（如果收到多个，请用最新的一个）后重新输入。",
    "That code has expired or was already used. Click “Send again” for a new one.":
        "验证码已过期或已被使用。请点击“重新发送”获取新的验证码。",
    "There is already an account with that username. Sign in with it, reset its password, or "
    "choose another username.": "该用户名已有账户。请用它登录、重设其密码，或换一个用户名。",
    "Too many attempts. Wait a few minutes, then try again.": "尝试次数过多。请等几分钟后再试。",
    "The username or password is wrong. Check both and try again (passwords are "
    "case-sensitive).": "用户名或密码错误。请检查后重试（密码区分大小写）。",
    "There is no account with that username.": "没有使用该用户名的账户。",
    "That is not an e-mail address.": "这不是有效的电子邮件地址。",
    "That e-mail address belongs to another account.": "该电子邮件地址已属于另一个账户。",
    "This sign-in step has expired. Sign in again from the start.":
        "此登录步骤已过期。请从头重新登录。",
    "This account is not confirmed yet: type the code that was e-mailed to you.":
        "此账户尚未确认：请输入通过电子邮件发送给你的验证码。",
    "The password is not accepted: {rule}.": "密码不符合要求：{rule}。",
    "Port {port} on this computer, where the browser comes back to ecan, is used by another "
    "program. Close it, or set COGNITO.CALLBACK_PORT (or ECAN_CALLBACK_PORT) to a free port and "
    "add http://localhost:<port>/callback to the app client's callback URLs.":
        "本机端口 {port}（浏览器登录后返回 ecan 的地址）已被其他程序占用。请关闭该程序，"
        "或将 COGNITO.CALLBACK_PORT（或 ECAN_CALLBACK_PORT）设为空闲端口，并把 "
        "http://localhost:<端口>/callback 加入应用客户端的回调 URL。",
    "The browser did not come back to ecan. Finish signing in in the browser, or try again.":
        "浏览器没有返回 ecan。请在浏览器中完成登录，或重试。",
    "That code is not right. Check the time on your phone and type the code the app shows "
    "now.": "验证码不正确。请检查手机上的时间，并输入应用当前显示的验证码。",
    "Something went wrong.": "出了点问题。",
    "it is not long enough": "长度不够",
    "it needs an upper-case letter": "需要包含大写字母",
    "it needs a lower-case letter": "需要包含小写字母",
    "it needs a number": "需要包含数字",
    "it needs a symbol": "需要包含符号",
    "it breaks the pool's rules": "不符合用户池的规则",
    "Passwords need at least 8 characters, with upper- and lower-case letters and a number "
    "(ecan's cloud set-up asks for that; your organisation's may ask for more).":
        "密码至少 8 个字符，需包含大写字母、小写字母和数字（ecan 的云端设置如此要求；"
        "你所在组织的设置可能要求更多）。",
    "QR code for your authenticator app": "身份验证器应用的二维码",
    "Or type this key into the app:": "或者在应用中输入此密钥：",
    "Set up an authenticator app": "设置身份验证器应用",
    "Scan this QR code with an authenticator app (Google Authenticator, Microsoft "
    "Authenticator, 1Password…). Then type the 6-digit code the app shows.":
        "用身份验证器应用（Google Authenticator、Microsoft Authenticator、1Password 等）"
        "扫描此二维码，然后输入应用显示的 6 位验证码。",
    "&Code from the app": "应用中的验证码(&C)",
    "Turn on": "开启",
    "Cancel": "取消",
    "Close": "关闭",
    "Asking the sign-in service for a new key…": "正在向登录服务申请新密钥…",
    "Type the 6-digit code the app shows.": "请输入应用显示的 6 位验证码。",
    "The authenticator app is set up. From now on, signing in asks for a code from it.":
        "身份验证器应用已设置好。今后登录时会要求输入它显示的验证码。",
    "Switch to {name}…": "切换到 {name}…",
    "Avatars used without an account": "未登录时使用的头像",
    "This computer has %n avatar(s) you added without signing in. Move them into "
    "{account}'s library?":
        "这台电脑上有 %n 个你在未登录时添加的头像。要把它们移到 {account} 的头像库吗？",
    "Move them": "移过去",
    "Keep them apart": "分开保留",
    "Ask me later": "以后再问",
    "Moved avatars upload to this account's cloud storage. Kept apart, they stay on this "
    "computer, shown only when nobody is signed in.":
        "移过去的头像会上传到此账户的云存储。分开保留的头像留在这台电脑上，只在无人登录时显示。",
    "Moved %n avatar(s) into your account; they upload now.":
        "已将 %n 个头像移到你的账户；现在开始上传。",
    "Set up an &authenticator app…": "设置身份验证器应用(&A)…",
    "Sign in as {name}…": "以 {name} 的身份登录…",
    # The sign-in dialog's steps (ecan/ui/signin_dialog.py).
    "Create account": "创建账户",
    "Create an ecan account": "创建 ecan 账户",
    "Reset your password": "重设密码",
    "Choose a new password": "设置新密码",
    "Two-step sign-in": "两步登录",
    "Forgot password?": "忘记密码？",
    "Sign in with browser": "用浏览器登录",
    "Back": "返回",
    "Create an ecan account. The sign-in service e-mails you a code to confirm it.":
        "创建 ecan 账户。登录服务会通过电子邮件向你发送一个验证码来确认。",
    "&E-mail": "电子邮件(&E)",
    "you@example.com": "you@example.com",
    "Creating…": "正在创建…",
    "Fill in the username, e-mail address and password.": "请填写用户名、电子邮件地址和密码。",
    "Confirm your account": "确认你的账户",
    "Type the code that was sent to {where}.": "请输入发送到 {where} 的验证码。",
    "your e-mail address": "你的电子邮件地址",
    "&Code": "验证码(&C)",
    "Confirm": "确认",
    "Send again": "重新发送",
    "A new code was sent to {where}.": "新的验证码已发送到 {where}。",
    "Type the code.": "请输入验证码。",
    "Your account is confirmed. Sign in with it.": "你的账户已确认。请用它登录。",
    "Type your username: the sign-in service e-mails you a code to set a new password.":
        "请输入你的用户名：登录服务会通过电子邮件向你发送一个验证码，用来设置新密码。",
    "Send code": "发送验证码",
    "Enter your username.": "请输入你的用户名。",
    "Set password": "设置密码",
    "&New password": "新密码(&N)",
    "&Repeat it": "再输入一次(&R)",
    "Type the code that was sent to {where}, and choose a new password.":
        "请输入发送到 {where} 的验证码，并设置新密码。",
    "Type the code and the new password.": "请输入验证码和新密码。",
    "The two passwords are not the same.": "两次输入的密码不一致。",
    "Your account needs a new password before you can sign in. Choose one that only you know.":
        "你的账户需要先设置新密码才能登录。请设置一个只有你知道的密码。",
    "Type the new password twice.": "请将新密码输入两次。",
    "Type the 6-digit code from your authenticator app.": "请输入身份验证器应用中的 6 位验证码。",
    "Type the code that was texted to {where}.": "请输入通过短信发送到 {where} 的验证码。",
    "your phone": "你的手机",
    "Your account asks for an authenticator app. Scan this QR code with one, then type the "
    "6-digit code it shows.":
        "你的账户要求使用身份验证器应用。请用它扫描此二维码，然后输入它显示的 6 位验证码。",
    "Verify": "验证",
    "Verifying…": "正在验证…",
    "Finish signing in in your browser. ecan waits here until the sign-in page sends you back.":
        "请在浏览器中完成登录。ecan 会在这里等待，直到登录页面把你送回来。",
    "Opening the sign-in page in your browser…": "正在浏览器中打开登录页面…",
    "If the browser did not open, copy this address into it.":
        "如果浏览器没有打开，请将此地址复制到浏览器中。",
    "&Address": "地址(&A)",
    "Try again": "重试",
    "This account asks for a step ecan cannot show yet ({step}). Sign in with `ecan login` "
    "in a terminal.":
        "此账户要求一个 ecan 暂时无法显示的步骤（{step}）。请在终端中用 `ecan login` 登录。",
}
