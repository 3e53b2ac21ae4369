"""Every flow a user pool sends people through, driven through ecan's handlers (the real
pycognito / boto3 clients) or the `ecan` command, against the demo cloud, which checks codes,
passwords and TOTP the way the real service does."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pyotp
import pytest

from ecan.app import App, build_app
from ecan.auth.secrets import MemoryKeyring
from ecan.democloud import DemoCloud


def _name() -> str:
    return f"u{uuid.uuid4().hex[:10]}"


PASSWORD = "Correct-Horse-7"


@pytest.fixture
def app(cloud_env: dict[str, str]) -> Iterator[App]:
    a = build_app(cloud_env, keyring_backend=MemoryKeyring())
    yield a
    a.close()


def _ok(app: App, method: str, payload: dict[str, Any] | None = None) -> Any:
    resp = app.handlers.call(method, payload)
    assert resp["ok"], resp
    return resp["data"]


def _err(app: App, method: str, payload: dict[str, Any]) -> dict[str, Any]:
    resp = app.handlers.call(method, payload)
    assert not resp["ok"], resp
    assert "Traceback" not in json.dumps(resp)
    return dict(resp["error"])


def _inbox(cloud: DemoCloud, username: str) -> list[dict[str, Any]]:
    req = urllib.request.Request(
        f"{cloud.info.endpoint}/ecan-demo/inbox?to={urllib.parse.quote(username)}",
        headers={"X-Ecan-Inbox-Token": cloud.info.inbox_token})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return list(json.loads(resp.read())["messages"])


def _code(cloud: DemoCloud, username: str) -> str:
    return str(_inbox(cloud, username)[-1]["code"])


def _admin(cloud: DemoCloud) -> Any:
    import boto3

    info = cloud.info
    return boto3.client("cognito-idp", endpoint_url=info.endpoint, region_name=info.region,
                        aws_access_key_id=info.admin.access_key_id,
                        aws_secret_access_key=info.admin.secret_access_key)


def _user(cloud: DemoCloud, *, temporary: bool = False, phone: str | None = None) -> str:
    """A user made by an administrator (a temporary password, or a permanent one)."""
    name = _name()
    attrs = [{"Name": "email", "Value": f"{name}@example.com"},
             {"Name": "email_verified", "Value": "true"}]
    if phone:
        attrs += [{"Name": "phone_number", "Value": phone},
                  {"Name": "phone_number_verified", "Value": "true"}]
    idp = _admin(cloud)
    idp.admin_create_user(UserPoolId=cloud.info.user_pool_id, Username=name,
                          TemporaryPassword="Temp-Pass-1", MessageAction="SUPPRESS",
                          UserAttributes=attrs)
    if not temporary:
        idp.admin_set_user_password(UserPoolId=cloud.info.user_pool_id, Username=name,
                                    Password=PASSWORD, Permanent=True)
    return name


def test_sign_up_with_the_e_mailed_code(app: App, demo_cloud: DemoCloud) -> None:
    name = _name()
    weak = _err(app, "auth.sign_up", {"username": name, "password": "short",
                                      "email": f"{name}@example.com"})
    assert weak["code"] == "weak_password" and "not long enough" in weak["message"]
    weak = _err(app, "auth.sign_up", {"username": name, "password": "no-upper-case-1",
                                      "email": f"{name}@example.com"})
    assert "uppercase" in weak["message"]

    signed = _ok(app, "auth.sign_up", {"username": name, "password": PASSWORD,
                                       "email": f"{name}@example.com"})
    assert signed["confirmed"] is False
    assert signed["code_sent_to"]["medium"] == "EMAIL"
    assert "@" in signed["code_sent_to"]["destination"]
    assert f"{name}@example.com" not in json.dumps(signed)  # masked, as the service does
    first = _code(demo_cloud, name)
    assert _err(app, "auth.sign_in", {"username": name, "password": PASSWORD})["code"] == \
        "user_not_confirmed"
    wrong = "000000" if first != "000000" else "111111"
    assert _err(app, "auth.confirm_sign_up", {"username": name, "code": wrong})["code"] == \
        "wrong_code"
    _ok(app, "auth.resend_code", {"username": name})
    second = _code(demo_cloud, name)
    if second != first:
        assert _err(app, "auth.confirm_sign_up", {"username": name, "code": first})["code"] == \
            "wrong_code"
    assert _ok(app, "auth.confirm_sign_up", {"username": name, "code": second})["confirmed"]
    assert _err(app, "auth.confirm_sign_up", {"username": name, "code": second})["code"] == \
        "already_confirmed"
    assert _err(app, "auth.sign_up", {"username": name, "password": PASSWORD,
                                      "email": f"{name}@example.com"})["code"] == "user_exists"
    data = _ok(app, "auth.sign_in", {"username": name, "password": PASSWORD})
    assert data["signed_in"] and data["account"] == name
    assert data["identity_id"].startswith("us-east-1:")


def test_too_many_wrong_codes_are_refused_for_a_while(app: App, demo_cloud: DemoCloud) -> None:
    name = _name()
    _ok(app, "auth.sign_up", {"username": name, "password": PASSWORD,
                              "email": f"{name}@example.com"})
    right = _code(demo_cloud, name)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert _err(app, "auth.confirm_sign_up", {"username": name, "code": wrong})["code"] == \
            "wrong_code"
    throttled = _err(app, "auth.confirm_sign_up", {"username": name, "code": right})
    assert throttled["code"] == "throttled" and throttled["hint"]


def test_forgot_password_then_a_new_one(app: App, demo_cloud: DemoCloud) -> None:
    name = _user(demo_cloud)
    sent = _ok(app, "auth.forgot_password", {"username": name})
    assert sent["code_sent_to"]["medium"] == "EMAIL"
    code = _code(demo_cloud, name)
    assert _inbox(demo_cloud, name)[-1]["purpose"] == "password reset"
    new = "Brand-New-Pass-8"
    weak = _err(app, "auth.confirm_forgot_password",
                {"username": name, "code": code, "new_password": "alllowercase1"})
    assert weak["code"] == "weak_password" and "uppercase" in weak["message"]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert _err(app, "auth.confirm_forgot_password", {
        "username": name, "code": wrong, "new_password": new})["code"] == "wrong_code"
    _ok(app, "auth.confirm_forgot_password", {"username": name, "code": code,
                                              "new_password": new})
    used = _err(app, "auth.confirm_forgot_password",
                {"username": name, "code": code, "new_password": "Another-Pass-9"})
    assert used["code"] == "expired_code"
    assert _err(app, "auth.sign_in", {"username": name, "password": PASSWORD})["code"] == \
        "wrong_password"
    assert _ok(app, "auth.sign_in", {"username": name, "password": new})["signed_in"]
    unknown = _err(app, "auth.forgot_password", {"username": _name()})
    assert unknown["code"] == "unknown_user"


def test_an_admin_made_user_sets_a_new_password_at_first_login(
        cloud_env: dict[str, str], demo_cloud: DemoCloud, tmp_path: Path) -> None:
    name = _user(demo_cloud, temporary=True)
    env = {**cloud_env, "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
           "XDG_DATA_HOME": str(tmp_path / "keyring")}

    def login(stdin: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ecan", "login", "--username", name,
                               "--password-stdin", "--json"], env=env, input=stdin,
                              capture_output=True, text=True, timeout=120)

    weak = login("Temp-Pass-1\nweak\n")
    assert weak.returncode == 1
    assert "uppercase" in weak.stderr or "long enough" in weak.stderr
    assert "Traceback" not in weak.stderr
    done = login("Temp-Pass-1\nMy-Own-Pass-5\n")
    assert done.returncode == 0, done.stderr
    assert "needs a new password" in done.stderr
    assert json.loads(done.stdout)["account"] == name
    again = login("My-Own-Pass-5\n")
    assert again.returncode == 0, again.stderr


def test_an_authenticator_app_is_set_up_then_asked_at_each_sign_in(
        app: App, demo_cloud: DemoCloud) -> None:
    name = _user(demo_cloud)
    _ok(app, "auth.sign_in", {"username": name, "password": PASSWORD})
    setup = _ok(app, "auth.setup_totp")
    assert setup["otpauth_uri"].startswith(f"otpauth://totp/ecan%3A{name}?secret=")
    assert base64.b64decode(setup["qr_png_base64"]).startswith(b"\x89PNG")
    totp = pyotp.TOTP(setup["secret"])
    wrong = f"{(int(totp.now()) + 500_000) % 1_000_000:06d}"
    assert _err(app, "auth.verify_totp", {"code": wrong})["code"] == "wrong_code"
    assert _ok(app, "auth.verify_totp", {"code": totp.now()})["enabled"]
    _ok(app, "auth.sign_out")

    step = _ok(app, "auth.sign_in", {"username": name, "password": PASSWORD})
    assert (step["challenge"], step["signed_in"]) == ("SOFTWARE_TOKEN_MFA", False)
    assert _ok(app, "auth.status")["signed_in"] is False
    assert _err(app, "auth.respond_mfa", {"challenge_id": step["challenge_id"],
                                          "code": wrong})["code"] == "wrong_code"
    data = _ok(app, "auth.respond_mfa", {"challenge_id": step["challenge_id"],
                                         "code": totp.now()})
    assert data["signed_in"] and data["account"] == name


def test_a_text_message_code_at_sign_in(app: App, demo_cloud: DemoCloud) -> None:
    name = _user(demo_cloud, phone="+15555550123")
    _admin(demo_cloud).admin_set_user_mfa_preference(
        UserPoolId=demo_cloud.info.user_pool_id, Username=name,
        SMSMfaSettings={"Enabled": True, "PreferredMfa": True})
    step = _ok(app, "auth.sign_in", {"username": name, "password": PASSWORD})
    assert step["challenge"] == "SMS_MFA"
    assert step["destination"] == "+*******0123"
    message = _inbox(demo_cloud, name)[-1]
    assert (message["medium"], message["address"]) == ("SMS", "+15555550123")
    wrong = f"{(int(message['code']) + 1) % 1_000_000:06d}"
    assert _err(app, "auth.respond_mfa", {"challenge_id": step["challenge_id"],
                                          "code": wrong})["code"] == "wrong_code"
    data = _ok(app, "auth.respond_mfa", {"challenge_id": step["challenge_id"],
                                         "code": message["code"]})
    assert data["signed_in"] and data["identity_id"].startswith("us-east-1:")


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.action = a.get("action") or ""
        if tag == "input" and a.get("name"):
            self.fields[str(a["name"])] = a.get("value") or ""


def _browser(url: str, username: str, password: str) -> str:
    """What a person does in the browser: open the page, fill the form, send it; the pool
    redirects to ecan's loopback listener (urllib follows, as the browser would)."""
    with urllib.request.urlopen(url, timeout=10) as resp:
        form = _Form()
        form.feed(resp.read().decode())
    fields = {**form.fields, "username": username, "password": password}
    target = urllib.parse.urljoin(url, form.action)
    with urllib.request.urlopen(urllib.request.Request(
            target, data=urllib.parse.urlencode(fields).encode(), method="POST"),
            timeout=10) as resp:
        return resp.read().decode()


def test_sign_in_in_the_browser_with_pkce_and_a_loopback_redirect(
        app: App, demo_cloud: DemoCloud) -> None:
    name = _user(demo_cloud)
    started = _ok(app, "auth.hosted_ui_start")
    query = urllib.parse.parse_qs(urllib.parse.urlparse(started["url"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["state"][0]
    # `localhost` (Cognito's one plain-http name), on the listener's own port.
    assert re.match(r"^http://localhost:\d+/callback$", query["redirect_uri"][0])
    page = _browser(started["url"], name, PASSWORD)
    assert "return to ecan" in page
    data = _ok(app, "auth.hosted_ui_finish", {"flow_id": started["flow_id"], "timeout_s": 30})
    assert data["signed_in"] and data["account"] == name
    assert data["identity_id"].startswith("us-east-1:")
    assert _ok(app, "auth.status")["username"] == name


def test_the_hosted_ui_refuses_a_code_without_its_verifier(
        app: App, demo_cloud: DemoCloud) -> None:
    started = _ok(app, "auth.hosted_ui_start")
    query = {k: v[0] for k, v in urllib.parse.parse_qs(
        urllib.parse.urlparse(started["url"]).query).items()}
    app.auth.hosted_ui.cancel(started["flow_id"])
    # The code an eavesdropper might catch on its way to the loopback address is useless
    # without the verifier that only the ecan that started the sign-in holds.
    form = {k: query[k] for k in ("response_type", "client_id", "redirect_uri", "state",
                                  "code_challenge", "code_challenge_method")}
    form.update(username=_user(demo_cloud), password=PASSWORD)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(urllib.request.Request(f"{demo_cloud.info.endpoint}/login",
                                           data=urllib.parse.urlencode(form).encode()))
        raise AssertionError("no redirect")
    except urllib.error.HTTPError as e:
        location = e.headers["Location"]
    code = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)["code"][0]
    body = urllib.parse.urlencode({"grant_type": "authorization_code", "code": code,
                                   "client_id": query["client_id"],
                                   "redirect_uri": query["redirect_uri"],
                                   "code_verifier": "not-the-verifier"}).encode()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{demo_cloud.info.endpoint}/oauth2/token", data=body)
    assert json.loads(refused.value.read())["error"] == "invalid_grant"


def test_signing_out_revokes_the_refresh_token(app: App, demo_cloud: DemoCloud) -> None:
    name = _user(demo_cloud)
    _ok(app, "auth.sign_in", {"username": name, "password": PASSWORD})
    refresh = json.loads(app.auth.export_session() or "{}")["refresh_token"]
    _ok(app, "auth.sign_out")
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    idp = boto3.client("cognito-idp", endpoint_url=demo_cloud.info.endpoint,
                       region_name=demo_cloud.info.region,
                       config=Config(signature_version=UNSIGNED))
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.initiate_auth(ClientId=demo_cloud.info.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                          AuthParameters={"REFRESH_TOKEN": refresh})


def test_every_flow_from_the_command_line(cloud_env: dict[str, str], demo_cloud: DemoCloud,
                                          tmp_path: Path) -> None:
    env = {**cloud_env, "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
           "XDG_DATA_HOME": str(tmp_path / "keyring"), "BROWSER": "true"}
    name = _name()

    def ecan(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "ecan", *args, "--json"], env=env,
                              input=stdin, capture_output=True, text=True, timeout=120)
        assert "Traceback" not in done.stderr + done.stdout
        return done

    made = ecan("signup", "--username", name, "--email", f"{name}@example.com",
                "--password-stdin", stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    code = _code(demo_cloud, name)
    wrong = ecan("confirm", "--username", name, "--code", f"{(int(code) + 1) % 10**6:06d}")
    assert wrong.returncode == 1 and json.loads(wrong.stdout)["error"]["code"] == "wrong_code"
    assert ecan("confirm", "--username", name, "--code", code).returncode == 0
    assert ecan("forgot-password", "--username", name).returncode == 0
    new = "Reset-Pass-4"
    reset = ecan("reset-password", "--username", name, "--code", _code(demo_cloud, name),
                 "--password-stdin", stdin=new + "\n")
    assert reset.returncode == 0, reset.stderr
    assert ecan("login", "--username", name, "--password-stdin", stdin=new + "\n").returncode == 0

    # An authenticator app: the key is shown, then its code is asked for.
    png = tmp_path / "qr.png"
    proc = subprocess.Popen([sys.executable, "-m", "ecan", "mfa", "setup", "--code-stdin",
                             "--png", str(png), "--json"], env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdin is not None and proc.stderr is not None
    secret = ""
    for line in proc.stderr:
        if "type this key into the app:" in line:
            secret = line.rsplit(":", 1)[1].strip()
            break
    proc.stdin.write(pyotp.TOTP(secret).now() + "\n")
    proc.stdin.flush()
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0 and json.loads(out)["enabled"]
    assert png.read_bytes().startswith(b"\x89PNG")

    assert ecan("logout").returncode == 0
    again = ecan("login", "--username", name, "--password-stdin",
                 stdin=f"{new}\n{pyotp.TOTP(secret).now()}\n")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["account"] == name

    # The browser: ecan prints the page's address and waits for the browser to come back.
    assert ecan("logout").returncode == 0
    other = _user(demo_cloud)
    proc = subprocess.Popen([sys.executable, "-m", "ecan", "login", "--browser", "--timeout",
                             "60", "--json"], env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stderr is not None
    url = ""
    for line in proc.stderr:
        if line.startswith("http"):
            url = line.strip()
            break
    assert "/oauth2/authorize?" in url
    _browser(url, other, PASSWORD)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0 and json.loads(out)["account"] == other
