"""Settings: storage backend (local only, a folder, AWS S3, an S3-compatible endpoint), bucket,
region, endpoint, prefix, CDN domain, concurrency, static access keys; the Gemini API key; sync's
bandwidth limit and pause; start at login, the proxy and the language. Checked by the same
validation as loading the config file; "Test connection" runs doctor's checks off the GUI thread;
saving changes only the keys the user changed, in place, and never a value the environment set;
keys and passwords typed here go to the keyring only (ecan.auth.secrets), never to a file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ecan.auth.secrets import ACCESS_KEYS, GEMINI_API_KEY, KeptSecret
from ecan.autostart import Autostart
from ecan.bridge import ops
from ecan.bridge.bridge import Bridge
from ecan.bridge.messages import translate_text
from ecan.config import (
    Config,
    StorageConfig,
    save_settings,
    setting_values,
    split_proxy,
    validate_config,
)
from ecan.errors import UserFacingError
from ecan.ui.i18n import LANGUAGES

BACKENDS = ["none", "local", "s3", "s3-compatible"]
LANG_CODES = ["", "en", "zh_CN"]
ACCESS_ROWS = ("access_key", "secret_key", "access_state")
# Form row -> the config key it edits.
SETTING_OF = {"backend": "STORAGE.BACKEND", "bucket": "STORAGE.BUCKET",
              "region": "STORAGE.REGION", "endpoint": "STORAGE.ENDPOINT_URL",
              "folder": "STORAGE.LOCAL_PATH", "prefix": "STORAGE.PATH_PREFIX",
              "cdn": "STORAGE.CDN_DOMAIN", "concurrency": "SYNC.CONCURRENCY",
              "access_key": "STORAGE.ACCESS_KEY", "secret_key": "STORAGE.SECRET_KEY"}


class SettingsDialog(QDialog):
    """Signals:
        language_changed(str): the user picked a language ("" = follow the system).
        saved(str): the config file was written (its path).
        removed(str): a saved secret was removed from the keyring (its keyring account).
    """

    language_changed = Signal(str)
    saved = Signal(str)
    removed = Signal(str)

    def __init__(self, bridge: Bridge, app: Any, ui_settings: QSettings,
                 parent: QWidget | None = None, *, sync_status: dict[str, Any] | None = None,
                 autostart: Autostart | None = None) -> None:
        """`sync_status`: the engine's last `sync.status` (bandwidth limit, pause), so the
        form opens without waiting on the sync process."""
        super().__init__(parent)
        self._bridge = bridge
        self._app = app
        self._ui = ui_settings
        self._sync_status = dict(sync_status or {})
        self._autostart = autostart or Autostart(getattr(app, "env", None))
        self.setWindowTitle(self.tr("Settings"))
        self.setMinimumWidth(520)
        config: Config = app.config if app is not None else Config()
        self._config = config
        # account -> (the secret, its fields, where it stands, its Remove button)
        self._kept: dict[str, tuple[KeptSecret, tuple[QLineEdit, ...], QLabel, QPushButton]] = {}
        layout = QVBoxLayout(self)

        storage = QGroupBox(self.tr("Cloud storage"), self)
        form = QFormLayout(storage)
        self.backend = QComboBox(storage)
        self.backend.addItems([self.tr("None: keep avatars on this computer only"),
                               self.tr("A folder (another disk or a synced folder)"),
                               self.tr("Amazon S3"),
                               self.tr("S3-compatible (Cloudflare R2, MinIO…)")])
        self.backend.setAccessibleName(self.tr("Storage backend"))
        self.bucket = QLineEdit(config.storage.bucket, storage)
        self.bucket.setAccessibleName(self.tr("Bucket"))
        self.region = QLineEdit(config.storage.region, storage)
        self.region.setPlaceholderText("us-east-1")
        self.region.setAccessibleName(self.tr("Region"))
        self.endpoint = QLineEdit(config.storage.endpoint_url, storage)
        self.endpoint.setPlaceholderText("https://<account>.r2.cloudflarestorage.com")
        self.endpoint.setAccessibleName(self.tr("Endpoint URL"))
        self.prefix = QLineEdit(config.storage.path_prefix, storage)
        self.prefix.setAccessibleName(self.tr("Key prefix"))
        self.cdn = QLineEdit(config.storage.cdn_domain, storage)
        self.cdn.setPlaceholderText("cdn.example.com")
        self.cdn.setAccessibleName(self.tr("CDN domain"))
        self.folder = QLineEdit(config.storage.local_path, storage)
        self.folder.setAccessibleName(self.tr("Folder"))
        self.browse = QPushButton(self.tr("&Browse…"), storage)
        self.browse.clicked.connect(self._choose_folder)
        folder_row = QWidget(storage)
        folder_line = QHBoxLayout(folder_row)
        folder_line.setContentsMargins(0, 0, 0, 0)
        folder_line.addWidget(self.folder, 1)
        folder_line.addWidget(self.browse)
        self.concurrency = QSpinBox(storage)
        self.concurrency.setRange(1, 64)
        self.concurrency.setValue(config.sync.concurrency)
        self.concurrency.setAccessibleName(self.tr("Parallel uploads"))
        # Static keys (S3, R2, MinIO): typed here, kept in the keyring only (never the file).
        self.access_key = QLineEdit(storage)
        self.access_key.setAccessibleName(self.tr("Access key ID"))
        self.secret_key = QLineEdit(storage)
        self.secret_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_key.setAccessibleName(self.tr("Secret access key"))
        self.access_state = QLabel(storage)
        self.access_remove = QPushButton(self.tr("Remove"), storage)
        self.access_remove.setAccessibleName(self.tr("Remove the saved access keys"))
        self._rows: dict[str, tuple[QLabel, QWidget]] = {}
        for key, label, widget in (
                ("backend", self.tr("&Storage"), self.backend),
                ("bucket", self.tr("&Bucket"), self.bucket),
                ("region", self.tr("&Region"), self.region),
                ("endpoint", self.tr("&Endpoint URL"), self.endpoint),
                ("folder", self.tr("F&older"), folder_row),
                ("prefix", self.tr("Key &prefix"), self.prefix),
                ("cdn", self.tr("&CDN domain"), self.cdn),
                ("concurrency", self.tr("Parallel &uploads"), self.concurrency),
                ("access_key", self.tr("&Access key ID"), self.access_key),
                ("secret_key", self.tr("Secret access &key"), self.secret_key)):
            lab = QLabel(label, storage)
            lab.setBuddy(self.folder if widget is folder_row else widget)
            variable = config.env_overrides.get(SETTING_OF[key])
            if widget is folder_row and variable:
                self.browse.setEnabled(False)  # the environment's value is not ours to change
            shown = self._env_marked(self.folder if widget is folder_row and variable else widget,
                                     variable, storage)
            if widget is folder_row and variable:
                shown.layout().addWidget(self.browse)  # type: ignore[union-attr]
            form.addRow(lab, shown)
            self._rows[key] = (lab, shown)
        access_row = self._kept_row(ACCESS_KEYS, (self.access_key, self.secret_key),
                                    self.access_state, self.access_remove, storage)
        if access_row is not None:
            access_spacer = QLabel(storage)
            form.addRow(access_spacer, access_row)
            self._rows["access_state"] = (access_spacer, access_row)
        layout.addWidget(storage)
        self.note = QLabel(self.tr("Keys typed here are kept in the system keyring, never in a "
                                   "file. With a sign-in (an identity pool), none are needed."),
                           self)
        self.note.setObjectName("hintLabel")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)

        generation = QGroupBox(self.tr("Image generation"), self)
        genform = QFormLayout(generation)
        self.gemini_key = QLineEdit(generation)
        self.gemini_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.gemini_key.setAccessibleName(self.tr("Gemini API key"))
        self.gemini_state = QLabel(generation)
        self.gemini_remove = QPushButton(self.tr("Remove"), generation)
        self.gemini_remove.setAccessibleName(self.tr("Remove the saved Gemini API key"))
        gemini_label = QLabel(self.tr("&Gemini API key"), generation)
        gemini_label.setBuddy(self.gemini_key)
        genform.addRow(gemini_label, self._env_marked(
            self.gemini_key, config.env_overrides.get("GEMINI.API_KEY"), generation))
        gemini_row = self._kept_row(GEMINI_API_KEY, (self.gemini_key,), self.gemini_state,
                                    self.gemini_remove, generation)
        if gemini_row is not None:
            genform.addRow(QLabel(generation), gemini_row)
        layout.addWidget(generation)

        layout.addWidget(self._build_sync_group())

        general = QGroupBox(self.tr("General"), self)
        gform = QFormLayout(general)
        self.start_at_login = QCheckBox(self.tr("Start ecan when I log in"), general)
        try:
            self._started_at_login = self._autostart.enabled()
        except OSError:  # a registry or folder we cannot read: shown off, saving says why
            self._started_at_login = False
        self.start_at_login.setChecked(self._started_at_login)
        gform.addRow(self.start_at_login)
        self.language = QComboBox(general)
        self.language.addItems([self.tr("Follow the system"), LANGUAGES["en"],
                                LANGUAGES["zh_CN"]])
        self.language.setAccessibleName(self.tr("Language"))
        current_lang = str(ui_settings.value("language", "") or "")
        self.language.setCurrentIndex(LANG_CODES.index(current_lang)
                                      if current_lang in LANG_CODES else 0)
        self.language.currentIndexChanged.connect(self._language_picked)
        self.proxy = QLineEdit(config.network.proxy, general)
        self.proxy.setPlaceholderText(self.tr("Empty: the system's proxy settings"))
        self.proxy.setToolTip(self.tr("http://host:port, or http://user:password@host:port "
                                      "(the password is kept in the system keyring)"))
        self.proxy.setAccessibleName(self.tr("Proxy"))
        proxy_label = QLabel(self.tr("Pro&xy"), general)
        proxy_label.setBuddy(self.proxy)
        gform.addRow(proxy_label, self._env_marked(
            self.proxy, config.env_overrides.get("NETWORK.PROXY"), general))
        lang_label = QLabel(self.tr("&Language"), general)
        lang_label.setBuddy(self.language)
        gform.addRow(lang_label, self.language)
        layout.addWidget(general)

        self.feedback = QLabel(self)
        self.feedback.setWordWrap(True)
        self.feedback.setObjectName("settingsResult")
        self.feedback.hide()
        layout.addWidget(self.feedback)

        row = QHBoxLayout()
        self.test_button = QPushButton(self.tr("&Test connection"), self)
        self.test_button.setAccessibleName(self.tr("Test connection"))
        self.test_button.clicked.connect(self.test_connection)
        row.addWidget(self.test_button)
        row.addStretch(1)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(self.tr("Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        row.addWidget(self.buttons)
        layout.addLayout(row)

        s = config.storage
        kind = s.kind
        self.backend.setCurrentIndex(
            {"none": 0, "local": 1}.get(kind, 3 if (s.endpoint_url or s.is_r2) else 2))
        self.backend.currentIndexChanged.connect(self._backend_changed)
        self._backend_changed()
        # What the form says before the user touches it: saving writes only what differs.
        self._initial = setting_values(self._form_config())
        self._read_keyring()

    def _build_sync_group(self) -> QGroupBox:
        box = QGroupBox(self.tr("Sync"), self)
        form = QFormLayout(box)
        self.bandwidth = QSpinBox(box)
        self.bandwidth.setRange(0, 1_000_000)
        self.bandwidth.setSingleStep(64)
        self.bandwidth.setSuffix(self.tr(" KB/s"))
        self.bandwidth.setSpecialValueText(self.tr("Unlimited"))
        self._bandwidth_before = int(self._sync_status.get("bandwidth_limit_kbps") or 0)
        self.bandwidth.setValue(self._bandwidth_before)
        self.bandwidth.setAccessibleName(self.tr("Upload bandwidth limit"))
        label = QLabel(self.tr("Upload &limit"), box)
        label.setBuddy(self.bandwidth)
        form.addRow(label, self.bandwidth)
        self.pause_state = QLabel(box)
        self.pause_state.setObjectName("pauseState")
        self.pause_hour = QPushButton(self.tr("Pause for 1 hour"), box)
        self.pause_tomorrow = QPushButton(self.tr("Pause until tomorrow"), box)
        self.resume_button = QPushButton(self.tr("Resume"), box)
        self.pause_hour.clicked.connect(lambda: self._pause("1h"))
        self.pause_tomorrow.clicked.connect(lambda: self._pause("tomorrow"))
        self.resume_button.clicked.connect(self._resume)
        buttons = QWidget(box)
        line = QHBoxLayout(buttons)
        line.setContentsMargins(0, 0, 0, 0)
        for button in (self.pause_hour, self.pause_tomorrow, self.resume_button):
            line.addWidget(button)
        line.addStretch(1)
        column = QWidget(box)
        rows = QVBoxLayout(column)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.addWidget(self.pause_state)
        rows.addWidget(buttons)
        form.addRow(QLabel(self.tr("Pause"), box), column)
        self._show_pause(bool(self._sync_status.get("paused")),
                         self._sync_status.get("paused_until"))
        return box

    def _show_pause(self, paused: bool, until: Any) -> None:
        from ecan.ui.main_window import paused_text

        if not paused:
            self.pause_state.setText(self.tr("Syncing"))
        elif isinstance(until, (int, float)):
            self.pause_state.setText(paused_text(float(until)))
        else:
            self.pause_state.setText(self.tr("Paused until you resume"))
        self.resume_button.setEnabled(paused)

    def _pause(self, duration: str) -> None:
        ops.sync_pause(self._bridge, duration,
                       on_success=lambda paused: self._show_pause(True, paused.until))

    def _resume(self) -> None:
        ops.sync_resume(self._bridge, on_success=lambda _paused: self._show_pause(False, None))

    def _env_marked(self, widget: QWidget, variable: str | None, parent: QWidget) -> QWidget:
        """`widget` as is, or, when an environment variable sets its value, read-only with a
        note naming the variable: that value is the environment's and is never saved."""
        if not variable:
            return widget
        if isinstance(widget, QLineEdit):
            widget.setReadOnly(True)
        else:
            widget.setEnabled(False)
        widget.setToolTip(self.tr("Set by the environment variable {name}").format(
            name=variable))
        box = QWidget(parent)
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        note = QLabel(self.tr("Set by the environment variable {name}: change it there.")
                      .format(name=variable), box)
        note.setObjectName("hintLabel")
        note.setWordWrap(True)
        column.addWidget(note)
        return box

    # ---- secrets kept in the keyring ----------------------------------------------------------
    def _kept_row(self, secret: KeptSecret, edits: tuple[QLineEdit, ...], state: QLabel,
                  remove: QPushButton, parent: QWidget) -> QWidget | None:
        """Where a kept secret stands (in the keyring, set elsewhere, or not yet) and its
        Remove button; None when the environment sets it (the note under its fields says so).
        The environment or the config file setting it makes `edits` read-only: typed here, it
        would never be used (they come first)."""
        state.setObjectName("hintLabel")
        state.setWordWrap(True)
        remove.hide()
        remove.clicked.connect(lambda: self._remove(secret))
        self._kept[secret.account] = (secret, edits, state, remove)
        section = getattr(self._config, secret.section)
        variables = sorted({v for f in secret.fields if (v := self._config.env_overrides.get(
            f"{secret.section.upper()}.{f.upper()}"))})
        if variables:
            state.hide()  # in no layout: it must not float over the form
            return None
        if secret.account not in self._config.from_keyring and any(
                getattr(section, f) for f in secret.fields):
            # A config file the user wrote holds it (ecan never does): it is changed there.
            for edit in edits:
                edit.setReadOnly(True)
            state.setText(self.tr("Set in the config file {path}: change it there.").format(
                path=self._config.source or ""))
        else:
            state.setText(self.tr("Kept in the system keyring, never written to a file."))
        box = QWidget(parent)
        line = QHBoxLayout(box)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(state, 1)
        line.addWidget(remove)
        return box

    def _editable(self, secret: KeptSecret) -> bool:
        """The user may type `secret` here (neither the environment nor the file sets it)."""
        _secret, edits, _state, _remove = self._kept[secret.account]
        return not any(edit.isReadOnly() for edit in edits)

    def _read_keyring(self) -> None:
        """Which secrets the keyring holds (read off the GUI thread: a keyring can be slow)."""
        app = self._app
        if app is None:
            return

        def work() -> dict[str, Any]:
            from ecan.auth.secrets import read_kept

            stored = {account: read_kept(app.kept_secrets, secret) is not None
                      for account, (secret, *_rest) in self._kept.items()}
            persistent = app.kept_secrets.persistent
            return {"stored": stored, "persistent": persistent}

        self._bridge.run_task("read the keyring", work, on_success=self._keyring_read,
                              on_failure=lambda _e: None)

    def _keyring_read(self, result: dict[str, Any]) -> None:
        for account, stored in result["stored"].items():
            self._show_kept(account, stored=bool(stored),
                            persistent=bool(result["persistent"]))

    def _show_kept(self, account: str, *, stored: bool, persistent: bool = True) -> None:
        secret, edits, state, remove = self._kept[account]
        if not self._editable(secret):
            return
        remove.setVisible(stored)
        for edit in edits:
            edit.setPlaceholderText(self.tr("Type a new one to replace it") if stored else "")
        if stored:
            state.setText(self.tr("Saved in the system keyring."))
        elif not persistent:
            state.setText(self.tr("No system keyring here: what you type is kept only until "
                                  "ecan quits."))
        else:
            state.setText(self.tr("Kept in the system keyring, never written to a file."))

    def typed_secrets(self) -> dict[str, tuple[str, ...]]:
        """The secrets typed in the form ({account: values}), to keep in the keyring."""
        typed: dict[str, tuple[str, ...]] = {}
        for account, (secret, edits, _state, _remove) in self._kept.items():
            values = tuple(edit.text().strip() for edit in edits)
            if self._editable(secret) and any(values):
                typed[account] = values
        return typed

    def _remove(self, secret: KeptSecret) -> None:
        """Forget a kept secret now, and stop using it (the window and the sync process)."""
        app = self._app

        def work() -> str:
            from ecan.auth.secrets import save_kept

            save_kept(app.kept_secrets, secret, None)
            app.reload_config()
            app.sync.reload_config()
            return secret.account

        def removed(account: str) -> None:
            self._show_kept(account, stored=False)
            self.removed.emit(account)

        self._bridge.run_task("remove a saved key", work, on_success=removed,
                              on_failure=lambda e: self._show(
                                  False, f"{translate_text(str(e.get('message') or ''))}\n"
                                         f"{translate_text(str(e.get('hint') or ''))}"))

    def _choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(
            self, self.tr("Choose the folder to sync to"), self.folder.text() or str(Path.home()))
        if chosen:
            self.folder.setText(chosen)

    def _backend_changed(self, *_args: object) -> None:
        which = BACKENDS[self.backend.currentIndex()]
        show = {"none": set(), "local": {"folder", "prefix", "concurrency"},
                "s3": {"bucket", "region", "prefix", "cdn", "concurrency", *ACCESS_ROWS},
                "s3-compatible": {"bucket", "region", "endpoint", "prefix", "cdn", "concurrency",
                                  *ACCESS_ROWS}
                }[which]
        for key, (label, widget) in self._rows.items():
            visible = key == "backend" or key in show
            label.setVisible(visible)
            widget.setVisible(visible)
        self.test_button.setEnabled(which != "none")
        self.adjustSize()

    def _language_picked(self, index: int) -> None:
        code = LANG_CODES[index]
        self._ui.setValue("language", code)
        self.language_changed.emit(code)

    def build_config(self) -> Config:
        """The config the form describes, validated like a config file; ConfigError if not."""
        config = self._form_config()
        validate_config(config)
        return config

    def _form_config(self) -> Config:
        which = BACKENDS[self.backend.currentIndex()]
        base = self._config
        storage: StorageConfig = replace(
            base.storage,
            backend={"none": "", "local": "local"}.get(which, "s3"),
            bucket=self.bucket.text().strip() if which in ("s3", "s3-compatible") else "",
            region=self.region.text().strip() if which in ("s3", "s3-compatible") else "",
            endpoint_url=self.endpoint.text().strip() if which == "s3-compatible" else "",
            path_prefix=self.prefix.text().strip() or "avatars/",
            cdn_domain=self.cdn.text().strip() if which != "none" else "",
            local_path=self.folder.text().strip() if which == "local" else "",
        )
        typed = self.typed_secrets() if self._kept else {}
        if ACCESS_KEYS.account in typed:  # a new pair replaces the one in use
            storage = replace(storage, access_key=typed[ACCESS_KEYS.account][0],
                              secret_key=typed[ACCESS_KEYS.account][1])
        gemini = base.gemini
        if GEMINI_API_KEY.account in typed:
            gemini = replace(gemini, api_key=typed[GEMINI_API_KEY.account][0])
        proxy, _password = split_proxy(self.proxy.text().strip())
        return replace(base, storage=storage, gemini=gemini,
                       sync=replace(base.sync, concurrency=self.concurrency.value()),
                       network=replace(base.network, proxy=proxy))

    def changes(self, config: Config) -> dict[str, Any]:
        """The keys the user changed in the form, less those the environment sets."""
        now = setting_values(config)
        return {k: v for k, v in now.items()
                if v != self._initial.get(k) and k not in self._config.env_overrides}

    def _show(self, ok: bool, text: str) -> None:
        self.feedback.setStyleSheet("color: #1f7a45;" if ok else "color: #c5221f;")
        self.feedback.setText(text)
        self.feedback.show()

    def _target(self) -> Path:
        if self._app is None:
            raise UserFacingError("no_library", self.tr("No library is open."), "")
        return Path(self._config.source or self._app.paths.default_config)

    def save(self) -> None:
        try:
            config = self.build_config()
        except UserFacingError as e:
            self._show(False, f"{translate_text(e.message)}\n{translate_text(e.hint)}")
            return
        target = self._target()
        changes = self.changes(config)
        kbps = self.bandwidth.value()
        if kbps != self._bandwidth_before:
            # The library's own setting (the engine's, in force at once): no file to write.
            ops.set_bandwidth_limit(self._bridge, kbps)
        login = self.start_at_login.isChecked()
        proxy, password = split_proxy(self.proxy.text().strip())
        # A password typed in the address goes to the keyring; no proxy, no password kept.
        keep_password: str | None = password or (
            "" if not proxy and self._config.network.proxy else None)
        # Keys typed for a storage that uses none (local only, a folder) are not kept.
        kept = {account: values for account, values in self.typed_secrets().items()
                if account != ACCESS_KEYS.account or config.storage.kind == "s3"}
        autostart = self._autostart if login != self._started_at_login else None
        autostart_failed = (self.tr("Start at login could not be changed."),
                            self.tr("Check that your user can write there ({reason})."))

        app = self._app

        def work() -> str:
            if autostart is not None:
                try:
                    autostart.set_enabled(login)
                except OSError as e:
                    raise UserFacingError(
                        "autostart_failed", autostart_failed[0],
                        autostart_failed[1].format(reason=e.strerror or e)) from None
            if keep_password is not None and app is not None:
                from ecan.auth.secrets import save_proxy_password

                save_proxy_password(app.kept_secrets, keep_password)
            if kept and app is not None:
                from ecan.auth.secrets import KEPT_SECRETS, save_kept

                for secret in KEPT_SECRETS:
                    if secret.account in kept:
                        save_kept(app.kept_secrets, secret, kept[secret.account])
            save_settings(target, changes)
            # Applied now, not at the next start: the window's cloud access, and the sync
            # process's (which then looks at the queue with the new storage).
            app.reload_config()
            app.sync.reload_config()
            return str(target)

        def done(path: str) -> None:
            self.saved.emit(path)
            self.accept()

        def failed(error: dict[str, Any]) -> None:
            self.buttons.setEnabled(True)
            self._show(False, f"{error.get('message')}\n{error.get('hint', '')}")

        self.buttons.setEnabled(False)
        self._bridge.run_task("save settings", work, on_success=done, on_failure=failed)

    def test_connection(self) -> None:
        try:
            config = self.build_config()
        except UserFacingError as e:
            self._show(False, f"{translate_text(e.message)}\n{translate_text(e.hint)}")
            return
        app = self._app

        def work() -> list[dict[str, Any]]:
            from ecan.app import App
            from ecan.doctor import run_checks

            probe = App(paths=app.paths, config=config, log_path=app.log_path, env=app.env,
                        keyring_backend=app.keyring_backend)
            try:
                checks = run_checks(probe)
            finally:
                probe.close()
            return [c.to_dict() for c in checks]

        self.test_button.setEnabled(False)
        self._show(True, self.tr("Testing the connection…"))
        self._bridge.run_task("test connection", work, on_success=self._tested,
                              on_failure=self._test_failed)

    def _test_failed(self, error: dict[str, Any]) -> None:
        self.test_button.setEnabled(True)
        self._show(False, f"{error.get('message')}\n{error.get('hint', '')}")

    def _tested(self, checks: list[dict[str, Any]]) -> None:
        self.test_button.setEnabled(True)
        failed = [c for c in checks if not c.get("ok")]
        if not failed:
            self._show(True, self.tr("All {n} checks passed.").format(n=len(checks)))
            return
        lines = [f"✗ {c.get('name')}: {translate_text(str(c.get('detail') or ''))} "
                 f"{translate_text(str(c.get('hint') or ''))}".strip() for c in failed]
        self._show(False, "\n".join(lines))
