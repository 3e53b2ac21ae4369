"""One app per library: the first instance listens on a local socket kept with the library (or,
when that path is too long for a socket, in a folder of the user's own); a second launch on
the same library asks it to come to the front and exits.

The socket lives where only this user can create files: under the shared temp folder, by a
name anyone could work out, another user of the computer could create it first, and ecan
would then say "already running" and exit."""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import tempfile
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

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


class SingleInstance(QObject):
    """Signals:
        raise_requested(): another launch on this library wants the window in front.
    """

    raise_requested = Signal()

    def __init__(self, home: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = server_name(home)
        self._server: QLocalServer | None = None

    def notify_running(self, timeout_ms: int = 500) -> bool:
        """True if another instance answered (it was asked to raise its window)."""
        if self.name is None:
            return False
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(timeout_ms):
            return False
        socket.write(b"raise\n")
        socket.waitForBytesWritten(timeout_ms)
        socket.disconnectFromServer()
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
            conn.readyRead.connect(self._read)
            conn.disconnected.connect(conn.deleteLater)

    def _read(self) -> None:
        conn = self.sender()
        if isinstance(conn, QLocalSocket) and bytes(conn.readAll().data()).startswith(b"raise"):
            self.raise_requested.emit()
