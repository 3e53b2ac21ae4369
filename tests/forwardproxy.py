"""A small forwarding HTTP proxy on 127.0.0.1 for tests: what a company's proxy is to ecan.
Clients send it absolute-URI requests (`GET http://host:port/path`); it counts each, checks
the Proxy-Authorization it asks for (407 otherwise), and forwards it to the host named. Plain
http only (the local demo cloud); a thread per connection."""

from __future__ import annotations

import base64
import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_HOP = {"connection", "keep-alive", "proxy-authorization", "proxy-connection", "te",
        "trailer", "transfer-encoding", "upgrade", "expect"}


class ForwardProxy:
    """`requests`: (method, host:port, path) of every request forwarded; `refused`: how many
    were answered 407 (no or wrong credentials)."""

    def __init__(self, user: str | None = None, password: str | None = None) -> None:
        self.requests: list[tuple[str, str, str]] = []
        self.refused = 0
        self._lock = threading.Lock()
        self._expected = None if user is None else "Basic " + base64.b64encode(
            f"{user}:{password}".encode()).decode()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if proxy._expected is not None and \
                        self.headers.get("Proxy-Authorization") != proxy._expected:
                    with proxy._lock:
                        proxy.refused += 1
                    self.send_response(407)
                    self.send_header("Proxy-Authenticate", 'Basic realm="test"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                target = urlsplit(self.path)
                with proxy._lock:
                    proxy.requests.append((self.command, target.netloc, target.path))
                upstream = http.client.HTTPConnection(target.hostname or "", target.port or 80,
                                                      timeout=30)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                    path = target.path + (f"?{target.query}" if target.query else "")
                    upstream.request(self.command, path or "/", body=body, headers=headers)
                    response = upstream.getresponse()
                    data = response.read()
                    self.send_response(response.status, response.reason)
                    for key, value in response.getheaders():
                        if key.lower() not in _HOP and key.lower() != "content-length":
                            self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                finally:
                    upstream.close()

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _forward

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> ForwardProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
