"""A fake Gemini API on 127.0.0.1 for tests: answers `POST /{v1,v1beta}/models/<m>:generateContent`
the way the real service does, scriptable per test, recording every request."""

from __future__ import annotations

import base64
import io
import json
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_PATH = re.compile(r"^/(v1|v1beta)/models/([^/:]+):generateContent$")


def png_bytes(size: int = 64, colour: tuple[int, int, int] = (40, 120, 200)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buf, "PNG")
    return buf.getvalue()


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    delay_s: float = 0.0
    # Announce the whole body but send only half of it, then close (a truncated response).
    truncate: bool = False
    # Answer only once this is set (a call kept in flight for as long as a test needs).
    hold: threading.Event | None = None


@dataclass
class Recorded:
    version: str
    model: str
    headers: dict[str, str]
    body: dict[str, Any]

    def texts(self) -> list[str]:
        return [p["text"] for c in self.body.get("contents", []) for p in c.get("parts", [])
                if "text" in p]

    def inline_data(self) -> list[dict[str, str]]:
        """The request's inline images as {mimeType, data}; the API accepts the JSON names in
        camelCase or snake_case, and so does this server."""
        found = []
        for c in self.body.get("contents", []):
            for p in c.get("parts", []):
                blob = p.get("inlineData") or p.get("inline_data")
                if blob:
                    found.append({"mimeType": blob.get("mimeType") or blob.get("mime_type", ""),
                                  "data": blob.get("data", "")})
        return found


def _json(status: int, doc: Any) -> Reply:
    return Reply(status, json.dumps(doc).encode())


def text_reply(text: str) -> Reply:
    return _json(200, {
        "candidates": [{"content": {"role": "model", "parts": [{"text": text}]},
                        "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 300, "candidatesTokenCount": 40,
                          "totalTokenCount": 340}})


def image_reply(data: bytes | None = None, mime: str = "image/png") -> Reply:
    data = png_bytes() if data is None else data
    return _json(200, {
        "candidates": [{"content": {"role": "model", "parts": [
            {"text": "Here is the portrait."},
            {"inlineData": {"mimeType": mime, "data": base64.b64encode(data).decode()}}]},
            "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 560, "candidatesTokenCount": 1290,
                          "totalTokenCount": 1850}})


def error_reply(status: int, reason: str, message: str) -> Reply:
    details = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason,
                "domain": "googleapis.com"}] if reason else []
    grpc = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
            429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}.get(status, "UNKNOWN")
    return _json(status, {"error": {"code": status, "message": message, "status": grpc,
                                    "details": details}})


def invalid_key() -> Reply:
    return error_reply(400, "API_KEY_INVALID", "API key not valid. Please pass a valid API key.")


def quota() -> Reply:
    return error_reply(429, "", "Resource has been exhausted (e.g. check quota).")


def server_error() -> Reply:
    return error_reply(500, "", "An internal error has occurred.")


def safety_candidate() -> Reply:
    return _json(200, {"candidates": [{"finishReason": "SAFETY", "safetyRatings": [
        {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True}]}]})


def prompt_blocked() -> Reply:
    return _json(200, {"promptFeedback": {"blockReason": "SAFETY"}})


def no_image() -> Reply:
    return text_reply("I can't draw that, but here is a description instead.")


def malformed() -> Reply:
    return Reply(200, b'{"candidates": [{"content": {"parts": [{"text": "oops"')


def truncated() -> Reply:
    return Reply(200, image_reply().body, truncate=True)


def slow(seconds: float) -> Reply:
    return Reply(200, text_reply("too late").body, delay_s=seconds)


@dataclass
class FakeGemini:
    """Start with `start()`; `url` is its base URL. `replies` are used in order, one per
    request; when none are queued, a text model gets `text_reply` and a model whose name
    contains "image" gets `image_reply`."""

    replies: deque[Reply] = field(default_factory=deque)
    requests: list[Recorded] = field(default_factory=list)
    default_professional_prompt: str = "A professional studio portrait of the same person."

    def __post_init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._closing = threading.Event()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def push(self, *replies: Reply) -> None:
        with self._lock:
            self.replies.extend(replies)

    def reset(self) -> None:
        with self._lock:
            self.replies.clear()
            self.requests.clear()

    def _next(self, model: str) -> Reply:
        with self._lock:
            if self.replies:
                return self.replies.popleft()
        return image_reply() if "image" in model else text_reply(self.default_professional_prompt)

    def start(self) -> FakeGemini:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # quiet: request lines carry nothing secret, but tests stay clean

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                m = _PATH.match(self.path.split("?")[0])
                if not m:
                    self._send(error_reply(404, "", f"no route {self.path}"))
                    return
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {}
                with fake._lock:
                    fake.requests.append(Recorded(m.group(1), m.group(2),
                                                  {k.lower(): v for k, v in self.headers.items()},
                                                  body))
                reply = fake._next(m.group(2))
                if reply.delay_s and fake._closing.wait(reply.delay_s):
                    return
                while reply.hold is not None and not reply.hold.wait(0.05):
                    if fake._closing.is_set():
                        return
                self._send(reply)

            def _send(self, reply: Reply) -> None:
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json; charset=UTF-8")
                    self.send_header("Content-Length", str(len(reply.body)))
                    if reply.truncate:
                        self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(reply.body[: len(reply.body) // 2] if reply.truncate
                                     else reply.body)
                    self.wfile.flush()
                    if reply.truncate:
                        self.close_connection = True
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._closing.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
