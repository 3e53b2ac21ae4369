"""Every sign-in flow in the window, against the demo cloud (which checks codes, passwords and
TOTP as the real service does): what the user types, and what the dialog shows back: the next
step, an error under the fields (in English or Chinese), or the signed-in account."""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest

from ecan.app import App, build_app
from ecan.auth.secrets import MemoryKeyring
from ecan.democloud import DemoCloud
from tests.integration.test_account_flows import (
    PASSWORD,
    _admin,
    _browser,
    _code,
    _inbox,
    _name,
    _user,
)
from tests.ui.conftest import Gui


class Window:
    """The app and the bridge a sign-in dialog talks to, as the window has them."""

    def __init__(self, env: dict[str, str]) -> None:
        from ecan.bridge.bridge import Bridge

        self.app: App = build_app(env, keyring_backend=MemoryKeyring())
        self.bridge = Bridge(self.app.handlers)

    def status(self) -> dict[str, Any]:
        resp = self.app.handlers.call("auth.status", {})
        assert resp["ok"], resp
        return dict(resp["data"])


@pytest.fixture
def window(cloud_env: dict[str, str]) -> Iterator[Window]:
    w = Window(cloud_env)
    yield w
    w.bridge.close()
    w.app.close()


def _dialog(window: Window, qtbot: Any, **kwargs: Any) -> Any:
    from ecan.ui.signin_dialog import SignInDialog

    dialog = SignInDialog(window.bridge, None, **kwargs)
    qtbot.addWidget(dialog)
    dialog.signed_ins = []  # type: ignore[attr-defined]
    dialog.signed_in.connect(dialog.signed_ins.append)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _error_shown(qtbot: Any, page: Any, *needles: str) -> str:
    qtbot.waitUntil(lambda: page.error.isVisible() and all(
        n in page.error.text() for n in needles), timeout=20_000)
    # In place: right under the fields, above the buttons, and no field squashed.
    form_bottom = max(page.form.itemAt(i).geometry().bottom()
                      for i in range(page.form.count()))
    assert form_bottom <= page.error.geometry().top() <= page.buttons.geometry().top()
    for i in range(page.form.rowCount()):
        field = page.form.itemAt(i, page.form.ItemRole.FieldRole).widget()
        if field.isVisible():
            assert field.height() >= field.sizeHint().height()
    assert page.error.height() >= page.error.heightForWidth(page.error.width())
    for button in page.buttons.buttons():
        if button.isVisible():
            assert button.height() >= button.sizeHint().height()
    assert "Traceback" not in page.error.text()
    return str(page.error.text())


def _signed_in(qtbot: Any, dialog: Any, window: Window, username: str) -> None:
    qtbot.waitUntil(lambda: bool(dialog.signed_ins), timeout=20_000)
    assert not dialog.isVisible()
    assert dialog.signed_ins[-1].account == username
    status = window.status()
    assert status["signed_in"] and status["account"] == username


def test_create_an_account_confirm_its_code_and_be_signed_in(
        window: Window, demo_cloud: DemoCloud, qtbot: Any) -> None:
    dialog = _dialog(window, qtbot)
    dialog.create_link.click()
    assert dialog.current_page() is dialog.signup_page
    assert dialog.windowTitle() == "Create an ecan account"
    assert "at least 8 characters" in dialog.signup_page.note.text()  # the policy, shown
    name = _name()
    dialog.new_username.setText(name)
    dialog.email.setText(f"{name}@example.com")
    dialog.new_password.setText("short")
    dialog.create_button.click()
    assert "not long enough" in _error_shown(qtbot, dialog.signup_page, "not accepted")

    dialog.new_password.setText(PASSWORD)
    dialog.create_button.click()
    qtbot.waitUntil(lambda: dialog.current_page() is dialog.confirm_page, timeout=20_000)
    assert "@" in dialog.confirm_page.intro.text()  # where the code went (masked)
    first = _code(demo_cloud, name)
    dialog.confirm_code.setText(_wrong(first))
    dialog.confirm_button.click()
    _error_shown(qtbot, dialog.confirm_page, "That code is not right")

    dialog.resend_button.click()
    qtbot.waitUntil(lambda: "A new code was sent" in dialog.confirm_page.note.text(),
                    timeout=20_000)
    assert not dialog.confirm_page.error.isVisible()
    qtbot.waitUntil(lambda: len(_inbox(demo_cloud, name)) == 2, timeout=10_000)
    dialog.confirm_code.setText(_code(demo_cloud, name))
    from PySide6.QtCore import Qt

    qtbot.keyClick(dialog.confirm_code, Qt.Key.Key_Return)  # Enter confirms (not "Back")
    _signed_in(qtbot, dialog, window, name)


def test_a_taken_username_is_said_in_place(window: Window, demo_cloud: DemoCloud,
                                           qtbot: Any) -> None:
    taken = _user(demo_cloud)
    dialog = _dialog(window, qtbot)
    dialog.create_link.click()
    dialog.new_username.setText(taken)
    dialog.email.setText("someone@example.com")
    dialog.new_password.setText(PASSWORD)
    dialog.create_button.click()
    _error_shown(qtbot, dialog.signup_page, "There is already an account with that username")
    assert dialog.isVisible() and dialog.signed_ins == []


def test_forgot_password_then_a_new_one_signs_in(window: Window, demo_cloud: DemoCloud,
                                                 qtbot: Any) -> None:
    name = _user(demo_cloud)
    dialog = _dialog(window, qtbot, username=name)
    dialog.forgot_link.click()
    assert dialog.forgot_username.text() == name
    dialog.send_code_button.click()
    qtbot.waitUntil(lambda: dialog.current_page() is dialog.reset_page, timeout=20_000)
    code = _code(demo_cloud, name)
    dialog.reset_code.setText(code)
    dialog.reset_password.setText("alllowercase1")
    dialog.reset_button.click()
    assert "upper-case" in _error_shown(qtbot, dialog.reset_page, "not accepted")
    dialog.reset_password.setText("Brand-New-Pass-8")
    dialog.reset_button.click()
    _signed_in(qtbot, dialog, window, name)
    resp = window.app.handlers.call("auth.sign_in", {"username": name, "password": PASSWORD})
    assert resp["error"]["code"] == "wrong_password"  # the old password is gone


def test_an_expired_code_says_to_ask_for_a_new_one(window: Window, demo_cloud: DemoCloud,
                                                   qtbot: Any) -> None:
    name = _user(demo_cloud)
    dialog = _dialog(window, qtbot, username=name)
    dialog.forgot_link.click()
    dialog.send_code_button.click()
    qtbot.waitUntil(lambda: dialog.current_page() is dialog.reset_page, timeout=20_000)
    used = _code(demo_cloud, name)
    # The code is used (from the command line, say): the window's copy of it is stale.
    assert window.app.handlers.call("auth.confirm_forgot_password", {
        "username": name, "code": used, "new_password": "Brand-New-Pass-8"})["ok"]
    dialog.reset_code.setText(used)
    dialog.reset_password.setText("Another-Pass-9")
    dialog.reset_button.click()
    _error_shown(qtbot, dialog.reset_page, "has expired or was already used", "Send again")


def test_an_admin_made_user_chooses_a_new_password_first(
        window: Window, demo_cloud: DemoCloud, qtbot: Any) -> None:
    name = _user(demo_cloud, temporary=True)
    dialog = _dialog(window, qtbot, username=name)
    dialog.password.setText("Temp-Pass-1")
    dialog.sign_in_button.click()
    qtbot.waitUntil(lambda: dialog.current_page() is dialog.newpass_page, timeout=20_000)
    assert "needs a new password" in dialog.newpass_page.intro.text()
    dialog.required_password.setText("My-Own-Pass-5")
    dialog.required_repeat.setText("My-Own-Pass-6")
    dialog.newpass_button.click()
    _error_shown(qtbot, dialog.newpass_page, "not the same")
    dialog.required_password.setText("weak")
    dialog.required_repeat.setText("weak")
    dialog.newpass_button.click()
    _error_shown(qtbot, dialog.newpass_page, "not accepted")
    dialog.required_password.setText("My-Own-Pass-5")
    dialog.required_repeat.setText("My-Own-Pass-5")
    dialog.newpass_button.click()
    _signed_in(qtbot, dialog, window, name)


def test_an_authenticator_app_set_up_in_the_window_then_asked_at_sign_in(
        window: Window, demo_cloud: DemoCloud, qtbot: Any) -> None:
    from ecan.ui.account_dialogs import TotpSetupDialog

    name = _user(demo_cloud)
    assert window.app.handlers.call("auth.sign_in", {"username": name,
                                                     "password": PASSWORD})["ok"]
    setup = TotpSetupDialog(window.bridge)
    qtbot.addWidget(setup)
    setup.show()
    qtbot.waitUntil(lambda: bool(setup.view.secret.text()), timeout=20_000)
    pixmap = setup.view.qr.pixmap()
    assert not pixmap.isNull() and pixmap.width() >= 150  # a QR code a phone can scan
    secret = setup.view.secret.text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    setup.code.setText(f"{(int(totp.now()) + 500_000) % 1_000_000:06d}")
    setup.confirm_button.click()
    _error_shown(qtbot, setup.page, "not right")
    setup.code.setText(totp.now())
    setup.confirm_button.click()
    qtbot.waitUntil(lambda: "is set up" in setup.page.intro.text(), timeout=20_000)
    assert not setup.confirm_button.isVisible()
    assert window.app.handlers.call("auth.sign_out", {})["ok"]

    dialog = _dialog(window, qtbot, username=name)
    dialog.password.setText(PASSWORD)
    dialog.sign_in_button.click()
    qtbot.waitUntil(lambda: dialog.current_page() is dialog.mfa_page, timeout=20_000)
    assert "authenticator app" in dialog.mfa_page.intro.text()
    assert window.status()["signed_in"] is False
    dialog.mfa_code.setText(totp.now())
    dialog.verify_button.click()
    _signed_in(qtbot, dialog, window, name)


def test_a_text_message_code_and_a_wrong_one_in_chinese(
        window: Window, demo_cloud: DemoCloud, qtbot: Any, languages: Any) -> None:
    name = _user(demo_cloud, phone="+15555550123")
    _admin(demo_cloud).admin_set_user_mfa_preference(
        UserPoolId=demo_cloud.info.user_pool_id, Username=name,
        SMSMfaSettings={"Enabled": True, "PreferredMfa": True})
    languages.apply("zh_CN")
    dialog = _dialog(window, qtbot, username=name)
    assert dialog.sign_in_button.text() == "登录"
    dialog.password.setText(PASSWORD)
    dialog.sign_in_button.click()
    qtbot.waitUntil(lambda: dialog.current_page() is dialog.mfa_page, timeout=20_000)
    assert "+*******0123" in dialog.mfa_page.intro.text() and "短信" in \
        dialog.mfa_page.intro.text()
    code = str(_inbox(demo_cloud, name)[-1]["code"])
    dialog.mfa_code.setText(_wrong(code))
    dialog.verify_button.click()
    _error_shown(qtbot, dialog.mfa_page, "验证码不正确")
    dialog.mfa_code.setText(code)
    dialog.verify_button.click()
    _signed_in(qtbot, dialog, window, name)


class _Browser:
    """Stands in for the system browser: QDesktopServices hands it the URL, and a person
    signs in on the page (a thread doing the HTTP login against the demo cloud's hosted UI)."""

    def __init__(self, username: str) -> None:
        from PySide6.QtCore import QObject, QUrl, Slot

        self.urls: list[str] = []
        self.pages: list[str] = []
        browser = self

        class Receiver(QObject):
            @Slot(QUrl)
            def open(self, url: QUrl) -> None:
                browser.urls.append(url.toString())
                if username:
                    threading.Thread(target=lambda: browser.pages.append(
                        _browser(url.toString(), username, PASSWORD)), daemon=True).start()

        self.receiver = Receiver()


@pytest.fixture
def system_browser() -> Iterator[Callable[[str], _Browser]]:
    from PySide6.QtGui import QDesktopServices

    made: list[_Browser] = []

    def install(username: str) -> _Browser:
        b = _Browser(username)
        made.append(b)
        for scheme in ("http", "https"):
            QDesktopServices.setUrlHandler(scheme, b.receiver, "open")
        return b

    yield install
    for scheme in ("http", "https"):
        QDesktopServices.unsetUrlHandler(scheme)


def test_sign_in_with_the_browser(window: Window, demo_cloud: DemoCloud, qtbot: Any,
                                  system_browser: Callable[[str], _Browser]) -> None:
    name = _user(demo_cloud)
    browser = system_browser(name)
    assert window.status()["hosted_ui"] is True
    dialog = _dialog(window, qtbot, hosted_ui=True)
    assert dialog.browser_link.isVisible()
    dialog.browser_link.click()
    assert dialog.current_page() is dialog.browser_page
    assert dialog.cancel_browser_button.isVisible()
    _signed_in(qtbot, dialog, window, name)
    url = urllib.parse.urlparse(browser.urls[0])
    assert url.path == "/oauth2/authorize"
    assert "return to ecan" in browser.pages[0]


def test_waiting_for_the_browser_can_be_cancelled(window: Window, demo_cloud: DemoCloud,
                                                  qtbot: Any,
                                                  system_browser: Callable[[str], _Browser]
                                                  ) -> None:
    browser = system_browser("")  # the user never signs in in the browser
    dialog = _dialog(window, qtbot, hosted_ui=True)
    dialog.browser_link.click()
    qtbot.waitUntil(lambda: bool(browser.urls), timeout=20_000)
    qtbot.waitUntil(lambda: window.bridge.in_flight() == 1, timeout=10_000)  # the wait
    assert dialog.isVisible()  # the GUI thread is free: the dialog answers clicks
    dialog.cancel_browser_button.click()
    assert dialog.current_page() is dialog.signin_page
    # The wait ends now, not at its timeout, and says nothing: the user chose it.
    qtbot.waitUntil(lambda: window.bridge.in_flight() == 0, timeout=10_000)
    assert not dialog.signin_page.error.isVisible()
    assert not dialog.browser_page.error.isVisible()
    assert window.status()["signed_in"] is False
    # The listener is closed: the browser coming back late finds nobody.
    redirect = urllib.parse.parse_qs(urllib.parse.urlparse(browser.urls[0]).query)
    assert redirect["redirect_uri"][0].startswith("http://localhost:")


def test_a_hidden_browser_link_where_the_pool_has_no_hosted_ui(window: Window,
                                                               qtbot: Any) -> None:
    dialog = _dialog(window, qtbot)
    assert not dialog.browser_link.isVisible()
    assert dialog.create_link.isVisible() and dialog.forgot_link.isVisible()


def _sign_in_in_window(gui: Gui, qtbot: Any, username: str, password: str) -> None:
    window = gui.window
    dialog = window.signin_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.username.text() == username  # pre-filled by the menu
    dialog.password.setText(password)
    dialog.sign_in_button.click()
    qtbot.waitUntil(lambda: window.account_button.text() == username, timeout=30_000)


def _names(gui: Gui) -> set[str]:
    return {str(a["name"]) for a in gui.window.avatars.current_avatars()}


def test_switching_accounts_shows_only_that_accounts_avatars(
        cloud_env: dict[str, str], demo_cloud: DemoCloud, qtbot: Any,
        make_pictures: Callable[..., list[Path]]) -> None:
    a, b = _user(demo_cloud), _user(demo_cloud)
    gui = Gui(cloud_env, qtbot, sync=True)
    try:
        window = gui.window
        qtbot.waitUntil(lambda: window.account_button.text() == "Sign in", timeout=10_000)
        for user in (b, a):
            window.open_sign_in(False, username=user)
            _sign_in_in_window(gui, qtbot, user, PASSWORD)
            qtbot.waitUntil(lambda: not window._signin_open, timeout=5_000)
            picture = make_pictures(1, f"pics-{user}")[0]
            renamed = picture.with_name(f"{user}-own.png")
            picture.rename(renamed)
            # The window done with the sign-in (its library listed, the restore asked for).
            qtbot.waitUntil(window.is_settled, timeout=20_000)
            gui.call("avatar.import_paths", {"paths": [str(renamed)]})
            window.avatars.reload()  # the call above went behind the window's back
            qtbot.waitUntil(lambda u=user: f"{u}-own" in _names(gui), timeout=20_000)
        assert f"{b}-own" not in _names(gui)  # A sees only A's

        # The account menu: whose library is open, and the other account to switch to.
        menu = window.menu_account
        qtbot.waitUntil(lambda: [x.text() for x in window.switcher.entries(menu)] ==
                        [f"Switch to {b}…"], timeout=10_000)
        assert a in window.act_identity.text()
        window.switcher.entries(menu)[0].trigger()
        _sign_in_in_window(gui, qtbot, b, PASSWORD)
        qtbot.waitUntil(lambda: f"{b}-own" in _names(gui), timeout=20_000)
        assert f"{a}-own" not in _names(gui)
        assert b in window.act_identity.text()
        qtbot.waitUntil(lambda: [x.text() for x in window.switcher.entries(menu)] ==
                        [f"Switch to {a}…"], timeout=10_000)

        # Signing out keeps both libraries: the menu still offers both accounts.
        window.act_sign_out.trigger()
        qtbot.waitUntil(lambda: window.account_button.text() == "Sign in", timeout=10_000)
        qtbot.waitUntil(lambda: sorted(x.text() for x in window.switcher.entries(menu)) ==
                        sorted([f"Sign in as {a}…", f"Sign in as {b}…"]), timeout=10_000)
        qtbot.waitUntil(lambda: not {f"{a}-own", f"{b}-own"} & _names(gui), timeout=20_000)
        accounts = gui.call("auth.accounts")
        assert "token" not in str(accounts).lower()
    finally:
        gui.close()


def test_avatars_used_without_an_account_move_in_only_when_the_user_says(
        cloud_env: dict[str, str], demo_cloud: DemoCloud, qtbot: Any, boxes: Any,
        make_pictures: Callable[..., list[Path]], languages: Any) -> None:
    languages.apply("en")  # with its plural forms
    a, b = _user(demo_cloud), _user(demo_cloud)
    gui = Gui(cloud_env, qtbot, sync=True)
    try:
        window = gui.window
        qtbot.waitUntil(lambda: window.account_button.text() == "Sign in", timeout=10_000)
        first = make_pictures(1, "mine")[0]
        picture = first.rename(first.with_name("before-signing-in.png"))
        gui.call("avatar.import_paths", {"paths": [str(picture)]})
        window.avatars.reload()
        qtbot.waitUntil(lambda: "before-signing-in" in _names(gui), timeout=20_000)

        # A: asked, and "Ask me later" (Escape) changes nothing.
        boxes.answer("Escape")
        window.open_sign_in(False, username=a)
        _sign_in_in_window(gui, qtbot, a, PASSWORD)
        qtbot.waitUntil(lambda: boxes.pending() == 0, timeout=20_000)
        assert "1 avatar you added without signing in" in boxes.texts[0]
        assert boxes.default[0] == "Ask me later"  # Enter moves nothing to any cloud
        qtbot.waitUntil(window.is_settled, timeout=20_000)
        assert "before-signing-in" not in _names(gui)

        # B: asked again, and "Move them": the picture is B's now, and is gone from the
        # library used without an account.
        boxes.answer("Move them")
        window.sign_out()
        qtbot.waitUntil(lambda: window.account_button.text() == "Sign in", timeout=10_000)
        window.open_sign_in(False, username=b)
        _sign_in_in_window(gui, qtbot, b, PASSWORD)
        qtbot.waitUntil(lambda: boxes.pending() == 0, timeout=20_000)
        assert b in boxes.texts[1]
        qtbot.waitUntil(lambda: "before-signing-in" in _names(gui), timeout=20_000)
        qtbot.waitUntil(lambda: "Moved 1 avatar into your account" in
                        window.statusBar().currentMessage(), timeout=20_000)
        window.sign_out()
        qtbot.waitUntil(lambda: window.account_button.text() == "Sign in", timeout=10_000)
        qtbot.waitUntil(lambda: "before-signing-in" not in _names(gui), timeout=20_000)
    finally:
        gui.close()


def test_a_pool_that_requires_an_authenticator_sets_it_up_during_sign_in(
        make_demo_cloud: Callable[..., DemoCloud], clean_env: dict[str, str], tmp_path: Path,
        qtbot: Any) -> None:
    # Its own cloud: turning MFA on for the whole pool would change every other test's users.
    cloud = make_demo_cloud()
    _admin(cloud).set_user_pool_mfa_config(UserPoolId=cloud.info.user_pool_id,
                                           MfaConfiguration="ON",
                                           SoftwareTokenMfaConfiguration={"Enabled": True})
    name = _user(cloud)
    env = {**clean_env, "ECAN_CONFIG": str(cloud.write_config(tmp_path / "mfa.yml")),
           "ECAN_CALLBACK_PORT": "0"}
    window = Window(env)
    try:
        dialog = _dialog(window, qtbot, username=name)
        dialog.password.setText(PASSWORD)
        dialog.sign_in_button.click()
        qtbot.waitUntil(lambda: dialog.current_page() is dialog.mfa_page and
                        bool(dialog.mfa_setup.secret.text()), timeout=20_000)
        assert dialog.mfa_setup.isVisible() and not dialog.mfa_setup.qr.pixmap().isNull()
        assert "Scan this QR code" in dialog.mfa_page.intro.text()
        totp = pyotp.TOTP(dialog.mfa_setup.secret.text().replace(" ", ""))
        dialog.mfa_code.setText(totp.now())
        dialog.verify_button.click()
        _signed_in(qtbot, dialog, window, name)
    finally:
        window.bridge.close()
        window.app.close()


def test_a_busy_callback_port_is_said_in_place_in_chinese(
        cloud_env: dict[str, str], qtbot: Any, languages: Any,
        system_browser: Callable[[str], _Browser]) -> None:
    import socket

    browser = system_browser("")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        window = Window({**cloud_env, "ECAN_CALLBACK_PORT": str(port)})
        try:
            languages.apply("zh_CN")
            dialog = _dialog(window, qtbot, hosted_ui=True)
            dialog.browser_link.click()
            text = _error_shown(qtbot, dialog.browser_page, f"端口 {port}")
            assert "ECAN_CALLBACK_PORT" in text
            assert dialog.retry_browser_button.isVisible()
            assert browser.urls == []  # no browser opened for a sign-in that cannot finish
        finally:
            window.bridge.close()
            window.app.close()
