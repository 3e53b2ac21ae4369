"""One app per library: the first instance listens on a local socket kept with the library (or,
when that path is too long for a socket, in a folder of the user's own); a second launch on the
same library hands it its files ("Open with ecan"), asks it to come to the front, and exits.

The socket lives where only this user can create files: under the shared temp folder, by a
name anyone could work out, another user of the computer could create it first, and ecan
would then say "already running" and exit."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
import tempfile
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

# One message per connection: b"raise" and, when the launch was given files, a space and a JSON
# list of absolute paths, then a line end. It starts with "raise" so that an older running
# instance still comes to the front. A socket only this user can open; the cap keeps a stray
# writer from growing the buffer without end.
MAX_MESSAGE = 4 * 1024 * 1024

# A Unix socket's path must fit in sun_path: 104 bytes on macOS, 108 on Linux.
_MAX_SOCKET_PATH = 100


def server_name(home: Path) -> str | None:
    """Where this library's instance listens; None when there is no private place for it."""
    home = home.resolve()
    digest = hashlib.sha256(str(home).encode("utf-8")).hexdigest()[:16]
    if os.name == "nt":
        # A named pipe; QLocalServer's UserAccessOption keeps others from connecting.
        user = os.environ.get("USERNAME") or "user"
        return f"ecan-{user}-{digest}"
    in_home = home / "ecan.sock"
    if len(os.fsencode(in_home)) <= _MAX_SOCKET_PATH:
        return str(in_home)  # ECAN_HOME is private (and never writable by others)
    folder = _private_runtime_dir()
    return str(folder / f"ecan-{digest}.sock") if folder is not None else None


def _private_runtime_dir() -> Path | None:
    """A folder only this user can write to: XDG_RUNTIME_DIR, else ecan-<uid> in the temp
    folder, made here; None if the latter exists and is not ours alone (someone made it)."""
    candidates = []
    if os.environ.get("XDG_RUNTIME_DIR"):
        candidates.append(Path(os.environ["XDG_RUNTIME_DIR"]))
    own = Path(tempfile.gettempdir()) / f"ecan-{os.getuid()}"
    try:
        own.mkdir(mode=0o700)
    except FileExistsError:
        pass
    except OSError:
        log.warning("could not make %s for ecan's single-instance socket", own)
    candidates.append(own)
    for folder in candidates:
        try:
            st = os.lstat(folder)
        except OSError:
            continue
        if stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077:
            return folder
    log.warning("no private folder for ecan's single-instance socket (%s is not ours "
                "alone); a second window on this library will not be noticed", own)
    return None


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
        if self.name is None:
            return False
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
        if self.name is None:
            return False
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
            # A bound slot, not a lambda holding the socket: Qt drops the connection when
            # either side is deleted (a lambda outliving its socket crashed at exit).
            self._buffers[conn] = bytearray()
            conn.readyRead.connect(self._read)
            conn.disconnected.connect(self._disconnected)

    def _read(self) -> None:
        conn = self.sender()
        if not isinstance(conn, QLocalSocket):
            return
        buf = self._buffers.get(conn)
        if buf is None:
            return
        buf += bytes(conn.readAll().data())
        if b"\n" in buf or len(buf) > MAX_MESSAGE:
            self._finish(conn)

    def _disconnected(self) -> None:
        conn = self.sender()
        if isinstance(conn, QLocalSocket):
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
