"""The temporary AWS credentials of a signed-in user live in the keyring entry beside the refresh
token for their lifetime: the next `ecan sync` uploads with them without asking the sign-in
service anything (no pycognito, no Cognito request); expired or refused ones are renewed once
and the sync still goes through; signing out takes them out of the keyring."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image

from ecan.cli.main import main
from tests.faultproxy import FaultProxy


class SignedIn:
    """One ECAN_HOME signed in to a demo cloud whose sign-in service (user pool, identity
    pool) is reached only through a counting proxy; storage goes straight to the cloud."""

    def __init__(self, cloud: Any, proxy: FaultProxy, tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        self.cloud, self.proxy, self.tmp, self.capsys = cloud, proxy, tmp_path, capsys
        doc = cloud.info.config_document()
        doc["COGNITO"]["ENDPOINT_URL"] = proxy.url
        config = tmp_path / "cloud.yml"
        config.write_text(yaml.safe_dump(doc))
        monkeypatch.setenv("ECAN_CONFIG", str(config))
        monkeypatch.setenv("ECAN_HOME", str(tmp_path / "home"))
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "keyring"))
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
        self.user = cloud.info.users[0]
        monkeypatch.setattr("sys.stdin", io.StringIO(self.user.password + "\n"))
        assert self.cli("login", "--username", self.user.username, "--password-stdin")[0] == 0
        self.pictures = 0

    def cli(self, *args: str) -> tuple[int, Any]:
        code = main([*args, "--json"])
        lines = self.capsys.readouterr().out.strip().splitlines()
        return code, json.loads(lines[-1]) if lines else None

    def new_picture(self) -> None:
        self.pictures += 1
        path = self.tmp / f"pic{self.pictures}.png"
        Image.new("RGB", (64 + self.pictures, 48), (self.pictures * 37 % 256, 90, 140)).save(path)
        assert self.cli("import", str(path))[0] == 0

    def sync(self) -> int:
        code, data = self.cli("sync")
        assert code == 0, data
        return int(data["synced"])

    def uploaded(self) -> int:
        s3 = self.cloud.admin_client("s3")
        found = s3.list_objects_v2(Bucket=self.cloud.info.bucket)
        return sum("/images/" in o["Key"] and "thumb" not in o["Key"]
                   for o in found.get("Contents") or [])

    # The keyring entry (keyrings.alt's plaintext file, outside ECAN_HOME).
    def _keyring(self) -> Any:
        from keyrings.alt.file import PlaintextKeyring

        return PlaintextKeyring()

    def _entry(self) -> tuple[str, str, dict[str, Any]] | None:
        import configparser

        from keyrings.alt.escape import unescape

        kr = self._keyring()
        parser = configparser.RawConfigParser()
        parser.read(kr.file_path)
        for section in parser.sections():
            for option in parser.options(section):
                service, account = unescape(section), unescape(option)
                raw = kr.get_password(service, account)
                if raw and "refresh_token" in raw:
                    return service, account, json.loads(raw)
        return None

    def kept(self) -> dict[str, Any] | None:
        entry = self._entry()
        assert entry is not None, "signed in, yet no session in the keyring"
        return entry[2].get("aws")

    def change_kept(self, **changes: Any) -> None:
        entry = self._entry()
        assert entry is not None
        service, account, blob = entry
        blob["aws"] = {**blob["aws"], **changes}
        self._keyring().set_password(service, account, json.dumps(blob))

    def keyring_values(self) -> list[str]:
        import configparser

        from keyrings.alt.escape import unescape

        kr = self._keyring()
        parser = configparser.RawConfigParser()
        parser.read(kr.file_path)
        return [kr.get_password(unescape(section), unescape(option)) or ""
                for section in parser.sections() for option in parser.options(section)]


@pytest.fixture
def signed_in(make_demo_cloud: Callable[..., Any], clean_env: dict[str, str], tmp_path: Path,
              monkeypatch: pytest.MonkeyPatch,
              capsys: pytest.CaptureFixture[str]) -> Iterator[SignedIn]:
    # Credentials that live 15 minutes: a test's second sync is well inside their life.
    cloud = make_demo_cloud(credential_ttl_s=900)
    with FaultProxy(cloud.info.endpoint) as proxy:
        yield SignedIn(cloud, proxy, tmp_path, monkeypatch, capsys)


def test_a_second_sync_within_the_credentials_life_asks_the_sign_in_service_nothing(
        signed_in: SignedIn) -> None:
    s = signed_in
    s.new_picture()
    assert s.sync() == 1
    kept = s.kept()
    assert kept is not None and kept["access_key"]

    s.proxy.requests = 0
    s.new_picture()
    assert s.sync() == 1
    assert s.uploaded() == 2
    assert s.proxy.requests == 0  # no refresh, no JWKS, no GetId, no GetCredentialsForIdentity

    # A fresh process (what a user runs) does not even load the sign-in library (pycognito,
    # with PyJWT and requests), nor boto3 and its s3transfer, nor botocore itself: small files
    # go up, and the listings and checks around them go out, on the direct path, signed with
    # the kept credentials. Each costs a signed-in sync's start tens of ms before its first
    # upload (sqlmodel hundreds).
    s.new_picture()
    root = Path(__file__).resolve().parents[2]
    heavy = ("pycognito", "jwt", "requests", "boto3", "s3transfer", "sqlmodel", "botocore")
    probe = ("import json, sys\n"
             "from ecan.cli.main import main\n"
             "code = main(['sync', '--json'])\n"
             f"print(json.dumps({{'code': code, 'loaded': [m for m in {heavy!r} "
             "if m in sys.modules]}))")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=root,
                       env={**os.environ, "PYTHONPATH": str(root)}, timeout=120)
    assert json.loads(r.stdout.strip().splitlines()[-1]) == {"code": 0, "loaded": []}, \
        r.stderr[-2000:]
    assert s.uploaded() == 3
    assert s.proxy.requests == 0


def test_kept_credentials_are_looked_over_once_per_set_and_expire_by_the_clock(
        signed_in: SignedIn, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request of the direct path asks for the kept credentials. Whose identity they
    belong to (a database read, under the lock every sync worker takes) is checked once per set;
    their life, at every ask: near their end they are no longer handed out."""
    import datetime as dt

    from ecan.app import build_app
    from ecan.db.database import Database

    s = signed_in
    s.new_picture()
    assert s.sync() == 1
    app = build_app(dict(os.environ))
    try:
        reads: list[str] = []
        read = Database.get_setting

        def counted(db: Database, key: str, default: str | None = None) -> str | None:
            reads.append(key)
            return read(db, key, default)

        monkeypatch.setattr(Database, "get_setting", counted)
        kept = s.kept()
        assert kept is not None
        first = app.auth.kept_credentials()
        assert first is not None and first.access_key == kept["access_key"]
        assert all(app.auth.kept_credentials() == first for _ in range(100))
        assert len(reads) == 1, reads

        # 900 s credentials are renewed once a third of their life is left: 11 minutes on.
        class Later(dt.datetime):
            @classmethod
            def now(cls, tz: dt.tzinfo | None = None) -> Later:  # type: ignore[override]
                return super().now(tz) + dt.timedelta(minutes=11)

        monkeypatch.setattr(dt, "datetime", Later)
        assert app.auth.kept_credentials() is None
    finally:
        app.close()


def test_expired_kept_credentials_are_renewed_and_the_sync_goes_through(
        signed_in: SignedIn) -> None:
    s = signed_in
    s.new_picture()
    assert s.sync() == 1
    s.change_kept(expiry_time="2020-01-01T00:00:00+00:00")

    s.proxy.requests = 0
    s.new_picture()
    assert s.sync() == 1
    assert s.uploaded() == 2
    assert s.proxy.requests > 0  # renewed through the sign-in service
    kept = s.kept()
    assert kept is not None and kept["expiry_time"] > "2021"


def test_kept_credentials_the_storage_refuses_are_renewed_once(signed_in: SignedIn) -> None:
    """Still in their life by the clock, but the storage no longer knows them (revoked, or a
    cloud that forgot them): the first refused request fetches new ones and is sent again."""
    s = signed_in
    s.new_picture()
    assert s.sync() == 1
    forged = "ASIA" + "Q" * 16
    s.change_kept(access_key=forged)

    s.new_picture()
    assert s.sync() == 1
    assert s.uploaded() == 2
    kept = s.kept()
    renewed = kept is not None and kept["access_key"] != forged
    assert renewed, "the refused credentials are still kept"  # (no secret in the output)


def test_signing_out_removes_the_kept_credentials_from_the_keyring(signed_in: SignedIn) -> None:
    s = signed_in
    s.new_picture()
    assert s.sync() == 1
    kept = s.kept()
    assert kept is not None
    assert s.cli("logout")[0] == 0
    assert s._entry() is None  # no session left in the keyring, kept credentials included
    # (The plaintext keyring stores values base64-encoded: decoded, every value is checked.)
    left = "\n".join(s.keyring_values())
    gone = not any(kept[k] in left for k in ("access_key", "secret_key", "token"))
    assert gone, "the kept credentials outlived sign-out"
