"""The window's helper processes (`ecan sync-service`, `ecan decode-service`), started and kept
the same way: a fixed start folder and command line, output cut into messages (ecan.pipe),
stderr masked into the log, and a helper that ends unexpectedly started again with back-off.
Each client (ecan.bridge.sync_process, ecan.bridge.decoder_process) says only what its
messages mean. QProcess delivers output on the GUI thread, without a reader thread."""

from __future__ import annotations

import logging
import sys
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

from ecan.logsetup import redact
from ecan.pipe import MAX_LINE, Framer, Garbled, encode_line

log = logging.getLogger(__name__)


def ecan_command(subcommand: str) -> list[str]:
    """The command line of `ecan <subcommand>` from this process: the frozen app is the `ecan`
    executable itself (its imports come from the bundle only); otherwise the same interpreter
    runs the package, with -P: `-m` would otherwise put the current folder first on the
    child's sys.path, and a `logging.py` lying there would run inside the sync service, which
    holds the user's session. (Not -I: it also drops the user's site-packages, where a
    `pip install --user` puts ecan, and PYTHONPATH, which a source checkout may use.)"""
    if getattr(sys, "frozen", False):
        return [sys.executable, subcommand]
    return [sys.executable, "-P", "-m", "ecan", subcommand]


def helper_folder() -> str:
    """The folder helpers start in: ecan's own package folder, the same wherever ecan was
    started and not one the user's downloads land in."""
    return str(Path(__file__).resolve().parent.parent)


@dataclass(frozen=True)
class Backoff:
    """How long to wait before starting a helper again after `failures` deaths in a row:
    base * 2^(failures - 1), at most `cap`; the first restart at once if `first_at_once`."""

    base: float
    cap: float
    first_at_once: bool = False

    def delay(self, failures: int) -> float:
        if failures <= 1 and self.first_at_once:
            return 0.0
        return min(self.cap, self.base * 2 ** max(0, failures - 1))


class HelperProcess(QObject):
    """One helper of the window, kept running until stop().

    Signals:
        launched(): a process was started (again): send what it must know first.
        received(Frame): a message from it (with the bytes its line announced).
        garbled(str): output that is not a message (skipped; restart() if that is fatal).
        died(str, float): it ended unexpectedly (why); it starts again in that many seconds.
    """

    launched = Signal()
    received = Signal(object)
    garbled = Signal(str)
    died = Signal(str, float)

    def __init__(self, name: str, command: list[str], backoff: Backoff, *,
                 env: Mapping[str, str] | None = None,
                 payload_size: Callable[[dict[str, Any]], int] | None = None,
                 max_line: int = MAX_LINE, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.command = command
        self._backoff = backoff
        self._env = env
        self._framer = Framer(payload_size, max_line)
        self._proc: QProcess | None = None
        self._retiring: QProcess | None = None  # ending for relaunch(); the next starts after
        self._last_words: deque[str] = deque(maxlen=20)
        self._stopping = False
        self.failures = 0  # deaths since it last said something that made sense
        self._restart = QTimer(self)
        self._restart.setSingleShot(True)
        self._restart.timeout.connect(self._launch)

    # ---- life ---------------------------------------------------------------------------------
    def start(self) -> None:
        self._stopping = False
        if self._proc is None and not self._restart.isActive():
            self._launch()

    @property
    def process(self) -> QProcess | None:
        """The process now running (None between a death and its restart)."""
        return self._proc

    def running(self) -> bool:
        return self._proc is not None and self._proc.state() != QProcess.ProcessState.NotRunning

    def starting_again(self) -> bool:
        """Between a death and the restart that follows it."""
        return self._restart.isActive()

    def healthy(self) -> None:
        """It answered sensibly: the next death starts the back-off over."""
        self.failures = 0

    def restart(self, why: str) -> None:
        """Out of step (it said something the client cannot use): end it; it starts again
        with back-off, like after a death."""
        if self._stopping:
            return
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.finished.disconnect(self._finished)
            proc.errorOccurred.disconnect(self._error)
            proc.kill()
            proc.deleteLater()
        self._died(why)

    def stop(self, goodbye: dict[str, Any] | None = None, grace_s: float = 2.0, *,
             wait: bool = True) -> None:
        """Say `goodbye` (if any), close its input (end of input ends every helper), and make
        sure it is gone within `grace_s`: waiting here (`wait`, at quit) or in the background."""
        self._stopping = True
        self._restart.stop()
        retiring, self._retiring = self._retiring, None
        if wait and retiring is not None \
                and retiring.state() != QProcess.ProcessState.NotRunning:
            # One relaunch() is ending: it was told to stop already, and has its kill timer.
            if not retiring.waitForFinished(int(grace_s * 1000)):
                retiring.kill()
                retiring.waitForFinished(2000)
        proc, self._proc = self._proc, None
        if proc is None or proc.state() == QProcess.ProcessState.NotRunning:
            return
        if goodbye is not None:
            proc.write(encode_line(goodbye).encode())
        proc.closeWriteChannel()
        grace_ms = int(grace_s * 1000)
        if not wait:
            QTimer.singleShot(grace_ms, proc, proc.kill)
            return
        if not proc.waitForFinished(grace_ms):
            log.warning("%s did not stop in time; ending it", self.name)
            proc.kill()
            proc.waitForFinished(2000)

    def relaunch(self, env: Mapping[str, str] | None, goodbye: dict[str, Any] | None = None,
                 grace_s: float = 2.0) -> None:
        """Run it with `env` from now on: the process running now ends as stop() ends it (within
        `grace_s`), then a new one starts at once. Not a death: no back-off, no `died`. Until
        the new one runs, write() returns False, as between a death and its restart."""
        self._env = env
        proc = self._proc
        if self._stopping or proc is None or proc.state() == QProcess.ProcessState.NotRunning:
            return  # the next start takes the new env
        self._proc = None
        self._retiring = proc
        proc.finished.disconnect(self._finished)
        proc.errorOccurred.disconnect(self._error)
        proc.finished.connect(proc.deleteLater)
        proc.finished.connect(self._retired)
        if goodbye is not None:
            proc.write(encode_line(goodbye).encode())
        proc.closeWriteChannel()
        QTimer.singleShot(int(grace_s * 1000), proc, proc.kill)

    def _retired(self) -> None:
        """The process relaunch() ended is gone: now the next one (two at once would both own
        the same work)."""
        if self.sender() is not self._retiring:
            return
        self._retiring = None
        if self._proc is None and not self._stopping and not self._restart.isActive():
            self._launch()

    def write(self, message: dict[str, Any]) -> bool:
        """One message on its input; False when no process is there to take it."""
        proc = self._proc
        if proc is None or proc.state() == QProcess.ProcessState.NotRunning:
            return False
        proc.write(encode_line(message).encode())
        return True

    def _launch(self) -> None:
        if self._stopping:
            return
        proc = QProcess(self)
        if self._env is not None:
            env = QProcessEnvironment()
            for key, value in self._env.items():
                env.insert(key, value)
            proc.setProcessEnvironment(env)
        proc.setWorkingDirectory(helper_folder())
        proc.readyReadStandardOutput.connect(self._read)
        proc.readyReadStandardError.connect(self._read_errors)
        proc.finished.connect(self._finished)
        proc.errorOccurred.connect(self._error)
        self._framer.reset()
        self._proc = proc
        proc.start(self.command[0], self.command[1:])
        self.launched.emit()

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart and self.sender() is self._proc:
            self._proc = None
            self._died(f"could not start {self.command[0]}")

    def _finished(self, code: int, _status: QProcess.ExitStatus) -> None:
        proc = self.sender()
        if self._stopping or proc is not self._proc:
            return
        self._read_errors()  # what it said last, before saying it died
        self._proc = None
        self._died(f"exit code {code}")

    def _died(self, why: str) -> None:
        self.failures += 1
        delay = self._backoff.delay(self.failures)
        log.warning("%s stopped (%s); starting it again in %.1f s. Its last words: %s",
                    self.name, why, delay, " | ".join(self._last_words) or "none")
        self._last_words.clear()
        self._restart.start(int(delay * 1000))
        self.died.emit(why, delay)

    # ---- output -------------------------------------------------------------------------------
    def _read(self) -> None:
        proc = self._proc
        if proc is None or self.sender() is not proc:
            return
        for item in self._framer.feed(bytes(proc.readAllStandardOutput().data())):
            if isinstance(item, Garbled):
                self.garbled.emit(item.why)
            else:
                self.received.emit(item)
            if self._proc is not proc:
                return  # the client restarted it: the rest belongs to the old process

    def _read_errors(self) -> None:
        proc = self.sender()
        if not isinstance(proc, QProcess):
            return
        text = bytes(proc.readAllStandardError().data()).decode("utf-8", "replace")
        for line in text.splitlines():
            if line.strip():
                # Masked before it is cut short: a cut secret no longer looks like one.
                words = redact(line.strip())[:300]
                self._last_words.append(words)
                log.warning("%s: %s", self.name, words)
