"""Sign-in through the user pool's hosted UI in the system browser (RFC 8252): authorization code
with PKCE (S256) and `state`, the browser sent back to a one-shot HTTP listener on 127.0.0.1.
This is also how a pool's Google or SAML federation reaches a desktop app."""

from __future__ import annotations

import base64
import errno
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlparse

from ecan.config import CALLBACK_PATH, callback_url
from ecan.errors import ConfigError, UserFacingError

if TYPE_CHECKING:
    from ecan.auth.session import AuthService

log = logging.getLogger(__name__)

_PAGE = ("<!doctype html><meta charset=utf-8><title>ecan</title>"
         "<body style='font-family:sans-serif;margin:3em'><h1>{title}</h1><p>{text}</p>")


def hosted_ui_base(domain: str) -> str:
    """COGNITO.DOMAIN as a base URL: a bare host name means https; http only on loopback."""
    domain = domain.strip().rstrip("/")
    if not domain:
        raise ConfigError("COGNITO.DOMAIN", "the hosted UI is not configured",
                          "Set COGNITO.DOMAIN to the user pool's domain "
                          "(e.g. myapp.auth.us-east-1.amazoncognito.com).")
    if "://" not in domain:
        domain = f"https://{domain}"
    url = urlparse(domain)
    if url.scheme != "https" and not (url.scheme == "http" and url.hostname in (
            "127.0.0.1", "localhost", "::1")):
        raise ConfigError("COGNITO.DOMAIN", f"{domain} is not an https address",
                          "Use the pool's https domain (http only for a local test cloud).")
    return domain


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, code_challenge) for S256 (RFC 7636)."""
    verifier = secrets.token_urlsafe(64)[:96]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


@dataclass
class _Flow:
    id: str
    state: str = field(repr=False)
    verifier: str = field(repr=False)
    redirect_uri: str
    server: HTTPServer
    done: threading.Event = field(default_factory=threading.Event)
    code: str | None = field(default=None, repr=False)
    error: str | None = None
    cancelled: bool = False
    started: float = field(default_factory=time.monotonic)


class HostedUiLogin:
    """start() opens a loopback listener and returns the authorize URL; finish() waits for the
    browser to come back, checks `state`, and trades the code (with the PKCE verifier) for
    tokens at the pool's /oauth2/token, verified like any other sign-in's."""

    def __init__(self, auth: AuthService) -> None:
        self._auth = auth
        self._flows: dict[str, _Flow] = {}
        self._lock = threading.Lock()

    def start(self) -> dict[str, Any]:
        cg = self._auth._cg
        self._auth._require_configured()
        base = hosted_ui_base(cg.domain)
        verifier, challenge = pkce_pair()
        flow_id, state = secrets.token_urlsafe(16), secrets.token_urlsafe(24)
        flows = self._flows
        # One browser sign-in at a time: they share the callback port, and the user who starts
        # again has given up on the one before (its finish() returns "cancelled").
        with self._lock:
            waiting = list(self._flows)
        for old in waiting:
            self.cancel(old)

        class Callback(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                url = urlparse(self.path)
                flow = flows.get(flow_id)
                if url.path != CALLBACK_PATH or flow is None:
                    self._page(404, "Not found", "This address is ecan's sign-in listener.")
                    return
                query = parse_qs(url.query)
                got_state = (query.get("state") or [""])[0]
                if not hmac.compare_digest(got_state.encode(), flow.state.encode()):
                    # Someone else's redirect (or a forged one): ignore it, keep waiting.
                    self._page(400, "Sign-in refused", "This answer does not belong to the "
                               "sign-in ecan started. Start again from ecan.")
                    return
                if query.get("error"):
                    flow.error = (query.get("error_description") or query["error"])[0][:300]
                    self._page(200, "Sign-in failed", "Return to ecan to see why.")
                else:
                    flow.code = (query.get("code") or [""])[0] or None
                    self._page(200, "Signed in", "You can close this window and return to ecan.")
                flow.done.set()

            def _page(self, status: int, title: str, text: str) -> None:
                body = _PAGE.format(title=title, text=text).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:  # the query carries the code
                return

        try:
            # Bound to 127.0.0.1 while the redirect names `localhost`: Cognito accepts plain
            # http only for that name, and the listener must not be reachable from the network.
            server = HTTPServer(("127.0.0.1", cg.callback_port), Callback)
        except OSError as e:
            if e.errno != errno.EADDRINUSE:
                raise
            raise UserFacingError(
                "callback_port_busy",
                f"Port {cg.callback_port} on this computer, where the browser comes back to "
                "ecan after signing in, is used by another program.",
                "Close that program, or set COGNITO.CALLBACK_PORT (or ECAN_CALLBACK_PORT) to a "
                "free port and add http://localhost:<port>/callback to the app client's "
                "callback URLs.") from None
        redirect_uri = callback_url(server.server_port)
        flow = _Flow(flow_id, state, verifier, redirect_uri, server)
        with self._lock:
            self._flows[flow_id] = flow
        threading.Thread(target=server.serve_forever, name="ecan-hosted-ui", daemon=True).start()
        query = urlencode({"response_type": "code", "client_id": cg.client_id,
                           "redirect_uri": redirect_uri, "scope": "openid email profile",
                           "state": state, "code_challenge": challenge,
                           "code_challenge_method": "S256"})
        return {"flow_id": flow_id, "url": f"{base}/oauth2/authorize?{query}",
                "redirect_uri": redirect_uri}

    def cancel(self, flow_id: str) -> None:
        with self._lock:
            flow = self._flows.pop(flow_id, None)
        if flow is not None:
            if not flow.done.is_set():
                # A finish() still waiting returns now instead of holding its thread until
                # the timeout.
                flow.error = flow.error or "cancelled"
                flow.cancelled = True
                flow.done.set()
            flow.server.shutdown()
            flow.server.server_close()

    def finish(self, flow_id: str, *, timeout: float = 300.0) -> Any:
        """Wait for the browser; return the verified tokens (a pycognito object)."""
        with self._lock:
            flow = self._flows.get(flow_id)
        if flow is None:
            raise UserFacingError("challenge_expired", "This browser sign-in is not running.",
                                  "Start the sign-in again.")
        try:
            if not flow.done.wait(timeout):
                raise UserFacingError("browser_timeout", "The browser did not come back to ecan.",
                                      "Finish signing in in the browser, or start again.")
        finally:
            self.cancel(flow_id)
        if flow.cancelled:
            raise UserFacingError("cancelled", "The browser sign-in was cancelled.", "")
        if flow.error or not flow.code:
            raise UserFacingError("browser_sign_in_failed",
                                  f"The sign-in page refused: {flow.error or 'no code'}.",
                                  "Try again, or sign in with your username and password.")
        tokens = self._exchange(flow)
        cog = self._auth._new_cognito(None)
        try:
            cog._set_tokens({"AuthenticationResult": {
                "IdToken": tokens["id_token"], "AccessToken": tokens["access_token"],
                "RefreshToken": tokens.get("refresh_token"),
                "TokenType": tokens.get("token_type", "Bearer")}})
        except Exception as e:  # noqa: BLE001
            raise self._auth._map_error(e, during="sign-in") from None
        cog.username = str((cog.id_claims or {}).get("cognito:username") or "")
        return cog

    def _exchange(self, flow: _Flow) -> dict[str, Any]:
        from ecan.auth.session import open_url

        cg = self._auth._cg
        body = urlencode({"grant_type": "authorization_code", "client_id": cg.client_id,
                          "code": flow.code, "redirect_uri": flow.redirect_uri,
                          "code_verifier": flow.verifier}).encode()
        req = urllib.request.Request(
            f"{hosted_ui_base(cg.domain)}/oauth2/token", data=body, method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with open_url(self._auth._config.network, req, 15) as resp:
                doc = json.loads(resp.read(1_000_000))
        except urllib.error.HTTPError as e:
            try:
                reason = str(json.loads(e.read(10_000)).get("error", e.code))
            except ValueError:
                reason = str(e.code)
            raise UserFacingError("browser_sign_in_failed",
                                  f"The pool refused the browser's sign-in ({reason}).",
                                  "Start the sign-in again; check COGNITO.DOMAIN and that the "
                                  "app client allows the authorization code grant.") from None
        except (urllib.error.URLError, OSError, ValueError):
            from ecan.auth.session import AuthNetworkError

            raise AuthNetworkError(cg.domain) from None
        if not isinstance(doc, dict) or not doc.get("id_token") or not doc.get("access_token"):
            raise UserFacingError("browser_sign_in_failed", "The pool sent no tokens.",
                                  "Start the sign-in again.")
        return doc
