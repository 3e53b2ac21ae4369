"""A small fault-injecting HTTP proxy on 127.0.0.1 for sync tests: sits in front of a (moto) S3
endpoint and, per request, answers 500, resets the connection, stalls, adds latency, or damages
the request body on its way (one byte flipped); or plays "server gone" by resetting every
connection. Bounded: a thread per connection, a cap on
connections, stalls capped at a few seconds."""

from __future__ import annotations

import http.client
import random
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable
from urllib.parse import urlparse

_ERROR_500 = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code>"
              b"<Message>injected by faultproxy</Message></Error>")
_HOP = {"connection", "keep-alive", "transfer-encoding", "expect", "proxy-connection", "te",
        "upgrade"}
MAX_CONNECTIONS = 64
MAX_STALL_S = 5.0


class FaultProxy:
    """`fail_rate` of requests get a fault from `faults` ("500", "reset", "stall");
    `latency_s` delays every forwarded request; `down = True` resets every connection;
    `corrupt(method, path)` true: that request's body reaches upstream with one byte flipped.
    Counters: `connections`, `requests`, `injected` (by kind), `forwarded` ((method, path) ->
    count of successful 2xx answers from upstream)."""

    def __init__(self, upstream: str, *, fail_rate: float = 0.0,
                 faults: tuple[str, ...] = ("500", "reset"), latency_s: float = 0.0,
                 stall_s: float = 2.0, seed: int = 0) -> None:
        u = urlparse(upstream)
        self.upstream = (u.hostname or "127.0.0.1", u.port or 80)
        self.fail_rate = fail_rate
        self.faults = faults
        self.latency_s = latency_s
        self.stall_s = min(stall_s, MAX_STALL_S)
        self.down = False
        self.corrupt: Callable[[str, str], bool] | None = None
        self.requests = 0
        self.connections = 0  # accepted, including those reset at once while `down`
        self.injected: Counter[str] = Counter()
        self.forwarded: Counter[tuple[str, str]] = Counter()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(128)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._closed = False
        self._thread = threading.Thread(target=self._accept_loop, name="faultproxy", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closed = True
        try:
            self._sock.close()
        except OSError:
            pass

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing ------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            if self.down:
                _reset(conn)
                continue
            if not self._slots.acquire(timeout=5):
                _reset(conn)
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _pick_fault(self) -> str | None:
        with self._lock:
            self.requests += 1
            if self.fail_rate and self._random.random() < self.fail_rate:
                kind = self._random.choice(self.faults)
                self.injected[kind] += 1
                return kind
        return None

    def _serve(self, conn: socket.socket) -> None:
        upstream: http.client.HTTPConnection | None = None
        reader = conn.makefile("rb")
        try:
            conn.settimeout(30)
            while not self._closed:
                request = _read_request(reader, conn)
                if request is None:
                    return
                method, path, headers, body = request
                if self.down:
                    _reset(conn)
                    return
                fault = self._pick_fault()
                if fault == "reset":
                    _reset(conn)
                    return
                if fault == "stall":
                    time.sleep(self.stall_s)
                    _reset(conn)
                    return
                if fault == "500":
                    conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\n"
                                 b"Content-Type: application/xml\r\n"
                                 + f"Content-Length: {len(_ERROR_500)}\r\n\r\n".encode()
                                 + _ERROR_500)
                    continue
                if self.latency_s:
                    time.sleep(self.latency_s)
                corrupt = self.corrupt
                if body and corrupt is not None and corrupt(method, path):
                    middle = len(body) // 2  # in the data, past any aws-chunked framing
                    body = body[:middle] + bytes([body[middle] ^ 0xFF]) + body[middle + 1:]
                    with self._lock:
                        self.injected["corrupt"] += 1
                if upstream is None:
                    upstream = http.client.HTTPConnection(*self.upstream, timeout=30)
                fwd = {k: v for k, v in headers if k.lower() not in _HOP}
                upstream.request(method, path, body=body if body else None, headers=fwd)
                resp = upstream.getresponse()
                data = resp.read()
                if 200 <= resp.status < 300:
                    with self._lock:
                        self.forwarded[(method, path.split("?")[0])] += 1
                out = [f"HTTP/1.1 {resp.status} {resp.reason}\r\n".encode()]
                has_length = False
                for k, v in resp.getheaders():
                    if k.lower() in _HOP:
                        continue
                    if k.lower() == "content-length":
                        has_length = True
                        if method != "HEAD":
                            v = str(len(data))
                    out.append(f"{k}: {v}\r\n".encode("latin-1"))
                if not has_length:
                    out.append(f"Content-Length: {len(data)}\r\n".encode())
                out.append(b"\r\n")
                conn.sendall(b"".join(out) + (data if method != "HEAD" else b""))
        except (OSError, http.client.HTTPException):
            return
        finally:
            self._slots.release()
            try:
                reader.close()
                conn.close()
            except OSError:
                pass
            if upstream is not None:
                upstream.close()


def _reset(conn: socket.socket) -> None:
    """Close with RST (SO_LINGER 0): the client sees 'connection reset by peer'."""
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
    except OSError:
        pass


def _read_request(reader: object, conn: socket.socket
                  ) -> tuple[str, str, list[tuple[str, str]], bytes] | None:
    f = reader  # a buffered binary file over the socket
    line = f.readline(65537)  # type: ignore[attr-defined]
    if not line:
        return None
    try:
        method, path, _ = line.decode("latin-1").split(" ", 2)
    except ValueError:
        return None
    headers: list[tuple[str, str]] = []
    while True:
        h = f.readline(65537)  # type: ignore[attr-defined]
        if h in (b"\r\n", b"\n", b""):
            break
        k, _, v = h.decode("latin-1").partition(":")
        headers.append((k.strip(), v.strip()))
    names = {k.lower(): v for k, v in headers}
    if names.get("expect", "").lower() == "100-continue":
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
    body = b""
    if "content-length" in names:
        body = f.read(int(names["content-length"]))  # type: ignore[attr-defined]
    elif names.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int(f.readline().split(b";")[0].strip() or b"0", 16)  # type: ignore[attr-defined]
            if size == 0:
                while f.readline() not in (b"\r\n", b"\n", b""):  # type: ignore[attr-defined]
                    pass
                break
            parts.append(f.read(size))  # type: ignore[attr-defined]
            f.readline()  # type: ignore[attr-defined]
        body = b"".join(parts)
        headers = [(k, v) for k, v in headers if k.lower() != "transfer-encoding"]
        headers.append(("Content-Length", str(len(body))))
    return method, path, headers, body
