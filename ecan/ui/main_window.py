"""The main window: Avatars and Agents screens, menus and toolbar, drag and drop and paste, the
status bar (sync progress, online, account) and the tray icon. It talks to data only through
the bridge; the sync engine's Qt adapter feeds live progress."""

from __future__ import annotations

import logging
import time
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QEvent, QPoint, QSettings, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QSystemTrayIcon,
    QTabWidget,
    QToolBar,
    QToolButton,
    QWidget,
)

from ecan.bridge import ops
from ecan.bridge.bridge import Bridge
from ecan.bridge.sync_process import SyncProcess
from ecan.handlers.changes import ALL, Changes, Ids
from ecan.handlers.models import AuthStatus, Avatar, Deleted, Restored, Retried, SignedIn
from ecan.ui.account_dialogs import AccountSwitcher, LocalAvatarsOffer, TotpSetupDialog
from ecan.ui.agents_page import AgentsPage
from ecan.ui.avatars_page import AvatarsPage
from ecan.ui.details import human_bytes
from ecan.ui.dialogs import confirm_destructive
from ecan.ui.export import ExportActions
from ecan.ui.gc_scheduler import GcScheduler
from ecan.ui.import_flow import ImportController, ImportSummaryDialog
from ecan.ui.resources import app_icon, icon
from ecan.ui.sync_monitor import SyncMonitor
from ecan.ui.throttle import Throttle

log = logging.getLogger(__name__)

SHOW_SYNCING_AFTER_MS = 400
# The window gaining focus asks the sync process for a pull at most this often.
FOCUS_PULL_S = 5.0
MIN_SIZE = QSize(760, 480)
IMAGE_FILTER = ("*.png *.jpg *.jpeg *.gif *.webp *.heic *.heif *.bmp *.tif *.tiff *.mp4 *.webm "
                "*.mov")

STYLE = """
QMainWindow, QDialog { background: palette(window); }
QLabel#emptyTitle { font-size: 17px; font-weight: 600; }
QLabel#hintLabel { color: palette(placeholder-text); }
QLabel#sectionTitle { font-size: 14px; font-weight: 600; padding: 4px 0; }
QLabel#detailsTitle { font-size: 14px; }
QFrame#detailsPane { background: palette(base); border-left: 1px solid palette(mid);
                     border-radius: 0; }
QScrollArea#detailsScroll, QScrollArea#detailsScroll > QWidget, QWidget#detailsContent {
    background: palette(base); border: none; }
QListView#gallery { border: none; background: palette(base); }
QWidget#emptyState { background: palette(base); }
QStackedWidget#galleryStack[dropping="true"] { border: 2px dashed palette(highlight);
                                               border-radius: 6px; }
QToolBar { spacing: 6px; padding: 4px 8px; border: none; }
QStatusBar QLabel { padding: 0 6px; }
"""


def paused_text(until: float) -> str:
    """"Paused until 16:30" / "Paused until tomorrow 08:00" (local time), in the window's
    language (the strings are MainWindow's, wherever they are shown)."""
    from datetime import datetime, timedelta

    from PySide6.QtCore import QCoreApplication

    end = datetime.fromtimestamp(until).astimezone()
    today = datetime.now().astimezone().date()
    clock = f"{end:%H:%M}"
    if end.date() == today:
        return QCoreApplication.translate("MainWindow", "Paused until {time}").format(time=clock)
    if end.date() == today + timedelta(days=1):
        return QCoreApplication.translate(
            "MainWindow", "Paused until tomorrow {time}").format(time=clock)
    return QCoreApplication.translate("MainWindow", "Paused until {date} {time}").format(
        date=f"{end:%Y-%m-%d}", time=clock)


class MainWindow(QMainWindow):
    """Signals:
        settled(): the first library load is done and its visible thumbnails are painted.
        language_requested(str): the user picked a language in Settings ("", "en", "zh_CN").
    """

    settled = Signal()
    language_requested = Signal(str)

    def __init__(self, bridge: Bridge, ui_settings: QSettings, *, log_path: Path | None = None,
                 app: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.ui_settings = ui_settings
        self.log_path = log_path
        self.app = app  # for the settings dialog and doctor's checks (not for data)
        self.sync_worker: SyncProcess | None = None  # the window's handle on its sync process
        self._account: dict[str, Any] = {}
        self._status: dict[str, Any] = {}
        self._signin_open = False
        self._to_refresh: set[str] = set()
        self._uploading: set[str] = set()
        self._focus_pulled = float("-inf")
        self.activity_dialog: Any = None
        self.trash_dialog: Any = None
        self.gc = GcScheduler(self._busy, self)
        self._refresh_rows = Throttle(250, self._refresh_finished_rows, self)
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.setStyleSheet(STYLE)
        self.setMinimumSize(MIN_SIZE)

        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.avatars = AvatarsPage(bridge, self.tabs)
        self.agents = AgentsPage(bridge, self.avatars.thumbs, self.tabs)
        self.tabs.addTab(self.avatars, icon("gallery"), "")
        self.tabs.addTab(self.agents, icon("agents"), "")
        self.setCentralWidget(self.tabs)

        self.importer = ImportController(bridge, self)
        self.importer.progress.connect(self._import_progress)
        self.importer.finished.connect(self._import_finished)
        self.monitor = SyncMonitor(bridge, self)
        self.monitor.status_changed.connect(self._sync_status)
        self.monitor.attention_needed.connect(self._attention)

        self._build_actions()
        self._build_toolbar()
        self._build_menus()
        self._build_statusbar()
        self.tray = self._build_tray()

        self.avatars.import_requested.connect(self.pick_files)
        self.avatars.details.delete_requested.connect(lambda i: self.delete_avatars([i]))
        self.avatars.details.retry_requested.connect(self.retry)
        self.avatars.details.message.connect(self.show_message)
        self.avatars.details.link_requested.connect(self.copy_private_link)
        self.avatars.details.edit_requested.connect(self.edit_avatar)
        self.exporter = ExportActions(bridge, self)
        self.exporter.message.connect(self.show_message)
        self.avatars.details.export_requested.connect(self.export_avatar)
        self.avatars.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.avatars.view.customContextMenuRequested.connect(self._show_gallery_menu)
        self.avatars.loaded.connect(lambda _n: self._check_settled())
        self.avatars.view.doubleClicked.connect(lambda _i: self.avatars.details.setFocus())
        self.avatars.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.avatars.proxy.modelReset.connect(self._selection_changed)
        self.avatars.usage_changed.connect(self._selection_changed)
        self.tabs.currentChanged.connect(self._selection_changed)
        self.avatars.thumbs.thumbnail_ready.connect(lambda _p: self._check_settled())
        self.agents.message.connect(self.show_message)
        bridge.failed.connect(self._bridge_failed)
        bridge.changed.connect(self._on_changed)
        bridge.handlers_replaced.connect(self._refresh_account)
        self._settled = False
        self._selection_changed()
        self._retranslate()
        self._fit_minimum()
        self._restore_state()

    # ---- start and stop ----------------------------------------------------------------
    def start(self) -> None:
        """Load data and start watching sync (after show, so the window appears at once)."""
        self.gc.start()
        self.avatars.reload()
        self.monitor.start()
        self._refresh_account()

    def attach_sync_worker(self, worker: SyncProcess) -> None:
        self.sync_worker = worker
        worker.progressed.connect(self._sync_progress)
        worker.job_started.connect(self._job_started)
        worker.job_finished.connect(self._job_done)
        worker.job_failed.connect(self._job_done)
        worker.state_changed.connect(self.monitor.on_engine_state)
        worker.restarting.connect(self._sync_restarting)
        worker.pulled.connect(self._pulled)
        worker.job_failed.connect(self._refresh_activity)

    def _busy(self) -> bool:
        """Work in flight the user may be watching (a full GC waits for a quiet moment)."""
        counts = self.monitor.status.get("counts") or {}
        return self.bridge.in_flight() > 0 or bool(counts.get("queued") or counts.get("syncing"))

    def is_settled(self) -> bool:
        """Nothing the window is about to show is still on its way: the library is listed, its
        thumbnails drawn, no call, import or row refresh pending."""
        return (self.avatars.is_loaded() and self.avatars.thumbs.pending() == 0
                and self.bridge.in_flight() == 0 and not self.importer.busy
                and not self._refresh_rows.isActive() and not self.avatars.reload_pending())

    def _check_settled(self) -> None:
        if not self._settled and self.avatars.is_loaded() and self.avatars.thumbs.pending() == 0:
            self._settled = True
            self.settled.emit()
            self.gc.settled()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.gc.stop()
        self._save_state()
        self.monitor.stop()
        if self.tray is not None:
            self.tray.hide()
        super().closeEvent(event)

    # ---- building ----------------------------------------------------------------------
    def _action(self, name: str, slot: Any,
                shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
                icon_name: str | None = None) -> QAction:
        action = QAction(self)
        action.setObjectName(name)
        if icon_name:
            action.setIcon(icon(icon_name))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        K = QKeySequence.StandardKey
        self.act_import = self._action("import", self.pick_files, K.Open, "import")
        self.act_import_folder = self._action("importFolder", self.pick_folder, "Ctrl+Shift+O")
        self.act_paste = self._action("paste", self.paste, K.Paste, "paste")
        self.act_generate = self._action("generate", self.open_generate, "Ctrl+G", "generate")
        self.act_settings = self._action("settings", self.open_settings, K.Preferences,
                                         "settings")
        self.act_quit = self._action("quit", self.close, K.Quit)
        self.act_delete = self._action("delete", self._delete_selected, K.Delete, "delete")
        self.act_retry = self._action("retry", lambda: self.retry(None), "Ctrl+R", "retry")
        self.act_find = self._action("find", self._focus_search, K.Find)
        self.act_activity = self._action("activity", self.open_activity)
        self.act_trash = self._action("trash", self.open_trash, None, "delete")
        self.act_pause = self._action("pause", self.toggle_pause, None, "pause")
        self.act_pause_hour = self._action("pauseHour", lambda: self.pause_sync("1h"))
        self.act_pause_tomorrow = self._action("pauseTomorrow",
                                               lambda: self.pause_sync("tomorrow"))
        self.act_resume = self._action("resume", self.resume_sync, None, "play")
        self.act_sync_now = self._action("syncNow", self.sync_now)
        self.act_sign_in = self._action("signIn", lambda: self.open_sign_in(False), None,
                                        "account")
        self.act_sign_out = self._action("signOut", self.sign_out)
        self.act_totp = self._action("setUpTotp", self.open_totp_setup)
        # "Switch to <name>…": the other accounts with a library on this computer.
        self.switcher = AccountSwitcher(self.bridge, self)
        self.switcher.switch_requested.connect(
            lambda name: self.open_sign_in(False, username=name))
        self.local_offer = LocalAvatarsOffer(self.bridge, self)
        self.local_offer.said.connect(self.show_message)
        self.act_identity = QAction(self)
        # With no cloud yet, the account menu leads somewhere: to the storage settings.
        self.act_set_up = QAction(self)
        self.act_set_up.triggered.connect(self.open_settings)
        self.act_identity.setEnabled(False)
        self.act_logs = self._action("logs", self.open_logs)
        self.act_about = self._action("about", self.about)
        self.act_show = self._action("show", self.bring_to_front)

    def _build_toolbar(self) -> None:
        self.toolbar = QToolBar(self)
        self.toolbar.setObjectName("mainToolbar")
        self.toolbar.setMovable(False)
        self.toolbar.setIconSize(QSize(20, 20))
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for a in (self.act_import, self.act_paste, self.act_generate):
            self.toolbar.addAction(a)
        self.toolbar.addSeparator()
        for a in (self.act_retry, self.act_delete):
            self.toolbar.addAction(a)
        spacer = QWidget(self.toolbar)
        spacer.setSizePolicy(spacer.sizePolicy().Policy.Expanding,
                             spacer.sizePolicy().Policy.Preferred)
        self.toolbar.addWidget(spacer)
        self.toolbar.addAction(self.act_settings)
        self.addToolBar(self.toolbar)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.menu_file = bar.addMenu("")
        for a in (self.act_import, self.act_import_folder, self.act_paste, self.act_generate):
            self.menu_file.addAction(a)
        self.menu_file.addSeparator()
        self.menu_file.addAction(self.act_settings)
        self.menu_file.addSeparator()
        self.menu_file.addAction(self.act_quit)
        self.menu_edit = bar.addMenu("")
        for a in (self.act_find, self.act_delete, self.act_retry):
            self.menu_edit.addAction(a)
        self.menu_edit.addSeparator()
        self.menu_edit.addAction(self.act_trash)
        self.menu_sync = bar.addMenu("")
        self.menu_sync.addAction(self.act_pause_hour)
        self.menu_sync.addAction(self.act_pause_tomorrow)
        self.menu_sync.addAction(self.act_pause)
        self.menu_sync.addSeparator()
        self.menu_sync.addAction(self.act_retry)
        self.menu_sync.addSeparator()
        self.menu_sync.addAction(self.act_activity)
        self.menu_account = bar.addMenu("")
        self._fill_account_menu(self.menu_account)
        self.menu_account.addAction(self.act_settings)
        self.menu_help = bar.addMenu("")
        self.menu_help.addAction(self.act_logs)
        self.menu_help.addAction(self.act_about)

    def _fill_account_menu(self, menu: QMenu) -> None:
        menu.addAction(self.act_identity)
        menu.addSeparator()
        menu.addAction(self.act_set_up)
        menu.addAction(self.act_sign_in)
        menu.addAction(self.act_totp)
        menu.addAction(self.act_sign_out)
        self.switcher.attach(menu, before=self.act_sign_out)

    def _build_statusbar(self) -> None:
        sb = self.statusBar()
        sb.setSizeGripEnabled(False)
        self.sync_label = QLabel(self)
        self.sync_label.setObjectName("syncLabel")
        self.sync_bar = QProgressBar(self)
        self.sync_bar.setObjectName("syncProgress")
        self.sync_bar.setFixedWidth(140)
        self.sync_bar.setMaximumHeight(14)
        self.sync_bar.setTextVisible(False)
        self.sync_bar.hide()
        self.import_bar = QProgressBar(self)
        self.import_bar.setFixedWidth(160)
        self.import_bar.setMaximumHeight(14)
        self.import_bar.hide()
        self.online_label = QLabel(self)
        self.online_label.setObjectName("onlineLabel")
        self.account_button = QToolButton(self)
        self.account_button.setObjectName("accountButton")
        self.account_button.setAutoRaise(True)
        self.account_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.account_button.setIcon(icon("account"))
        self.account_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        account_menu = QMenu(self.account_button)
        self._fill_account_menu(account_menu)
        self.account_button.setMenu(account_menu)
        # Shown while an environment variable sends ecan's requests (and credentials) to
        # another endpoint than the config file's: see _show_endpoint_notice.
        self.endpoint_notice = QLabel(self)
        self.endpoint_notice.setObjectName("endpointNotice")
        self.endpoint_notice.setStyleSheet("color: #b06000;")
        self.endpoint_notice.hide()
        sb.addPermanentWidget(self.endpoint_notice)
        sb.addPermanentWidget(self.import_bar)
        sb.addPermanentWidget(self.sync_bar)
        sb.addPermanentWidget(self.sync_label)
        sb.addPermanentWidget(self.online_label)
        sb.addPermanentWidget(self.account_button)

    def _build_tray(self) -> QSystemTrayIcon | None:
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return None
        tray = QSystemTrayIcon(app_icon(), self)
        tray.setContextMenu(self._tray_menu())
        tray.activated.connect(self._tray_activated)
        tray.messageClicked.connect(self.bring_to_front)
        tray.show()
        return tray

    def _tray_menu(self) -> QMenu:
        menu = QMenu(self)
        menu.setObjectName("trayMenu")
        for action in (self.act_show, None, self.act_pause_hour, self.act_resume,
                       self.act_sync_now, None, self.act_quit):
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        return menu

    def _tray_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.bring_to_front()

    def _selection_changed(self, *_args: object) -> None:
        # Delete acts on what is on screen: on the Agents tab there is no avatar selection to
        # act on (the hidden gallery's is not the user's), and an avatar that cannot be
        # deleted disables it here exactly as it does the details pane's button.
        ids = self.avatars.selected_ids() if self.tabs.currentWidget() is self.avatars else []
        refusals = [self.avatars.delete_refusal(i) for i in ids]
        possible = any(r is None for r in refusals)
        self.act_delete.setEnabled(possible)
        reason = next((r for r in refusals if r), None) if ids and not possible else None
        self.act_delete.setToolTip(reason or self.tr("Delete the selected avatars"))

    # ---- language ----------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        elif event.type() == QEvent.Type.ActivationChange and self.isActiveWindow():
            self._pull_on_focus()
        super().changeEvent(event)

    def _pull_on_focus(self) -> None:
        """Back at the window: what the user's other computers changed meanwhile, now (not at
        the next 30 s pull), asked for at most every FOCUS_PULL_S."""
        now = time.monotonic()
        if self.sync_worker is not None and now - self._focus_pulled >= FOCUS_PULL_S:
            self._focus_pulled = now
            self.sync_worker.pull()

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest:
            self._fit_minimum()
        return handled

    def _fit_minimum(self) -> None:
        # The screens' own minimum (a full row of the agent picker under its form, in this
        # language and font, with an error showing) wins over the design minimum: shrinking
        # the window must not squash a screen below what it needs.
        wanted = MIN_SIZE.expandedTo(self.minimumSizeHint())
        if wanted != self.minimumSize():
            self.setMinimumSize(wanted)

    def _retranslate(self) -> None:
        # Qt adds the application's display name ("Avatar library — ecan").
        self.setWindowTitle(self.tr("Avatar library"))
        self.tabs.setTabText(0, self.tr("Avatars"))
        self.tabs.setTabText(1, self.tr("Agents"))
        self.tabs.setAccessibleName(self.tr("Screens"))
        texts = {
            self.act_import: (self.tr("&Import…"), self.tr("Import pictures from files")),
            self.act_import_folder: (self.tr("Import &folder…"),
                                     self.tr("Import every picture in a folder")),
            self.act_paste: (self.tr("&Paste picture"),
                             self.tr("Add the picture on the clipboard")),
            self.act_generate: (self.tr("&Generate…"), self.tr("Make an avatar with AI")),
            self.act_settings: (self.tr("&Settings…"), self.tr("Storage, sync and language")),
            self.act_quit: (self.tr("&Quit"), ""),
            self.act_delete: (self.tr("&Delete"), ""),
            self.act_retry: (self.tr("&Retry failed"), self.tr("Try failed uploads again")),
            self.act_activity: (self.tr("&Activity…"),
                                self.tr("Recent changes on this and your other computers")),
            self.act_find: (self.tr("&Find"), ""),
            self.act_trash: (self.tr("&Trash…"), self.tr("Deleted avatars, to bring back")),
            self.act_set_up: (self.tr("Set &up sync…"),
                              self.tr("Choose where your avatars are kept in the cloud")),
            self.act_sign_in: (self.tr("Sign &in…"), ""),
            self.act_sign_out: (self.tr("Sign &out"), ""),
            self.act_totp: (self.tr("Set up an &authenticator app…"), ""),
            self.act_logs: (self.tr("Open &log folder"), ""),
            self.act_about: (self.tr("&About ecan"), ""),
            self.act_show: (self.tr("Open ecan"), ""),
            self.act_pause_hour: (self.tr("Pause for 1 &hour"), ""),
            self.act_pause_tomorrow: (self.tr("Pause until &tomorrow"),
                                      self.tr("Pause syncing until 08:00 tomorrow")),
            self.act_resume: (self.tr("&Resume sync"), ""),
            self.act_sync_now: (self.tr("Sync &now"), ""),
        }
        for action, (text, tip) in texts.items():
            action.setText(text)
            action.setToolTip(tip or text.replace("&", ""))
        self._selection_changed()  # the Delete tooltip
        self.menu_file.setTitle(self.tr("&File"))
        self.menu_edit.setTitle(self.tr("&Edit"))
        self.menu_sync.setTitle(self.tr("S&ync"))
        self.menu_account.setTitle(self.tr("&Account"))
        self.menu_help.setTitle(self.tr("&Help"))
        self.toolbar.setWindowTitle(self.tr("Toolbar"))
        self.sync_bar.setAccessibleName(self.tr("Sync progress"))
        self.import_bar.setAccessibleName(self.tr("Import progress"))
        self.account_button.setAccessibleName(self.tr("Account"))
        self._show_account()
        self._sync_status(self._status or self.monitor.status)
        self._show_endpoint_notice()

    def _show_endpoint_notice(self) -> None:
        from ecan.config import endpoint_redirects

        config = getattr(self.app, "config", None)
        redirects = endpoint_redirects(config) if config is not None else []
        self.endpoint_notice.setVisible(bool(redirects))
        if not redirects:
            return
        if len(redirects) == 1:
            self.endpoint_notice.setText(self.tr("Endpoint set by {name}").format(
                name=redirects[0][0]))
        else:
            self.endpoint_notice.setText(self.tr("{n} endpoints set by environment variables")
                                         .format(n=len(redirects)))
        lines = [self.tr("{name} sends requests to {url}").format(name=name, url=url)
                 for name, url in redirects]
        self.endpoint_notice.setToolTip("\n".join(lines))
        self.endpoint_notice.setAccessibleName(self.endpoint_notice.text())

    # ---- state -------------------------------------------------------------------------
    def _restore_state(self) -> None:
        geometry = self.ui_settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1100, 720)
        splitter = self.ui_settings.value("window/splitter")
        if isinstance(splitter, QByteArray):
            self.avatars.splitter.restoreState(splitter)
        else:
            self.avatars.splitter.setSizes([780, 320])
        tab = self.ui_settings.value("window/tab", 0)
        try:
            self.tabs.setCurrentIndex(int(tab))  # type: ignore[call-overload]
        except (TypeError, ValueError):
            pass

    def _save_state(self) -> None:
        self.ui_settings.setValue("window/geometry", self.saveGeometry())
        self.ui_settings.setValue("window/splitter", self.avatars.splitter.saveState())
        self.ui_settings.setValue("window/tab", self.tabs.currentIndex())
        self.ui_settings.sync()

    # ---- bringing avatars in -----------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()
            self.avatars.set_drop_highlight(True)
            self.statusBar().showMessage(self.tr("Drop to import these files"))
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dragLeaveEvent(self, event: Any) -> None:
        self.avatars.set_drop_highlight(False)
        self.statusBar().clearMessage()

    def dropEvent(self, event: QDropEvent) -> None:
        self.avatars.set_drop_highlight(False)
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.tabs.setCurrentWidget(self.avatars)
        self.import_paths(paths)

    def import_paths(self, paths: list[str]) -> None:
        self.show_message(self.tr("Importing…"))
        self.importer.import_paths(paths)

    def open_files(self, paths: list[str]) -> None:
        """Files and folders given to the app ("Open with ecan", `ecan gui FILE...`): imported
        the way a drop is, in front of the user."""
        if not paths:
            return
        self.bring_to_front()
        self.tabs.setCurrentWidget(self.avatars)
        self.import_paths(list(paths))

    def pick_files(self) -> None:
        start = str(self.ui_settings.value("import/last_dir", "") or "")
        files, _ = QFileDialog.getOpenFileNames(
            self, self.tr("Import pictures"), start,
            self.tr("Pictures and videos ({patterns})").format(patterns=IMAGE_FILTER))
        if not files:
            return
        self.ui_settings.setValue("import/last_dir", str(Path(files[0]).parent))
        if len(files) == 1 and Path(files[0]).suffix.lower() not in (".mp4", ".webm", ".mov",
                                                                     ".gif"):
            self.crop_and_upload(files[0])
        else:
            self.import_paths(files)

    def pick_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Import a folder of pictures"))
        if folder:
            self.import_paths([folder])

    def crop_and_upload(self, path: str) -> None:
        """One picture: offer the crop dialog; the image is read off the GUI thread."""
        from ecan.ui.crop_dialog import CropDialog, load_image

        def loaded(image: QImage) -> None:
            if image.isNull():  # not something Qt can show: let the importer explain why
                self.import_paths([path])
                return
            dialog = CropDialog(image, self)
            if dialog.exec() == CropDialog.DialogCode.Accepted:
                self.importer.upload_image(dialog.result_image(), Path(path).stem + ".png")

        self.bridge.run_task("load image", lambda: load_image(path), on_success=loaded)

    def paste(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is not None and mime.hasUrls() and any(u.isLocalFile() for u in mime.urls()):
            self.import_paths([u.toLocalFile() for u in mime.urls() if u.isLocalFile()])
            return
        image = QGuiApplication.clipboard().image()
        if image.isNull():
            self.show_message(self.tr("There is no picture on the clipboard."))
            return
        self.tabs.setCurrentWidget(self.avatars)
        self.importer.upload_image(image, "pasted.png")

    def _import_progress(self, done: int, total: int) -> None:
        self.import_bar.setVisible(total > 1 and done < total)
        self.import_bar.setMaximum(max(total, 1))
        self.import_bar.setValue(done)
        self.import_bar.setFormat(self.tr("Importing %v of %m"))
        self.import_bar.setTextVisible(True)
        self.import_bar.setMinimumWidth(180)
        if total:
            self.statusBar().showMessage(self.tr("Importing {done} of {total}…").format(
                done=done, total=total))

    def _import_finished(self, results: list[dict[str, Any]]) -> None:
        self.import_bar.hide()
        ok = [r for r in results if r.get("ok")]
        refused = [r for r in results if not r.get("ok")]
        if not results:
            self.show_message(self.tr("Nothing to import: no pictures were found there."))
            return
        # What the library gained, not how many files were read: a duplicate adds nothing.
        new = sum(1 for r in ok if r.get("created", True))
        existing = len(ok) - new
        if existing and new:
            text = self.tr("Added {new}; {existing} already in the library.")
        elif existing:
            text = self.tr("Nothing new: {existing} already in the library.")
        else:
            text = self.tr("Added {new}.")
        if refused:
            text += " " + self.tr("{refused} could not be imported.")
        self.show_message(text.format(new=new, existing=existing, refused=len(refused)))
        if len(ok) == 1 and ok[0].get("avatar_id"):
            avatar_id = str(ok[0]["avatar_id"])
            QTimer.singleShot(400, self.avatars, lambda: self.avatars.select_id(avatar_id))
        if refused:
            self.last_summary = ImportSummaryDialog(results, self)
            self.last_summary.setModal(False)
            self.last_summary.show()

    # ---- actions -----------------------------------------------------------------------
    def _delete_selected(self) -> None:
        if self.tabs.currentWidget() is self.avatars:
            self.delete_avatars(self.avatars.selected_ids())

    def delete_avatars(self, ids: list[str]) -> None:
        ids = [i for i in ids if i]
        if not ids:
            return
        # What the library would refuse is said before asking, not after a "yes".
        refusals = {i: self.avatars.delete_refusal(i) for i in ids}
        doomed = [i for i in ids if refusals[i] is None]
        reasons = list(dict.fromkeys(r for r in refusals.values() if r))
        if not doomed:
            QMessageBox.information(self, self.tr("Delete avatars"), "\n".join(reasons))
            return
        kept = ""
        if reasons:
            kept = self.tr("%n of the selected avatars cannot be deleted and stay:", "",
                           len(ids) - len(doomed)) + "\n" + "\n".join(reasons)
        if not confirm_destructive(
                self, self.tr("Delete avatars"),
                self.tr("Delete %n avatar(s)? They move to the trash on all your computers; "
                        "Edit > Trash… brings them back.", "", len(doomed)),
                action=self.tr("Delete"), cancel=self.tr("Cancel"), informative=kept):
            return
        names = {str(a["id"]): str(a.get("name") or "") for a in self.avatars.current_avatars()}
        gone: list[str] = []

        def deleted(avatar_id: str, _answer: Deleted) -> None:
            # Right after a delete is when a user looks for the way back: say where it is.
            gone.append(avatar_id)
            if len(gone) == len(doomed):
                self.show_message(
                    self.tr("Moved “{name}” to the trash. Edit > Trash… brings it back.").format(
                        name=names.get(avatar_id, "")) if len(gone) == 1 else
                    self.tr("Moved %n avatar(s) to the trash. Edit > Trash… brings them back.",
                            "", len(gone)))

        for avatar_id in doomed:
            ops.delete_avatar(self.bridge, avatar_id, on_success=partial(deleted, avatar_id))

    def edit_avatar(self, avatar_id: str, changes: dict[str, Any]) -> None:
        details = self.avatars.details

        def done(avatar: Avatar) -> None:
            self.avatars.model.update_avatar(avatar.row)
            details.saved(avatar.row)

        def failed(error: dict[str, Any]) -> None:
            details.edit_failed(" ".join(x for x in (error.get("message"), error.get("hint"))
                                         if x))

        # The gallery shows the answer here; the change's other readers fetch the row.
        ops.update_avatar(self.bridge, avatar_id, changes, on_success=done, on_failure=failed,
                          origin=self.avatars)

    def export_avatar(self, action: str, avatar: dict[str, Any]) -> None:
        """One avatar's export action (the details pane's buttons, the gallery's menu)."""
        if action == "save":
            self.exporter.save_copy(avatar)
        elif action == "save_video":
            self.exporter.save_copy(avatar, video=True)
        elif action == "show":
            self.exporter.show_in_folder(avatar)
        elif action == "copy":
            self.exporter.copy_picture(avatar)

    def gallery_menu(self) -> QMenu | None:
        """The gallery's context menu for the selected avatars (None: nothing is selected)."""
        avatars = self.avatars.selected_avatars()
        if not avatars:
            return None
        menu = QMenu(self)
        menu.setObjectName("galleryMenu")
        if len(avatars) == 1:
            (avatar,) = avatars
            menu.addAction(icon("save"), self.tr("Save a copy…"),
                           lambda: self.export_avatar("save", avatar))
            if avatar.get("has_video") and avatar.get("video_path"):
                menu.addAction(icon("save"), self.tr("Save video…"),
                               lambda: self.export_avatar("save_video", avatar))
            menu.addAction(icon("copy"), self.tr("Copy picture"),
                           lambda: self.export_avatar("copy", avatar))
            menu.addAction(icon("folder"), self.tr("Show in file manager"),
                           lambda: self.export_avatar("show", avatar))
        else:
            menu.addAction(icon("save"), self.tr("Save %n copies to folder…", "", len(avatars)),
                           lambda: self.exporter.save_copies(avatars))
        menu.addSeparator()
        menu.addAction(self.act_delete)
        return menu

    def _show_gallery_menu(self, pos: QPoint) -> None:
        menu = self.gallery_menu()
        if menu is not None:
            menu.exec(self.avatars.view.viewport().mapToGlobal(pos))
            menu.deleteLater()

    def copy_private_link(self, avatar_id: str, seconds: int) -> None:
        def failed(error: dict[str, Any]) -> None:
            self.show_message(" ".join(x for x in (error.get("message"), error.get("hint"))
                                       if x))

        ops.avatar_link(self.bridge, avatar_id, seconds,
                        on_success=lambda link: self.avatars.details.copy_link(
                            link.url, link.expires_at),
                        on_failure=failed)

    def retry(self, avatar_id: str | None) -> None:
        def done(retried: Retried) -> None:
            self.show_message(self.tr("Retrying %n upload(s).", "", retried.count))
            self._wake_sync()

        ops.sync_retry(self.bridge, avatar_id, on_success=done)

    def toggle_pause(self) -> None:
        paused = bool(self._status.get("paused"))
        (ops.sync_resume if paused else ops.sync_pause)(self.bridge)

    def pause_sync(self, duration: str | None) -> None:
        """Pause for `duration` ("1h", "tomorrow"; None: until resumed): the engine resumes
        by itself at the end, also after a restart."""
        ops.sync_pause(self.bridge, duration)

    def resume_sync(self) -> None:
        ops.sync_resume(self.bridge)

    def sync_now(self) -> None:
        # Asking to sync now is also asking to end a pause.
        if self._status.get("paused"):
            self.resume_sync()
        self._wake_sync()


    def _wake_sync(self) -> None:
        if self.sync_worker is not None:
            self.sync_worker.wake()

    def _focus_search(self) -> None:
        self.tabs.setCurrentWidget(self.avatars)
        self.avatars.search.setFocus()
        self.avatars.search.selectAll()

    def open_sign_in(self, expired: bool, *, username: str | None = None) -> None:
        from ecan.ui.signin_dialog import SignInDialog

        if self._signin_open:
            return
        self._signin_open = True
        dialog = SignInDialog(self.bridge, self, expired=expired,
                              username=str(self._account.get("username") or "")
                              if username is None else username,
                              hosted_ui=bool(self._account.get("hosted_ui")))
        dialog.signed_in.connect(self._signed_in)
        dialog.finished.connect(lambda _r: setattr(self, "_signin_open", False))
        self.signin_dialog = dialog
        dialog.open()

    def _signed_in(self, signed: SignedIn) -> None:
        self._refresh_account()
        self.local_offer.offer(signed)
        if signed.first_on_empty_library:
            # A new machine: bring the library this identity already has in the cloud here
            # before new uploads start, so the user finds the same avatars everywhere.
            self.show_message(self.tr("Restoring your library from the cloud…"))
            ops.sync_restore(self.bridge, only_if_empty=True, on_success=self._restored,
                             on_failure=lambda _e: self._wake_sync())
        else:
            self._wake_sync()

    def _restored(self, result: Restored) -> None:
        if result.restored:
            self.show_message(self.tr("Restored %n avatar(s) from the cloud.", "",
                                      result.restored))
        self._wake_sync()

    def open_totp_setup(self) -> None:
        dialog = TotpSetupDialog(self.bridge, self)
        self.totp_dialog = dialog
        dialog.open()

    def sign_out(self) -> None:
        ops.sign_out(self.bridge, on_success=lambda _d: self.show_message(
            self.tr("Signed out. New avatars wait on this computer until you sign in.")))

    def open_settings(self) -> None:
        from ecan.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.bridge, self.app, self.ui_settings, self,
                                sync_status=self.monitor.status)
        dialog.language_changed.connect(self.language_requested)
        dialog.saved.connect(self._settings_saved)
        self.settings_dialog = dialog
        dialog.open()

    def _settings_saved(self, _path: str) -> None:
        # The app and the sync process already use the new settings: show where things stand.
        self._refresh_account()
        self.monitor.refresh_soon()
        self.show_message(self.tr("Settings saved. Syncing uses them now."))

    def open_generate(self) -> None:
        from ecan.ui.generate_dialog import GenerateDialog

        ids = self.avatars.selected_ids() if self.tabs.currentWidget() is self.avatars else []
        dialog = GenerateDialog(self.bridge, self, avatar_id=ids[0] if len(ids) == 1 else None)
        self.generate_dialog = dialog
        dialog.show()

    def open_logs(self) -> None:
        if self.log_path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.log_path.parent)))

    def about(self) -> None:
        from ecan import __version__

        QMessageBox.about(self, self.tr("About ecan"), self.tr(
            "ecan {version}\nYour avatar library for the AI agents you build: local first, "
            "synced to your own cloud storage.").format(version=__version__))

    def bring_to_front(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 6000)

    def describe(self) -> str:
        """What the window shows, in a line: for the scripts that take its screenshot."""
        page = self.avatars
        if page.stack.currentWidget() is page.empty:
            shown = page.empty_title.text()
        else:
            states = Counter(str(a.get("sync_state")) for a in page.current_avatars())
            shown = ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
        return (f"gallery: {page.count_label.text()} ({shown}); "
                f"status bar: {self.sync_label.text()}")

    # ---- sync status -------------------------------------------------------------------
    def _sync_restarting(self, seconds: int) -> None:
        self.show_message(self.tr(
            "Syncing stopped unexpectedly; it restarts by itself in {s} s. Nothing is lost: "
            "the queue is kept.").format(s=seconds))

    def _on_changed(self, changes: Changes, origin: object) -> None:
        if origin is not None and origin is self.sync_worker:
            # Another computer's changes, pulled (see _pulled): nothing new to upload.
            return
        if changes.auth:
            self._refresh_account()
            if self.sync_worker is not None:
                self.sync_worker.session_changed()
        if changes.avatars or changes.agents:
            # New or changed work in the outbox: upload it now, not at the engine's next poll.
            self._wake_sync()
            self._refresh_activity()

    def _pulled(self, event: Any) -> None:
        """Another computer's changes arrived: the screens showing them refresh, as after a
        call of the window's own (the bridge's change notification), without waking the sync
        process (nothing new to upload)."""
        avatars = frozenset(getattr(event, "avatars", ())) | frozenset(
            getattr(event, "removed", ()))
        # Agents arrive by name, not id: the agents views list again.
        agents: Ids = ALL if getattr(event, "agents", None) else frozenset()
        if avatars or agents:
            self.bridge.changed.emit(Changes(avatars=avatars, agents=agents), self.sync_worker)
        self.monitor.refresh_soon()
        self._refresh_activity()

    def open_activity(self) -> None:
        from ecan.ui.activity_dialog import ActivityDialog

        if self.activity_dialog is None:
            self.activity_dialog = ActivityDialog(self.bridge, self)
        self.activity_dialog.show()
        self.activity_dialog.raise_()
        self.activity_dialog.activateWindow()

    def open_trash(self) -> None:
        from ecan.ui.trash_dialog import TrashDialog

        if self.trash_dialog is None:
            self.trash_dialog = TrashDialog(self.bridge, self, decoder=self.avatars.thumbs.decoder)
            self.trash_dialog.message.connect(self.show_message)
        self.trash_dialog.show()
        self.trash_dialog.raise_()
        self.trash_dialog.activateWindow()

    def _refresh_activity(self, *_args: object) -> None:
        if self.activity_dialog is not None:
            self.activity_dialog.refresh_soon()

    def _refresh_account(self) -> None:
        ops.auth_status(self.bridge, on_success=self._got_account, on_failure=lambda _e: None)

    def _got_account(self, status: AuthStatus) -> None:
        self._account = status.fields
        self._show_account()

    def _show_account(self) -> None:
        a = self._account
        mode = a.get("cloud_mode")
        signed_in = bool(a.get("signed_in"))
        cognito = mode == "cognito" or signed_in
        if signed_in:
            self.account_button.setText(str(a.get("username") or self.tr("Signed in")))
            self.act_identity.setText(self.tr("Signed in as {user} (identity {identity})").format(
                user=a.get("username") or "?", identity=a.get("identity_id") or "?"))
        elif cognito:
            self.account_button.setText(self.tr("Sign in"))
            self.act_identity.setText(self.tr("Not signed in"))
        elif mode in ("static", "local-folder"):
            self.account_button.setText(self.tr("Cloud storage (no sign-in)"))
            self.act_identity.setText(self.tr("Syncing with the configured storage keys"))
        else:
            self.account_button.setText(self.tr("Set up sync"))
            self.act_identity.setText(self.tr("No cloud storage is set up (see Settings)"))
        self.act_set_up.setVisible(not cognito and mode not in ("static", "local-folder"))
        self.act_sign_in.setVisible(cognito and not signed_in)
        self.act_sign_out.setVisible(signed_in)
        self.act_totp.setVisible(signed_in)
        self.account_button.setToolTip(self.act_identity.text())
        self.switcher.refresh()

    def _sync_progress(self, event: Any) -> None:
        self.monitor.on_progress(int(event.bytes_done), int(event.bytes_total),
                                 float(event.speed))

    def _job_started(self, event: Any) -> None:
        avatar_id = getattr(event, "avatar_id", None)
        if avatar_id:
            # Most avatars upload in a blink: show "syncing" only for one still going after a
            # moment, instead of redrawing every card twice for a badge nobody could see.
            self._uploading.add(avatar_id)
            QTimer.singleShot(SHOW_SYNCING_AFTER_MS, self, lambda: self._show_syncing(avatar_id))

    def _show_syncing(self, avatar_id: str) -> None:
        if avatar_id in self._uploading:
            self.avatars.set_item_progress(avatar_id, 0.0)

    def _job_done(self, event: Any) -> None:
        avatar_id = getattr(event, "avatar_id", None)
        if avatar_id and getattr(event, "kind", "") == "system":
            # A newly published system avatar arrived: its row comes in like a refreshed one.
            self._to_refresh.add(avatar_id)
            self._refresh_rows.request()
            return
        if avatar_id:
            self._uploading.discard(avatar_id)
            self.avatars.set_item_progress(avatar_id, None)
            # Refresh just the rows that changed (a full list per job would cost O(library)
            # each), gathered for a moment: one query per burst, not one per upload.
            self._to_refresh.add(avatar_id)
            self._refresh_rows.request()
        self.monitor.refresh_soon()

    def _refresh_finished_rows(self) -> None:
        ids, self._to_refresh = sorted(self._to_refresh), set()
        self.avatars.model.refresh_rows(self.bridge, ids)
        if self.agents.is_loaded():  # else it lists them all when first shown
            self.agents.avatars.refresh_rows(self.bridge, ids)

    def _sync_status(self, status: dict[str, Any]) -> None:
        self._status = dict(status or {})
        s = self._status
        counts = s.get("counts") or {}
        synced = int(counts.get("synced", 0) or 0)
        waiting = int(counts.get("queued", 0) or 0) + int(counts.get("syncing", 0) or 0)
        failed = int(counts.get("failed", 0) or 0)
        local = int(counts.get("local", 0) or 0)
        configured = bool(s.get("cloud_configured", True))
        # Signed out is the user's choice: what waits is said plainly, never as progress.
        signed_out = configured and bool(s.get("signed_out")) and not s.get("auth_required")
        parts: list[str] = []
        if not counts:
            parts.append("")
        elif not configured:
            parts.append(self.tr("Saved on this computer"))
        elif signed_out:
            parts.append(self.tr("Signed out · %n waiting", "", waiting) if waiting
                         else self.tr("Signed out"))
        elif waiting:
            total = synced + waiting
            parts.append(self.tr("Syncing {done} of {total}").format(done=synced, total=total))
            if s.get("speed_bps"):
                parts.append(self.tr("{rate}/s").format(rate=human_bytes(s["speed_bps"])))
            if s.get("bytes_total"):
                parts.append(self.tr("{done} of {total}").format(
                    done=human_bytes(s.get("bytes_done")), total=human_bytes(s["bytes_total"])))
        else:
            if failed:
                parts.append(self.tr("{n} synced").format(n=synced))
            else:
                parts.append(self.tr("All {n} synced").format(n=synced) if synced
                             else self.tr("Nothing to sync"))
        if failed:
            parts.append(self.tr("{n} failed").format(n=failed))
        if s.get("paused"):
            until = s.get("paused_until")
            parts.append(paused_text(float(until)) if isinstance(until, (int, float))
                         else self.tr("paused"))
        self.sync_label.setText(" · ".join(p for p in parts if p))
        self.sync_label.setToolTip(self.tr(
            "Synced {synced}, waiting {waiting}, failed {failed}, on this computer only {local}"
        ).format(synced=synced, waiting=waiting, failed=failed, local=local))
        self.sync_bar.setVisible(bool(waiting) and not s.get("paused") and not signed_out)
        # QProgressBar.setValue repaints at once: only touch it when the figures change.
        if self.sync_bar.maximum() != max(synced + waiting, 1):
            self.sync_bar.setMaximum(max(synced + waiting, 1))
        if self.sync_bar.value() != synced:
            self.sync_bar.setValue(synced)
        if s.get("auth_required"):
            state, colour = self.tr("Sign-in needed"), "#d93025"
        elif not configured:
            state, colour = self.tr("Local only"), "#78808c"
        elif signed_out:
            state, colour = self.tr("Signed out"), "#78808c"
        elif s.get("online", True):
            state, colour = self.tr("Online"), "#1f9d55"
        else:
            state, colour = self.tr("Offline — will retry"), "#b06000"
        self.online_label.setText(f"<span style='color:{colour}'>●</span> {state}")
        self.online_label.setAccessibleName(state)
        paused = bool(s.get("paused"))
        self.act_pause.setText(self.tr("&Resume sync") if paused else self.tr("&Pause sync"))
        if paused != getattr(self, "_shown_paused", None):
            self._shown_paused = paused
            self.act_pause.setIcon(icon("play" if paused else "pause"))
        self.act_resume.setEnabled(paused)
        self.act_retry.setEnabled(failed > 0)
        # The tray's tooltip says where sync stands (paused until when, offline...).
        self.tray_tip = "ecan — " + " · ".join(p for p in (*parts, state) if p)
        if self.tray is not None:
            self.tray.setToolTip(self.tray_tip)

    def _attention(self, kind: str, text: str) -> None:
        if self.tray is not None and self.tray.supportsMessages():
            self.tray.showMessage("ecan", text, QSystemTrayIcon.MessageIcon.Warning, 8000)
        self.show_message(text)
        if kind == "auth_required":
            self.open_sign_in(True)

    def _bridge_failed(self, error: dict[str, Any]) -> None:
        text = str(error.get("message") or "")
        if error.get("hint"):
            text += " " + str(error["hint"])
        self.statusBar().showMessage(text, 10000)
