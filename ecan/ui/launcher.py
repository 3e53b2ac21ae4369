"""Starting the desktop app (`ecan gui`) and its self-test (`ecan selftest`): the QApplication,
languages, one instance per library, the app's services, the window, the sync worker, files given
to the app ("Open with ecan"), the demo cloud (started in the background while the window is
already up), screenshots and timed quit."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSettings, Qt, QTimer
from PySide6.QtGui import QFileOpenEvent, QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from ecan.app import App, build_app
from ecan.bridge.bridge import Bridge
from ecan.bridge.messages import translate_text
from ecan.errors import UserFacingError
from ecan.paths import AppPaths, make_private_file
from ecan.ui.i18n import Languages
from ecan.ui.resources import app_icon

log = logging.getLogger(__name__)


def qt_app() -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    # Background threads (sync uploads, handlers) run Python too; a shorter GIL switch interval
    # (default 5 ms) lets the GUI thread get the interpreter back sooner, at a small cost in
    # throughput, so the window stays smooth while many uploads run.
    sys.setswitchinterval(0.001)
    # Qt's raster engine hands any fill of 96+ scanlines (a scrollbar, a translucent band) to
    # a private thread pool and waits for it: on a busy 2-core machine each hand-off waits for
    # a CPU, and the fill itself is cheaper done in place (benchmarks/RESULTS.md). Qt's own
    # switch; a user's setting wins. Read once, when Qt first paints.
    os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")
    app = QApplication(sys.argv[:1])
    app.setApplicationName("ecan")
    app.setOrganizationName("ecan")
    app.setApplicationDisplayName("ecan")
    app.setWindowIcon(app_icon())
    app.setDesktopFileName("io.ecan.Ecan")
    return app


def ui_settings(paths: AppPaths) -> QSettings:
    """UI state lives with the library (ECAN_HOME), not in the user's global Qt settings."""
    path = paths.ecan_home / "ui.ini"
    # Created private before Qt writes it: Qt keeps an existing file's mode when it saves.
    make_private_file(path)
    return QSettings(str(path), QSettings.Format.IniFormat)


class FileOpenFilter(QObject):
    """macOS hands "Open with ecan" files to a running app as QFileOpenEvents, one per file,
    at launch as well as later: gather a burst of them into one import."""

    def __init__(self, session: GuiSession) -> None:
        super().__init__(session.qapp)
        self._session = session
        self._files: list[str] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FileOpen and isinstance(event, QFileOpenEvent):
            path = event.file()
            if path:
                if not self._files:
                    QTimer.singleShot(100, self, self._flush)
                self._files.append(path)
                return True
        return super().eventFilter(watched, event)

    def _flush(self) -> None:
        files, self._files = self._files, []
        self._session.open_files(files)


class GuiSession:
    """One run of the window: everything it started, so that quitting stops it all cleanly."""

    def __init__(self, qapp: QApplication, app: App, languages: Languages,
                 settings: QSettings) -> None:
        from ecan.ui.main_window import MainWindow

        self.qapp = qapp
        self.app = app
        self.languages = languages
        self.bridge = Bridge(app.handlers)
        self.window = MainWindow(self.bridge, settings, log_path=app.log_path, app=app)
        self.window.language_requested.connect(self.set_language)
        self.worker: Any = None
        self.demo: Any = None
        self.demo_ready = False
        # Files given while the demo cloud starts wait for its library, not the one it replaces.
        self._waiting_files: list[str] | None = None
        self.file_open_filter = FileOpenFilter(self)
        qapp.installEventFilter(self.file_open_filter)

    def set_language(self, choice: str) -> None:
        self.languages.apply(choice)

    def start(self) -> None:
        self.start_sync()  # before the window asks the sync process anything
        self.window.show()
        self.window.start()

    def open_files(self, paths: list[str]) -> None:
        """Import files and folders given to the app, as a drop would."""
        if self._waiting_files is not None:
            self._waiting_files.extend(paths)
            return
        self.window.open_files(paths)

    def start_sync(self) -> None:
        from ecan.bridge.sync_process import SyncProcess

        # Its own process: uploads never take the interpreter from the GUI thread. The app's
        # `sync` (the handlers' `sync.*`) is this handle on it; the window builds no engine.
        self.worker = SyncProcess(self.app, self.window)
        self.app.sync_control = self.worker
        self.window.attach_sync_worker(self.worker)
        self.worker.start()

    def stop_sync(self) -> None:
        if self.worker is not None:
            self.worker.stop(5.0)
            self.worker.deleteLater()
            self.worker = None

    def start_demo_cloud(self, env: dict[str, str]) -> None:
        """Start the local cloud off the GUI thread, then swap in an app configured for it."""
        home = Path(env["ECAN_HOME"])
        self.window.show_message(
            QCoreApplication.translate("Launcher", "Starting the local demo cloud…"))
        if self._waiting_files is None:
            self._waiting_files = []

        def work() -> tuple[App, list[str]]:
            from ecan.auth.secrets import MemoryKeyring
            from ecan.democloud import DemoCloud
            from ecan.resources import sample_paths

            self.demo = DemoCloud()
            info = self.demo.start()
            config = self.demo.write_config(home / "demo_config.yml")
            new = build_app({**env, "ECAN_CONFIG": str(config)},
                            keyring_backend=MemoryKeyring(), image_workers=True)
            user = info.users[0]
            signed = new.handlers.call("auth.sign_in",
                                       {"username": user.username, "password": user.password})
            if not signed.get("ok"):
                raise UserFacingError(**signed["error"])
            listed = new.handlers.call("avatar.list", {"resource_type": "uploaded"})
            samples: list[str] = []
            if listed.get("ok") and not listed["data"]["avatars"]:
                samples = [str(p) for p in sample_paths()]
            return new, samples

        self.bridge.run_task("demo cloud", work,
                             on_success=lambda result: self._demo_started(*result),
                             on_failure=self._demo_failed)

    def _demo_started(self, new: App, samples: list[str]) -> None:
        old, old_worker = self.app, self.worker
        self.worker = None
        self.app = new
        self.window.app = new
        self.start_sync()  # the new app's sync process, before anything asks it
        self.bridge.set_handlers(new.handlers)  # the galleries list the demo's library

        if old_worker is not None:
            old_worker.stop(5.0, wait=False)  # it ends by itself; the window does not wait
        self.bridge.run_task("close local-only app", old.close)
        self.demo_ready = True
        ready = QCoreApplication.translate("Launcher",
            "Demo cloud ready: signed in as the demo user. Your pictures sync to a local test "
            "cloud that is discarded when ecan closes.")
        self.window.show_message(ready)
        # The samples come in the way a user's import does, so the gallery shows each one as
        # it arrives and then as it syncs.
        waiting, self._waiting_files = self._waiting_files or [], None
        if samples or waiting:
            # The import's own messages would bury what the demo is: say it again after them.
            self.window.importer.finished.connect(lambda _r: self.window.show_message(ready),
                                                  Qt.ConnectionType.SingleShotConnection)
        self.open_files([*samples, *waiting])

    def _demo_failed(self, error: dict[str, Any]) -> None:
        self.demo_ready = True
        waiting, self._waiting_files = self._waiting_files or [], None
        self.open_files(waiting)
        title = QCoreApplication.translate("Launcher", "Demo cloud")
        text = QCoreApplication.translate(
            "Launcher", "The local demo cloud could not start: {message}\n{hint}")
        QMessageBox.warning(self.window, title, text.format(
            message=error.get("message", ""), hint=error.get("hint", "")))

    def shutdown(self) -> None:
        self.qapp.removeEventFilter(self.file_open_filter)
        self.stop_sync()
        self.bridge.close()
        self.window.avatars.thumbs.close()
        self.app.close()
        if self.demo is not None:
            self.demo.stop()


def _show_config_error(qapp: QApplication, err: UserFacingError) -> None:
    print(f"error: {err.message}\n  fix: {err.hint}", file=sys.stderr)
    if QGuiApplication.platformName() not in ("offscreen", "minimal"):
        box = QMessageBox(QMessageBox.Icon.Critical, "ecan",
                          QCoreApplication.translate("Launcher", "ecan cannot start: {message}")
                          .format(message=translate_text(err.message)))
        box.setInformativeText(translate_text(err.hint))
        box.exec()


def run_gui(*, files: list[str] | None = None, demo_cloud: bool = False,
            screenshot: str | None = None, quit_after: float | None = None,
            env: Mapping[str, str] | None = None) -> int:
    env = dict(os.environ if env is None else env)
    # Absolute now: a running instance that is handed them has another working folder.
    files = [os.path.abspath(f) for f in files or []]
    made_home: str | None = None
    if demo_cloud:
        # The demo cloud is in memory and gone at exit: never mark the user's own library as
        # synced to it. The demo gets a library of its own, removed again at exit.
        if not env.get("ECAN_DEMO_HOME"):
            made_home = tempfile.mkdtemp(prefix="ecan-demo-")
        env["ECAN_HOME"] = env.get("ECAN_DEMO_HOME") or str(made_home)
        env.pop("ECAN_CONFIG", None)
    try:
        return _run_gui(env, files, demo_cloud, screenshot, quit_after)
    finally:
        if made_home is not None:
            shutil.rmtree(made_home, ignore_errors=True)


def _run_gui(env: dict[str, str], files: list[str], demo_cloud: bool, screenshot: str | None,
             quit_after: float | None) -> int:
    qapp = qt_app()
    paths = AppPaths.from_env(env).ensure()
    settings = ui_settings(paths)
    languages = Languages(qapp)
    languages.apply(str(settings.value("language", "") or ""))

    from ecan.ui.single_instance import SingleInstance

    instance = SingleInstance(paths.ecan_home)
    if instance.notify_running(files):
        print("ecan is already running on this library; " + (
            f"it was given the {len(files)} files to import." if len(files) > 1 else
            "it was given the file to import." if files else
            "its window was brought to the front."), file=sys.stderr)
        return 0
    instance.listen()

    try:
        app = build_app(env, image_workers=True)
        # Opened now, not by the first view that reads it: a library that cannot be opened (a
        # full disk, a damaged file) is said plainly here, before a window that cannot work.
        app.db  # noqa: B018
    except UserFacingError as e:
        _show_config_error(qapp, e)
        instance.close()
        return e.exit_code

    from ecan.ui.bug_dialog import BugReporter

    session = GuiSession(qapp, app, languages, settings)
    bugs = BugReporter(app.log_path, qapp)
    bugs.install()
    instance.raise_requested.connect(session.window.bring_to_front)
    instance.files_opened.connect(session.open_files)
    session.start()
    if demo_cloud:
        session.start_demo_cloud(env)
    session.open_files(files)
    started = time.monotonic()
    shot = {"done": screenshot is None}

    def take_screenshot() -> None:
        if shot["done"] or screenshot is None:
            return
        shot["done"] = True
        Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
        ok = session.window.grab().save(screenshot, "PNG")
        # What it shows, for the script that asked for it (docs, release checks).
        print(f"screenshot {'saved to' if ok else 'could not be saved to'} {screenshot}: "
              f"{session.window.describe()}", file=sys.stderr)

    if screenshot:
        def poll() -> None:
            waited = time.monotonic() - started
            ready = session.window.is_settled() and (not demo_cloud or session.demo_ready)
            if demo_cloud and ready:
                counts = (session.window.monitor.status.get("counts") or {})
                busy = (counts.get("queued") or 0) + (counts.get("syncing") or 0)
                ready = busy == 0 or waited > (quit_after or 30) * 0.8
            if ready:
                QTimer.singleShot(300, take_screenshot)  # one more paint after the last change
            else:
                QTimer.singleShot(100, poll)

        QTimer.singleShot(100, poll)
    if quit_after is not None:
        def finish() -> None:
            take_screenshot()
            session.window.close()
            qapp.quit()

        QTimer.singleShot(int(quit_after * 1000), finish)
    try:
        code = qapp.exec()
    finally:
        bugs.uninstall()
        instance.close()
        session.shutdown()
    return int(code)


# A string every build translates, and its Simplified Chinese: proves the .qm is found and loads.
_SELFTEST_SOURCE = ("MainWindow", "&Quit", "退出(&Q)")


def _check_shipped_files(system_avatars: int) -> dict[str, Any]:
    """The package data a user sees (app icon, zh_CN translation, system avatars, samples) is
    installed and usable; raises UserFacingError naming what is missing."""
    from PySide6.QtCore import QTranslator

    from ecan.resources import assets_dir, sample_paths
    from ecan.ui.resources import app_icon, translations_dir

    missing = []
    if app_icon().isNull():
        missing.append("the app icon")
    translator = QTranslator()
    context, source, expected = _SELFTEST_SOURCE
    translated = (translator.load("ecan_zh_CN", str(translations_dir()))
                  and translator.translate(context, source) == expected)
    if not translated:
        missing.append("the Simplified Chinese translation")
    if system_avatars == 0:
        missing.append("the system avatars")
    try:
        samples = len(sample_paths())
    except OSError:
        samples = 0
    if samples == 0:
        missing.append("the sample pictures")
    if missing:
        raise UserFacingError(
            "selftest_failed", f"ecan's shipped files are incomplete: {', '.join(missing)} "
            f"not found in {assets_dir()}.",
            "Reinstall ecan (`pip install --force-reinstall ecan`, or the installer again).")
    return {"app_icon": True, "zh_CN_translation": True, "system_avatars": system_avatars,
            "samples": samples}


def run_selftest(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Start Qt offscreen, open the database, load a thumbnail through the real loader, check
    the shipped files (icon, translation, system avatars, samples), quit.
    Returns what it found; raises UserFacingError on a failure."""
    from PySide6.QtCore import QEventLoop, QSize

    from ecan.bridge.thumbs import ThumbnailLoader

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    env = dict(os.environ if env is None else env)
    qapp = qt_app()
    app = build_app(env)
    try:
        listed = app.handlers.call("avatar.list", {})
        if not listed.get("ok"):
            err = listed["error"]
            raise UserFacingError(err["code"], err["message"], err.get("hint", ""))
        avatars = listed["data"]["avatars"]
        thumb = next((a["thumb_path"] for a in avatars if a.get("thumb_path")), None)
        loaded = False
        if thumb:
            loader = ThumbnailLoader(QSize(64, 64))
            loop = QEventLoop()
            loader.thumbnail_ready.connect(lambda _p: loop.quit())
            if loader.pixmap(thumb) is None:
                QTimer.singleShot(10_000, loop.quit)
                loop.exec()
            pix = loader.pixmap(thumb)
            loaded = pix is not None and not pix.isNull()
            loader.close()
            if not loaded:
                raise UserFacingError("selftest_failed", f"The thumbnail {thumb} did not load.",
                                      "Check that `ecan decode-service` starts (it decodes "
                                      "thumbnails with Pillow); details are in the log.")
        shipped = _check_shipped_files(
            sum(1 for a in avatars if a.get("resource_type") == "system"))
        qapp.processEvents()
        return {"ok": True, "qt_platform": QGuiApplication.platformName(),
                "database": str(app.paths.database), "avatars": len(avatars),
                "thumbnail_loaded": loaded, **shipped}
    finally:
        app.close()
