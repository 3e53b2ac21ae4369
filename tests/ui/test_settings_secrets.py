"""Keys typed in Settings: static access keys and the Gemini API key go to the keyring only (no
file under ECAN_HOME or the config's folder ever holds one), `ecan sync` and the window's sync
process upload with them, the generate dialog finds the key, a key the environment sets is shown
as the variable's and never saved, and Remove forgets a key."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ecan.democloud import DemoCloud
from tests import fakegemini as fg
from tests.ui.conftest import Gui

GEMINI_KEY = "AIzaSyTyped-in-settings-0000000000000000"


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """keyrings.alt's plaintext keyring in a folder of the test's own (outside ECAN_HOME), as
    the scripts use on machines with no OS keyring; the environment a CLI run needs to read
    it."""
    data = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    yield {"XDG_DATA_HOME": str(data),
           "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}


def files_holding(folders: list[Path], *secrets: str) -> list[Path]:
    """Every file under `folders` that holds any of `secrets` (as bytes, whatever the format)."""
    found = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                if any(s.encode() in data for s in secrets):
                    found.append(path)
    return found


def open_settings(gui: Gui, qtbot: Any) -> Any:
    from ecan.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(gui.bridge, gui.app, gui.settings, gui.window)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def save(dialog: Any, qtbot: Any) -> None:
    saved: list[str] = []
    dialog.saved.connect(saved.append)
    dialog.save()
    qtbot.waitUntil(lambda: bool(saved), timeout=10_000)


def run_ecan(env: dict[str, str], *args: str) -> tuple[int, Any]:
    done = subprocess.run([sys.executable, "-m", "ecan", *args, "--json"], env=env, text=True,
                          capture_output=True, timeout=180)
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else done.stderr


def objects_under(cloud: DemoCloud, prefix: str) -> list[str]:
    listed = cloud.admin_client("s3").list_objects_v2(Bucket=cloud.info.bucket, Prefix=prefix)
    return [o["Key"] for o in listed.get("Contents") or []]


def test_static_keys_typed_in_settings_live_in_the_keyring_and_ecan_sync_uploads_with_them(
        clean_env: dict[str, str], file_keyring: dict[str, str], demo_cloud: DemoCloud,
        qtbot: Any, make_pictures: Callable[..., list[Path]]) -> None:
    from keyrings.alt.file import PlaintextKeyring

    info = demo_cloud.info
    access, secret = info.admin.access_key_id, info.admin.secret_access_key
    prefix = f"creds-{uuid.uuid4().hex[:8]}/avatars/"
    env = {**clean_env, **file_keyring}
    gui = Gui(env, qtbot)
    try:
        gui.app.keyring_backend = PlaintextKeyring()  # the one `ecan sync` below reads too
        gui.app.__dict__.pop("kept_secrets", None)  # (the store is made on first use)
        dialog = open_settings(gui, qtbot)
        # Local only: no key fields to fill in.
        assert not dialog.access_key.isVisible() and not dialog.secret_key.isVisible()
        dialog.backend.setCurrentIndex(3)  # S3-compatible (MinIO, R2...)
        assert dialog.access_key.isVisible() and dialog.secret_key.isVisible()
        assert dialog.secret_key.echoMode() == dialog.secret_key.EchoMode.Password
        qtbot.waitUntil(lambda: "never written to a file" in dialog.access_state.text(),
                        timeout=5000)
        dialog.bucket.setText(info.bucket)
        dialog.region.setText(info.region)
        dialog.endpoint.setText(info.endpoint)
        dialog.prefix.setText(prefix)
        dialog.access_key.setText(access)
        dialog.secret_key.setText(secret)
        save(dialog, qtbot)

        home = Path(env["ECAN_HOME"])
        config = gui.app.paths.default_config
        assert f"BUCKET: {info.bucket}" in config.read_text(encoding="utf-8")
        assert files_holding([home, config.parent], access, secret) == []
        # In use at once, from the keyring. (Compared aside: a failure must not print a key.)
        in_use = gui.app.config.storage.secret_key == secret
        assert in_use, "the keys typed are not in use"
        stored = PlaintextKeyring().get_password("ecan", "storage-access-keys")
        kept = stored is not None and json.loads(stored) == [access, secret]
        assert kept, "the keyring does not hold the keys typed"

        # Opened again, Settings says where the keys are, and shows neither.
        again = open_settings(gui, qtbot)
        qtbot.waitUntil(lambda: again.access_state.text() == "Saved in the system keyring.",
                        timeout=5000)
        assert again.access_remove.isVisible()
        assert again.access_key.text() == "" and again.secret_key.text() == ""
        again.close()
    finally:
        gui.close()

    # A command-line run with the same library and keyring uploads with those keys.
    pictures = make_pictures(2)
    code, imported = run_ecan(env, "import", *map(str, pictures))
    assert code == 0, imported
    code, synced = run_ecan(env, "sync", "--timeout", "60")
    assert code == 0 and synced["synced"] == 2, synced
    keys = objects_under(demo_cloud, prefix)
    assert len([k for k in keys if k.endswith("_original.png")]) == 2, keys
    assert files_holding([Path(env["ECAN_HOME"])], access, secret) == []


def test_keys_typed_in_settings_reach_the_running_sync_process(
        clean_env: dict[str, str], demo_cloud: DemoCloud, tmp_path: Path, qtbot: Any,
        make_pictures: Callable[..., list[Path]]) -> None:
    """The sync process never reads the keyring: after Save it is started again with the new
    keys, and the avatar waiting for them is uploaded."""
    info = demo_cloud.info
    prefix = f"creds-{uuid.uuid4().hex[:8]}/avatars/"
    config = tmp_path / "auth_config.yml"
    config.write_text(f"STORAGE:\n  BACKEND: s3\n  BUCKET: {info.bucket}\n"
                      f"  REGION: {info.region}\n  ENDPOINT_URL: {info.endpoint}\n"
                      f"  PATH_PREFIX: {prefix}\n", encoding="utf-8")
    gui = Gui({**clean_env, "ECAN_CONFIG": str(config)}, qtbot, sync=True)
    try:
        [picture] = make_pictures(1, "waiting")
        gui.call("avatar.import_paths", {"paths": [str(picture)]})
        launches: list[int] = []
        gui.worker.helper.launched.connect(lambda: launches.append(1))
        dialog = open_settings(gui, qtbot)
        assert dialog.access_key.isVisible()
        dialog.access_key.setText(info.admin.access_key_id)
        dialog.secret_key.setText(info.admin.secret_access_key)
        save(dialog, qtbot)
        qtbot.waitUntil(lambda: any(k.endswith("_original.png")
                                    for k in objects_under(demo_cloud, prefix)), timeout=60_000)
        assert launches == [1]
        assert info.admin.secret_access_key not in config.read_text(encoding="utf-8")
    finally:
        gui.close()


@pytest.fixture(scope="module")
def fake_gemini() -> Iterator[fg.FakeGemini]:
    server = fg.FakeGemini().start()
    yield server
    server.stop()


def test_a_gemini_key_typed_in_settings_is_found_by_the_generate_dialog_then_removed(
        clean_env: dict[str, str], fake_gemini: fg.FakeGemini, qtbot: Any,
        tmp_path: Path) -> None:
    from ecan.ui.generate_dialog import GenerateDialog

    fake_gemini.reset()
    env = {**clean_env, "GEMINI_BASE_URL": fake_gemini.url}
    gui = Gui(env, qtbot)
    try:
        before = GenerateDialog(gui.bridge)
        qtbot.addWidget(before)
        qtbot.waitUntil(lambda: "No Gemini API key" in before.status.text(), timeout=10_000)
        assert not before.generate_button.isEnabled()
        before.close()

        dialog = open_settings(gui, qtbot)
        assert dialog.gemini_key.echoMode() == dialog.gemini_key.EchoMode.Password
        dialog.gemini_key.setText(GEMINI_KEY)
        save(dialog, qtbot)
        kept = gui.app.keyring_backend.get_password("ecan", "gemini-api-key") == GEMINI_KEY
        assert kept, "the keyring does not hold the key typed"
        home = Path(env["ECAN_HOME"])
        assert files_holding([home], GEMINI_KEY) == []

        after = GenerateDialog(gui.bridge)
        qtbot.addWidget(after)
        photo = tmp_path / "me.png"
        photo.write_bytes(fg.png_bytes(96, (10, 200, 90)))
        after.photo.setText(str(photo))
        after.request.setPlainText("white coat")
        with qtbot.waitSignal(after.generated, timeout=30_000):
            after.generate_button.click()
        assert "No Gemini API key" not in after.status.text()
        # The key the server was sent is the one typed.
        sent = fake_gemini.requests[0].headers.get("x-goog-api-key") == GEMINI_KEY
        assert sent, "the server was not sent the key typed"
        after.close()
        assert files_holding([home], GEMINI_KEY) == []

        # Remove: gone from the keyring, and generating needs a key again.
        again = open_settings(gui, qtbot)
        qtbot.waitUntil(lambda: again.gemini_remove.isVisible(), timeout=5000)
        assert again.gemini_state.text() == "Saved in the system keyring."
        removed: list[str] = []
        again.removed.connect(removed.append)
        again.gemini_remove.click()
        qtbot.waitUntil(lambda: bool(removed), timeout=10_000)
        assert gui.app.keyring_backend.get_password("ecan", "gemini-api-key") is None
        assert not again.gemini_remove.isVisible()
        assert "never written to a file" in again.gemini_state.text()
        last = GenerateDialog(gui.bridge)
        qtbot.addWidget(last)
        qtbot.waitUntil(lambda: "No Gemini API key" in last.status.text(), timeout=10_000)
        last.close()
    finally:
        gui.close()


def test_keys_the_environment_sets_are_shown_as_its_own_and_never_saved(
        clean_env: dict[str, str], qtbot: Any) -> None:
    from PySide6.QtWidgets import QLabel

    home = Path(clean_env["ECAN_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    target = home / "auth_config.yml"
    target.write_text("# mine\nSTORAGE:\n  BACKEND: s3\n  BUCKET: file-bucket\n"
                      "  REGION: eu-west-1\n", encoding="utf-8")
    env = {**clean_env, "GEMINI_API_KEY": "AIzaSyFrom-the-environment-000000000",
           "AVATAR_CLOUD_ACCESS_KEY": "AKIAENVIRONMENT00001",
           "AVATAR_CLOUD_SECRET_KEY": "secret-from-the-environment"}
    gui = Gui(env, qtbot)
    try:
        dialog = open_settings(gui, qtbot)
        for edit in (dialog.gemini_key, dialog.access_key, dialog.secret_key):
            assert edit.isReadOnly() and edit.text() == ""  # the value is not shown either
        notes = [lab.text() for lab in dialog.findChildren(QLabel) if lab.isVisible()]
        assert any("Set by the environment variable GEMINI_API_KEY" in t for t in notes), notes
        assert any("AVATAR_CLOUD_ACCESS_KEY" in t for t in notes), notes
        assert any("AVATAR_CLOUD_SECRET_KEY" in t for t in notes), notes
        assert not dialog.gemini_remove.isVisible() and not dialog.access_remove.isVisible()
        dialog.region.setText("us-west-2")
        save(dialog, qtbot)
        text = target.read_text(encoding="utf-8")
        assert "REGION: us-west-2" in text and "# mine" in text and "file-bucket" in text
        assert files_holding([home], "from-the-environment", "AKIAENVIRONMENT") == []
        assert gui.app.keyring_backend.entries == {}  # nor in the keyring
    finally:
        gui.close()
