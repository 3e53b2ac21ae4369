"""Pictures decoded off the window's interpreter: `ecan decode-service` (see
ecan.avatars.decode_service for why and for the pipe protocol) driven through QProcess, whose
output arrives on the GUI thread without a reader thread. The window only wraps finished pixels
in a QImage (~0.1 ms for a thumbnail).

The service answers in order, so the oldest unanswered request is the one it is working on. If
the process dies, it is started again and asked for everything unanswered; a picture that was
being decoded when it died twice is answered as unreadable, so one hostile file cannot keep
the decoder down. A decoder that dies again and again without answering at all (it cannot
start, it talks nonsense) answers everything waiting as unreadable: no card waits forever."""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from typing import Any

from PySide6.QtCore import QObject, QProcess, QSize, QTimer, Signal
from PySide6.QtGui import QImage

from ecan.bridge.children import ecan_command, helper_folder
from ecan.logsetup import redact
from ecan.pipe import encode_line

log = logging.getLogger(__name__)

_MAX_HEADER = 4096  # an answer's line is ~40 bytes (an error ~300): more is not our stream
_MAX_SIDE = 4096  # the service never answers with more (MAX_BOX)
_RESTART_MAX_S = 30.0
# Deaths in a row without one answer: the decoder is broken, not a picture (a hostile picture
# costs two; it takes three of them in a row to look like this).
_GIVE_UP_AFTER = 6


class DecoderProcess(QObject):
    """`decode(path, size, tile)` returns a ticket; `decoded(ticket, image)` answers it on the
    GUI thread with the picture scaled to fit `size` (device pixels) or, with a `tile` radius,
    filling it with rounded corners; a null QImage when it cannot be read. Several loaders may
    share one; each ignores the others' tickets.

    Signals:
        decoded(int, QImage): the answer to a ticket.
    """

    decoded = Signal(int, object)

    def __init__(self, parent: QObject | None = None, command: list[str] | None = None) -> None:
        super().__init__(parent)
        self._command = command or ecan_command("decode-service")
        self._proc: QProcess | None = None
        self._out = bytearray()
        self._unanswered: OrderedDict[int, dict[str, Any]] = OrderedDict()  # the requests
        self._deaths: dict[int, int] = {}  # ticket -> times the process died decoding it
        self._last_ticket = 0
        self._failures = 0  # deaths since the last answer
        self._closed = False
        self._restart = QTimer(self)
        self._restart.setSingleShot(True)
        self._restart.timeout.connect(self._launch)

    def decode(self, path: str, size: QSize, tile: float | None = None) -> int:
        self._last_ticket += 1
        ticket = self._last_ticket
        request: dict[str, Any] = {"id": ticket, "path": path, "w": size.width(),
                                   "h": size.height()}
        if tile is not None:
            request["tile"] = round(tile, 2)
        self._unanswered[ticket] = request
        if self._proc is None and not self._restart.isActive():
            self._launch()  # the first request starts the process, and sends itself
        else:
            self._send(ticket)
        return ticket

    def close(self) -> None:
        """End the process (it exits at end of input); unanswered tickets stay unanswered."""
        self._closed = True
        self._restart.stop()
        self._unanswered.clear()
        proc, self._proc = self._proc, None
        if proc is None or proc.state() == QProcess.ProcessState.NotRunning:
            return
        proc.closeWriteChannel()
        if not proc.waitForFinished(2000):
            proc.kill()
            proc.waitForFinished(1000)

    # ---- process life ---------------------------------------------------------------------
    def _launch(self) -> None:
        if self._closed:
            return
        proc = QProcess(self)
        # Its complaints (a library's warning, a crash's traceback) go to our log, masked.
        proc.setWorkingDirectory(helper_folder())  # pictures are asked for by absolute path
        proc.readyReadStandardOutput.connect(self._read)
        proc.readyReadStandardError.connect(self._read_errors)
        proc.finished.connect(self._finished)
        proc.errorOccurred.connect(self._error)
        self._out.clear()
        self._proc = proc
        proc.start(self._command[0], self._command[1:])
        for ticket in self._unanswered:  # written as soon as it runs
            self._send(ticket)

    def _send(self, ticket: int) -> None:
        if self._proc is not None:
            self._proc.write(encode_line(self._unanswered[ticket]).encode())

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._died(f"could not start {self._command[0]}")

    def _finished(self, code: int, _status: QProcess.ExitStatus) -> None:
        self._died(f"exit code {code}")

    def _died(self, why: str) -> None:
        if self._closed or self.sender() is not self._proc:
            return
        self._drop(f"the picture decoder stopped ({why})")

    def _drop(self, why: str) -> None:
        """The process is gone or out of step: start a new one for whatever is unanswered."""
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.finished.disconnect(self._finished)
            proc.errorOccurred.disconnect(self._error)
            proc.kill()
            proc.deleteLater()
        self._failures += 1
        if self._unanswered:
            ticket = next(iter(self._unanswered))
            self._deaths[ticket] = self._deaths.get(ticket, 0) + 1
            if self._deaths[ticket] >= 2:
                path = self._unanswered[ticket]["path"]
                log.warning("%s twice while decoding %s: shown as unreadable", why, path)
                self._answer(ticket, QImage())
        if self._failures >= _GIVE_UP_AFTER and self._unanswered:
            log.error("%s %d times in a row: the pictures waiting for it are shown as "
                      "unreadable", why, self._failures)
            for waiting in list(self._unanswered):
                self._answer(waiting, QImage())
        # Right away the first time; then back off, so a decoder that cannot start at all
        # does not spin.
        backoff = 0.25 * 2 ** (self._failures - 1)
        delay = 0.0 if self._failures == 1 else min(_RESTART_MAX_S, backoff)
        log.warning("%s; starting it again in %.1f s", why, delay)
        self._restart.start(int(delay * 1000))

    def _read_errors(self) -> None:
        proc = self.sender()
        if not isinstance(proc, QProcess):
            return
        text = bytes(proc.readAllStandardError().data()).decode("utf-8", "replace")
        for line in text.splitlines():
            if line.strip():
                log.warning("picture decoder: %s", redact(line.strip())[:300])

    # ---- answers --------------------------------------------------------------------------
    def _read(self) -> None:
        proc = self._proc
        if proc is None or self.sender() is not proc:
            return
        self._out += proc.readAllStandardOutput().data()
        while True:
            end = self._out.find(b"\n", 0, _MAX_HEADER)
            if end < 0:
                if len(self._out) >= _MAX_HEADER:
                    self._drop("the picture decoder's answer was not understood")
                return
            try:
                header = json.loads(self._out[:end])
                ticket = int(header["id"])
                w, h = (0, 0) if "error" in header else (int(header["w"]), int(header["h"]))
            except (ValueError, KeyError, TypeError):
                self._drop("the picture decoder's answer was not understood")
                return
            if ticket != next(iter(self._unanswered), None) \
                    or not (0 <= w <= _MAX_SIDE and 0 <= h <= _MAX_SIDE):
                self._drop(f"the picture decoder answered ticket {ticket} out of turn")
                return
            size = w * h * 4
            if len(self._out) < end + 1 + size:
                return  # the pixels are still on their way
            pixels = bytes(self._out[end + 1:end + 1 + size])
            del self._out[:end + 1 + size]
            if "error" in header:
                log.info("cannot show %s: %s", self._unanswered[ticket]["path"],
                         redact(str(header["error"])))
                image = QImage()
            else:
                image = QImage(pixels, w, h, w * 4, QImage.Format.Format_RGBA8888).copy()
            self._failures = 0
            self._answer(ticket, image)

    def _answer(self, ticket: int, image: QImage) -> None:
        del self._unanswered[ticket]
        self._deaths.pop(ticket, None)
        self.decoded.emit(ticket, image)
