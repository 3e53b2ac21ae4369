"""One app per library: the first instance listens on a local socket named after a hash of
ECAN_HOME; a second launch on the same library hands it its files ("Open with ecan"), asks it
to come to the front, and exits."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

# One message per connection: b"raise" and, when the launch was given files, a space and a JSON
# list of absolute paths, then a line end. It starts with "raise" so that an older running
# instance still comes to the front. A socket only this user can open; the cap keeps a stray
# writer from growing the buffer without end.
MAX_MESSAGE = 4 * 1024 * 1024


def server_name(home: Path) -> str:
    digest = hashlib.sha256(str(home.resolve()).encode("utf-8")).hexdigest()[:16]
    user = os.environ.get("USER") or os.environ.get("USERNAME") or "user"
    return f"ecan-{user}-{digest}"


def encode_message(files: list[str]) -> bytes:
    if not files:
        return b"raise\n"
    return b"raise " + json.dumps(files).encode("utf-8") + b"\n"


def decode_message(data: bytes) -> list[str] | None:
    """The files a message carries ([] for a bare raise), or None if it is not one of ours."""
    line = data.split(b"\n", 1)[0].strip()
    if not line.startswith(b"raise"):
        return None
    rest = line[len(b"raise"):].strip()
    if not rest:
        return []
    try:
        files = json.loads(rest.decode("utf-8"))
    except ValueError:
        return None
    if not isinstance(files, list):
        return None
    return [f for f in files if isinstance(f, str) and f]


class SingleInstance(QObject):
    """Signals:
        raise_requested(): another launch on this library wants the window in front.
        files_opened(list): another launch was given these files (absolute paths) to import.
    """

    raise_requested = Signal()
    files_opened = Signal(object)

    def __init__(self, home: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = server_name(home)
        self._server: QLocalServer | None = None
        self._buffers: dict[QLocalSocket, bytearray] = {}

    def notify_running(self, files: list[str] | None = None, timeout_ms: int = 500) -> bool:
        """True if another instance answered: it was handed `files` and asked to come to the
        front. Paths are made absolute here: the running instance has another working folder."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(timeout_ms):
            return False
        socket.write(encode_message([os.path.abspath(f) for f in files or []]))
        while socket.bytesToWrite() > 0:
            if not socket.waitForBytesWritten(max(timeout_ms, 2000)):
                break
        socket.disconnectFromServer()
        if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
            socket.waitForDisconnected(timeout_ms)
        return True

    def listen(self) -> bool:
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            # A crashed instance can leave a stale socket file behind: remove it and retry.
            QLocalServer.removeServer(self.name)
            if not server.listen(self.name):
                return False
        server.newConnection.connect(self._on_connection)
        self._server = server
        return True

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def _on_connection(self) -> None:
        assert self._server is not None
        while self._server.hasPendingConnections():
            conn = self._server.nextPendingConnection()
            self._buffers[conn] = bytearray()
            conn.readyRead.connect(lambda c=conn: self._read(c))
            conn.disconnected.connect(lambda c=conn: self._finish(c))

    def _read(self, conn: QLocalSocket) -> None:
        buf = self._buffers.get(conn)
        if buf is None:
            return
        buf += bytes(conn.readAll().data())
        if b"\n" in buf or len(buf) > MAX_MESSAGE:
            self._finish(conn)

    def _finish(self, conn: QLocalSocket) -> None:
        """Act on a connection's message once it is whole (its line end, or the sender gone)."""
        buf = self._buffers.pop(conn, None)
        if buf is None:
            return
        if conn.bytesAvailable() > 0:
            buf += bytes(conn.readAll().data())
        conn.deleteLater()
        files = decode_message(bytes(buf[:MAX_MESSAGE]))
        if files is None:
            log.warning("single instance: ignored a message that is not ecan's")
            return
        self.raise_requested.emit()
        if files:
            self.files_opened.emit(files)
