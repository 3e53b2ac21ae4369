"""The agent editor, settings validation and saving, the language switch, and one instance per
library: real app, real widgets, offscreen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.ui.conftest import Gui


def test_agent_editor_saves_an_agent_with_its_avatar(
        gui: Gui, qtbot: Any, make_pictures: Callable[..., list[Path]]) -> None:
    pics = make_pictures(1)
    gui.call("avatar.import_paths", {"paths": [str(p) for p in pics]})
    gui.window.tabs.setCurrentWidget(gui.window.agents)
    page = gui.window.agents
    # The picker offers built-in and uploaded avatars; filter to the uploaded one.
    qtbot.waitUntil(lambda: page.avatars.rowCount() >= 9, timeout=10_000)
    kinds = {a["resource_type"] for a in page.avatars.avatars()}
    assert {"system", "uploaded"} <= kinds
    page.type_filter.setCurrentIndex(2)  # Uploaded
    assert page.proxy.rowCount() == 1
    page.picker.setCurrentIndex(page.proxy.index(0, 0))

    page.save()  # no name yet: refused in place
    assert page.error.isVisible() and "name" in page.error.text()

    page.name.setText("Support bot")
    page.description.setPlainText("Answers questions")
    page.save()
    qtbot.waitUntil(lambda: page.list.count() == 1, timeout=10_000)
    agents = gui.call("agent.list")["agents"]
    assert [(a["name"], a["description"]) for a in agents] == [("Support bot", "Answers questions")]
    uploaded = next(a for a in gui.call("avatar.list")["avatars"] if a["name"] == "photo-000")
    assert agents[0]["avatar_id"] == uploaded["id"]

    page.new_agent()
    page.list.setCurrentRow(0)  # opening it again shows what was saved
    assert page.name.text() == "Support bot"
    assert page.chosen_avatar_id() == uploaded["id"]


def test_settings_refuses_a_bad_bucket_by_name_and_saves_no_secret(
        clean_env: dict[str, str], qtbot: Any, tmp_path: Path) -> None:
    env = {**clean_env, "AVATAR_CLOUD_ACCESS_KEY": "AKIAEXAMPLEKEY123456",
           "AVATAR_CLOUD_SECRET_KEY": "s3cr3t-value-never-written"}
    gui = Gui(env, qtbot)
    try:
        from ecan.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(gui.bridge, gui.app, gui.settings, gui.window)
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.backend.setCurrentIndex(2)  # Amazon S3
        dialog.bucket.setText("B")
        dialog.region.setText("us-east-1")
        dialog.save()
        assert dialog.feedback.isVisible()
        assert "STORAGE.BUCKET" in dialog.feedback.text()
        assert "3-63 lowercase" in dialog.feedback.text()  # the hint says what to do
        target = gui.app.paths.default_config
        assert not target.exists()  # nothing half-written

        dialog.bucket.setText("my-avatars")
        dialog.concurrency.setValue(4)
        saved: list[str] = []
        dialog.saved.connect(saved.append)
        dialog.save()
        qtbot.waitUntil(lambda: bool(saved), timeout=5000)
        text = target.read_text()
        assert "BUCKET: my-avatars" in text and "CONCURRENCY: 4" in text
        assert "s3cr3t" not in text and "AKIA" not in text
    finally:
        gui.close()


CONFIG_WITH_COMMENTS = """\
# Team settings: written by hand, keep these notes.
STORAGE:
  BACKEND: s3
  BUCKET: file-bucket   # the team's bucket
  REGION: eu-west-1   # Ireland
  PATH_PREFIX: team/avatars/
  ACCESS_KEY: AKIAFILEKEY000000001
  SECRET_KEY: file-secret-kept-here   # scoped by the operator
SYNC:
  CONCURRENCY: 8
"""


def test_settings_save_changes_only_what_the_user_changed_and_no_environment_value(
        clean_env: dict[str, str], qtbot: Any) -> None:
    from PySide6.QtWidgets import QLabel

    from ecan.config import load_config
    from ecan.paths import AppPaths

    home = Path(clean_env["ECAN_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    target = home / "auth_config.yml"
    target.write_text(CONFIG_WITH_COMMENTS, encoding="utf-8")
    env = {**clean_env, "AWS_S3_BUCKET": "env-bucket-from-var",
           "AVATAR_CLOUD_CDN_DOMAIN": "cdn.from-env.example"}
    gui = Gui(env, qtbot)
    try:
        from ecan.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(gui.bridge, gui.app, gui.settings, gui.window)
        qtbot.addWidget(dialog)
        dialog.show()
        # The environment's value is shown, marked as the variable's and not editable here.
        assert dialog.bucket.text() == "env-bucket-from-var"
        assert dialog.bucket.isReadOnly() and dialog.cdn.isReadOnly()
        assert not dialog.region.isReadOnly()
        notes = [lab.text() for lab in dialog.findChildren(QLabel) if lab.isVisible()]
        assert any("AWS_S3_BUCKET" in t for t in notes), notes
        assert any("AVATAR_CLOUD_CDN_DOMAIN" in t for t in notes), notes
        # The file's own keys (written by hand) are the file's: not typed over here, not shown.
        assert dialog.access_key.isReadOnly() and dialog.secret_key.isReadOnly()
        assert dialog.secret_key.text() == ""
        assert dialog.access_state.text().startswith("Set in the config file ")

        dialog.region.setText("us-west-2")
        saved: list[str] = []
        dialog.saved.connect(saved.append)
        dialog.save()
        qtbot.waitUntil(lambda: bool(saved), timeout=5000)
        text = target.read_text(encoding="utf-8")
        assert "REGION: us-west-2" in text
        for kept in ("# Team settings: written by hand, keep these notes.",
                     "BUCKET: file-bucket   # the team's bucket", "PATH_PREFIX: team/avatars/",
                     "ACCESS_KEY: AKIAFILEKEY000000001",
                     "SECRET_KEY: file-secret-kept-here   # scoped by the operator",
                     "CONCURRENCY: 8", "BACKEND: s3"):
            assert kept in text, kept
        assert "env-bucket-from-var" not in text and "from-env" not in text
        assert "CDN_DOMAIN" not in text
        # The order of the keys is the user's.
        assert text.index("BUCKET:") < text.index("REGION:") < text.index("PATH_PREFIX:")
        again = load_config(AppPaths(home), {"ECAN_HOME": str(home)})
        assert (again.storage.bucket, again.storage.region) == ("file-bucket", "us-west-2")
        assert again.storage.secret_key == "file-secret-kept-here"
    finally:
        gui.close()


def test_language_switch_applies_live(gui: Gui, qtbot: Any, languages: Any) -> None:
    assert gui.window.tabs.tabText(0) == "Avatars"
    assert languages.apply("zh_CN") == "zh_CN"
    qtbot.waitUntil(lambda: gui.window.tabs.tabText(0) == "头像", timeout=5000)
    assert gui.window.avatars.empty_title.text() == "头像库还是空的"
    assert gui.window.act_import.text() == "导入(&I)…"
    languages.apply("en")
    qtbot.waitUntil(lambda: gui.window.tabs.tabText(0) == "Avatars", timeout=5000)


def test_settings_test_connection_runs_doctors_checks_and_names_the_failure(
        gui: Gui, qtbot: Any) -> None:
    from ecan.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(gui.bridge, gui.app, gui.settings, gui.window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.backend.setCurrentIndex(3)  # S3-compatible
    dialog.bucket.setText("my-avatars")
    dialog.region.setText("us-east-1")
    dialog.endpoint.setText("http://127.0.0.1:9")  # nothing listens there
    dialog.test_connection()
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=60_000)
    text = dialog.feedback.text()
    assert "✗" in text  # at least one check failed, shown by name with its hint
    assert not gui.app.paths.default_config.exists()  # testing saves nothing


def test_a_bug_shows_a_short_message_and_the_log_path_never_a_traceback(
        qapp: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    from PySide6.QtWidgets import QMessageBox

    from ecan.ui.bug_dialog import BugReporter

    shown: list[str] = []

    def fake_exec(box: QMessageBox) -> int:
        shown.append(f"{box.text()}\n{box.informativeText()}\n{box.detailedText()}")
        return 0

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    log_path = tmp_path / "logs" / "ecan.log"
    reporter = BugReporter(log_path)
    try:
        raise KeyError("internal detail")
    except KeyError as e:
        reporter.handle(type(e), e, e.__traceback__)
    assert len(shown) == 1
    assert "KeyError" in shown[0] and str(log_path) in shown[0]
    assert "Traceback" not in shown[0] and "internal detail" not in shown[0]
    assert any(r.exc_info for r in caplog.records)  # the traceback went to the log


def test_a_problem_that_reaches_the_bug_box_is_said_with_its_fix_not_as_a_bug(
        qapp: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A UserFacingError that no view caught (the library on a full disk) showed "Something
    went wrong (UserFacingError)" and a log that could not be written either."""
    from PySide6.QtWidgets import QMessageBox

    from ecan.db.database import migrate
    from ecan.errors import UserFacingError
    from ecan.ui.bug_dialog import BugReporter

    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec",
                        lambda box: shown.append(f"{box.text()}\n{box.informativeText()}"))
    db = tmp_path / "ecan.sqlite3"
    db.write_bytes(b"not a database, " * 512)
    try:
        migrate(db)
    except UserFacingError as e:
        BugReporter(tmp_path / "ecan.log").handle(type(e), e, e.__traceback__)
    assert shown == [f"The library database {db} cannot be opened (file is not a database).\n"
                     "Check the disk and permissions; if the file is damaged, restore it from a "
                     "backup or sign in on a fresh ECAN_HOME and run `ecan restore`."]


def test_a_long_problem_path_can_wrap_instead_of_being_cut_off() -> None:
    """QLabel wraps only between words: a path ending in a 64-hex file name was cut at the
    details pane's edge. Break opportunities (zero-width spaces) are added; the text is the
    same once they are taken out."""
    from ecan.ui.details import breakable

    text = ("Cannot read /home/me/avatars/uploaded/" + "90c8a0771b97a270" * 4 + ".png "
            "(No such file or directory).")
    shown = breakable(text)
    assert shown.replace("\u200b", "") == text
    assert max(len(run) for run in shown.replace("\u200b", " ").split()) <= 17


def test_a_copied_problem_path_comes_without_the_wrapping_marks(qtbot: Any) -> None:
    """The zero-width spaces that let a long path wrap used to come along when the user copied
    the problem text: pasted into a terminal, the path no longer existed."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication

    from ecan.ui.details import DetailsPane

    pane = DetailsPane()
    qtbot.addWidget(pane)
    pane.show()
    name = "90c8a0771b97a270" * 4 + ".png"
    pane.show_avatar({
        "id": "a", "name": "sketch-1", "resource_type": "uploaded", "format": "PNG",
        "width": 256, "height": 256, "bytes": 760, "sync_state": "failed", "thumb_path": "",
        "sync_error": f"Cannot read /home/me/uploaded/{name} (No such file or directory).",
        "sync_hint": "Re-import the picture."})
    problem = pane.values["error"]
    assert "\u200b" in problem.text()  # it does wrap
    problem.setSelection(0, len(problem.text()))
    QGuiApplication.clipboard().clear()
    qtbot.keyClick(problem, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    copied = QGuiApplication.clipboard().text()
    assert f"/home/me/uploaded/{name}" in copied
    assert "\u200b" not in copied


def test_on_a_short_window_a_long_problem_is_shown_whole_and_retry_stays_in_view(
        qtbot: Any) -> None:
    """The details pane was cut at the window's bottom: the problem text lost its last line
    (the part saying what to do) and the Retry button could fall off. The details now scroll;
    the buttons stay below them."""
    from ecan.ui.details import DetailsPane

    pane = DetailsPane()
    qtbot.addWidget(pane)
    pane.resize(300, 420)
    pane.show()
    pane.show_avatar({
        "id": "a", "name": "sketch-1", "resource_type": "uploaded", "format": "PNG",
        "width": 256, "height": 256, "bytes": 760, "sync_state": "failed", "thumb_path": "",
        "sync_error": "Cannot read /home/me/resource/avatars/uploaded/" + "90c8a0771b97a270" * 4
                      + ".png (No such file or directory).",
        "sync_hint": "Check the file exists and is readable, or re-import the picture; "
                     "then retry."})
    problem = pane.values["error"]
    qtbot.waitUntil(lambda: problem.height() >= problem.heightForWidth(problem.width()),
                    timeout=3000)
    assert pane.retry.isVisible() and not pane.retry.visibleRegion().isEmpty()
    bottom = pane.retry.mapTo(pane, pane.retry.rect().bottomLeft()).y()
    assert bottom <= pane.height()


def test_a_sign_in_error_does_not_squash_the_fields(gui: Gui, qtbot: Any) -> None:
    from PySide6.QtCore import Qt

    from ecan.ui.signin_dialog import SignInDialog

    dialog = SignInDialog(gui.bridge, gui.window, username="demo")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.keyClicks(dialog.password, "wrong password")
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.error.isVisible, timeout=10_000)  # this library has no sign-in
    qtbot.waitUntil(lambda: dialog.sign_in_button.isEnabled(), timeout=10_000)
    qtbot.wait(50)
    for field in (dialog.username, dialog.password):
        assert field.height() >= field.sizeHint().height()
    assert dialog.error.height() >= dialog.error.heightForWidth(dialog.error.width())
    dialog.close()


def test_focus_and_selection_look_different_in_the_gallery(qtbot: Any) -> None:
    """Ctrl+arrows move the keyboard's place without selecting: the card it is on must look
    different from one that is not, and from one that is only selected."""
    from PySide6.QtCore import QItemSelectionModel, QSize
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QAbstractItemView, QListView

    from ecan.ui.gallery_delegate import CARD, AvatarDelegate
    from ecan.ui.gallery_model import CardRole, ThumbRole

    model = QStandardItemModel()
    for _ in range(3):
        item = QStandardItem()
        item.setData(("same.png", "synced", -1.0, False, ""), CardRole)
        item.setData(None, ThumbRole)
        model.appendRow(item)
    view = QListView()
    qtbot.addWidget(view)
    view.setViewMode(QListView.ViewMode.IconMode)
    view.setGridSize(CARD)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setItemDelegate(AvatarDelegate(view))
    view.setModel(model)
    view.resize(QSize(3 * CARD.width() + 40, CARD.height() + 40))
    view.show()
    view.activateWindow()
    view.setFocus()
    qtbot.waitUntil(view.hasFocus, timeout=5000)
    select = QItemSelectionModel.SelectionFlag
    view.selectionModel().setCurrentIndex(model.index(0, 0), select.NoUpdate)  # focus only
    view.selectionModel().select(model.index(1, 0), select.Select)  # selected only
    qtbot.wait(50)

    def card(row: int) -> Any:
        return view.viewport().grab(view.visualRect(model.index(row, 0))).toImage()

    focused, selected, plain = card(0), card(1), card(2)
    assert focused != plain and focused != selected and selected != plain


def test_first_run_set_up_sync_leads_to_the_settings(gui: Gui, qtbot: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """With no cloud configured, the account button's menu has an enabled way to set sync up,
    and the folder backend can be chosen with a Browse button."""
    from PySide6.QtWidgets import QFileDialog

    window = gui.window
    qtbot.waitUntil(lambda: window.account_button.text() == "Set up sync", timeout=10_000)
    menu = window.account_button.menu()
    usable = [a for a in menu.actions() if a.isVisible() and a.isEnabled() and a.text()]
    assert [a.text() for a in usable] == ["Set &up sync…"]
    opened: list[bool] = []
    monkeypatch.setattr(type(window), "open_settings", lambda self: opened.append(True))
    usable[0].trigger()
    assert opened == [True]

    from ecan.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(gui.bridge, gui.app, gui.settings, window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.backend.setCurrentIndex(1)  # a folder
    assert dialog.browse.isVisible() and dialog.browse.isEnabled()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *a, **k: "/srv/avatars"))
    dialog.browse.click()
    assert dialog.folder.text() == "/srv/avatars"
