"""Pictures decoded off the window's interpreter: `ecan decode-service` (see
ecan.bridge.decode_service for why and for the pipe protocol), kept running by the window's
supervisor (ecan.bridge.supervisor). The window only wraps finished pixels in a QImage.

The service answers in order, so the oldest unanswered request is the one it is working on. If
the process dies, it is started again and asked for everything unanswered; a picture that was
being decoded when it died twice is answered as unreadable, so one hostile file cannot keep
the decoder down. A decoder that dies again and again without answering at all (it cannot
start, it talks nonsense) answers everything waiting as unreadable: no card waits forever."""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

from PySide6.QtCore import QObject, QSize, Signal
from PySide6.QtGui import QImage

from ecan.bridge.supervisor import Backoff, HelperProcess, ecan_command
from ecan.logsetup import redact
from ecan.pipe import Frame

log = logging.getLogger(__name__)

_MAX_HEADER = 4096  # an answer's line is ~40 bytes (an error ~300): more is not our stream
_MAX_SIDE = 4096  # the service never answers with more (MAX_BOX)
# Right away the first time; then back off, so a decoder that cannot start at all does not spin.
_BACKOFF = Backoff(base=0.25, cap=30.0, first_at_once=True)
# Deaths in a row without one answer: the decoder is broken, not a picture (a hostile picture
# costs two; it takes three of them in a row to look like this).
_GIVE_UP_AFTER = 6


def _pixels(header: dict[str, Any]) -> int:
    """The bytes of RGBA that follow an answer's line (ValueError: not an answer)."""
    int(header["id"])
    if "error" in header:
        return 0
    w, h = int(header["w"]), int(header["h"])
    if not (0 <= w <= _MAX_SIDE and 0 <= h <= _MAX_SIDE):
        raise ValueError(f"an answer of {w} x {h} pixels is out of range")
    return w * h * 4


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
        self._helper = HelperProcess("the picture decoder",
                                     command or ecan_command("decode-service"), _BACKOFF,
                                     payload_size=_pixels, max_line=_MAX_HEADER, parent=self)
        self._helper.launched.connect(self._send_all)
        self._helper.received.connect(self._answered)
        self._helper.garbled.connect(
            lambda why: self._helper.restart(f"its answer was not understood ({why})"))
        self._helper.died.connect(self._died)
        self._unanswered: OrderedDict[int, dict[str, Any]] = OrderedDict()  # the requests
        self._deaths: dict[int, int] = {}  # ticket -> times the process died decoding it
        self._last_ticket = 0
        self._closed = False

    def decode(self, path: str, size: QSize, tile: float | None = None) -> int:
        self._last_ticket += 1
        ticket = self._last_ticket
        request: dict[str, Any] = {"id": ticket, "path": path, "w": size.width(),
                                   "h": size.height()}
        if tile is not None:
            request["tile"] = round(tile, 2)
        if self._closed:
            return ticket  # the window is closing: nothing will be shown
        self._unanswered[ticket] = request
        if self._helper.running():
            self._helper.write(request)
        else:
            self._helper.start()  # the first request starts the process (which asks for all)
        return ticket

    def close(self) -> None:
        """End the process (it exits at end of input); unanswered tickets stay unanswered."""
        self._closed = True
        self._unanswered.clear()
        self._helper.stop(grace_s=2.0)

    def _send_all(self) -> None:
        for request in self._unanswered.values():
            self._helper.write(request)

    def _died(self, why: str, _delay: float) -> None:
        if self._unanswered:
            ticket = next(iter(self._unanswered))
            self._deaths[ticket] = self._deaths.get(ticket, 0) + 1
            if self._deaths[ticket] >= 2:
                path = self._unanswered[ticket]["path"]
                log.warning("the picture decoder stopped twice while decoding %s (%s): shown "
                            "as unreadable", path, why)
                self._answer(ticket, QImage())
        if self._helper.failures >= _GIVE_UP_AFTER and self._unanswered:
            log.error("the picture decoder stopped %d times in a row (%s): the pictures "
                      "waiting for it are shown as unreadable", self._helper.failures, why)
            for waiting in list(self._unanswered):
                self._answer(waiting, QImage())

    def _answered(self, frame: Frame) -> None:
        header = frame.message
        ticket = int(header["id"])
        if ticket != next(iter(self._unanswered), None):
            self._helper.restart(f"it answered ticket {ticket} out of turn")
            return
        if "error" in header:
            log.info("cannot show %s: %s", self._unanswered[ticket]["path"],
                     redact(str(header["error"])))
            image = QImage()
        else:
            w, h = int(header["w"]), int(header["h"])
            image = QImage(frame.payload, w, h, w * 4, QImage.Format.Format_RGBA8888).copy()
        self._helper.healthy()
        self._answer(ticket, image)

    def _answer(self, ticket: int, image: QImage) -> None:
        del self._unanswered[ticket]
        self._deaths.pop(ticket, None)
        self.decoded.emit(ticket, image)
