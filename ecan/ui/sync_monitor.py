"""Where sync stands, for the status bar and the tray: what the engine says, by `sync.status`
(polled through the bridge; the engine answers it from the sync process) and by its
StateChanged events in between, plus its live progress (bytes, speed)."""

from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from ecan.bridge import ops
from ecan.bridge.bridge import Bridge
from ecan.handlers.changes import Changes
from ecan.handlers.models import AuthStatus, SyncStatus
from ecan.sync.events import StateChanged
from ecan.ui.throttle import Throttle

log = logging.getLogger(__name__)

PUBLISH_MS = 250
REFRESH_SOON_MS = 500


class SyncMonitor(QObject):
    """Signals:
        status_changed(dict): a fresh `sync.status` ({counts, signed_in, online, paused,
            paused_until, auth_required, signed_out, identity_id}) merged with live progress
            ({bytes_done, bytes_total, speed_bps}) when known.
        attention_needed(str, str): something needs the user: ("auth_required" | "failed", text).
        item_progress(str, float): an avatar's upload progress (0..1).
    """

    status_changed = Signal(object)
    attention_needed = Signal(str, str)
    item_progress = Signal(str, float)

    def __init__(self, bridge: Bridge, parent: QObject | None = None,
                 interval_ms: int = 1500) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._status: dict[str, Any] = {}  # the engine's, as it last said
        self._live: dict[str, Any] = {}
        self._asking = False
        self._last_failed = 0
        self._last_auth = False
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.refresh)
        self._soon = Throttle(REFRESH_SOON_MS, self.refresh, self)
        self._publish_soon = Throttle(PUBLISH_MS, self._publish_now, self)
        bridge.changed.connect(self._on_changed)

    @property
    def status(self) -> dict[str, Any]:
        return {**self._status, **self._live}

    def start(self) -> None:
        self._timer.start()
        self.refresh()

    def stop(self) -> None:
        self._timer.stop()

    def refresh(self) -> None:
        if self._asking:
            return
        self._asking = True
        ops.sync_status(self._bridge, on_success=self._got, on_failure=self._failed)

    def refresh_soon(self) -> None:
        """Ask again shortly, once for a burst: uploads finish by the dozen per second and each
        `sync.status` is Python work in the window's process."""
        self._soon.request()

    def on_progress(self, bytes_done: int, bytes_total: int, speed_bps: float) -> None:
        """Live progress from the sync worker (bytes of the current run)."""
        self._live = {"bytes_done": bytes_done, "bytes_total": bytes_total,
                      "speed_bps": speed_bps, "live_at": time.monotonic()}
        self._publish()

    def on_engine_state(self, event: StateChanged) -> None:
        """The engine's StateChanged: news the next `sync.status` would bring, shown now."""
        self._status = {**self._status, "online": event.online, "paused": event.paused,
                        "auth_required": event.auth_required, "signed_in": event.signed_in,
                        "signed_out": event.signed_out, "paused_until": event.paused_until}
        self._publish()
        self.refresh_soon()

    def _on_changed(self, changes: Changes, _origin: object) -> None:
        if changes.sync or changes.avatars or changes.auth:
            QTimer.singleShot(0, self, self.refresh)

    def _got(self, status: SyncStatus) -> None:
        self._asking = False
        self._status = status.fields
        counts = status.fields.get("counts") or {}
        busy = (counts.get("queued", 0) or 0) + (counts.get("syncing", 0) or 0)
        if not busy:
            self._live = {}
        self._publish()

    def _publish(self) -> None:
        """Tell the status bar, at most a few times a second: uploads finish by the dozen per
        second, and repainting the bar for each would cost the window frames."""
        self._publish_soon.request()

    def _publish_now(self) -> None:
        status = self.status
        self.status_changed.emit(status)
        auth = bool(status.get("auth_required"))
        if auth and not self._last_auth:
            # Signing out here revokes the session before the sync process hears of it, and
            # what it asks the cloud meanwhile is refused as if the session had expired: this
            # window's own session says which it is (asked after a sign-out under way).
            ops.auth_status(self._bridge, on_success=self._expired_unless_signed_out,
                            on_failure=lambda _e: self._say_expired())
        self._last_auth = auth
        failed = int((status.get("counts") or {}).get("failed", 0) or 0)
        if failed > self._last_failed:
            self.attention_needed.emit("failed", self.tr(
                "Avatars that could not be synced: {n}. Open ecan to see why and retry.").format(
                    n=failed))
        self._last_failed = failed

    def _expired_unless_signed_out(self, account: AuthStatus) -> None:
        a = account.fields
        signed_out = (a.get("cloud_mode") == "cognito" and not a.get("signed_in")
                      and not a.get("session_expired"))
        if self._status.get("auth_required") and not signed_out:
            self._say_expired()

    def _say_expired(self) -> None:
        self.attention_needed.emit("auth_required", self.tr(
            "Your session has expired. Sign in again to resume syncing."))

    def _failed(self, error: dict[str, Any]) -> None:
        self._asking = False
        log.debug("sync.status failed: %s", error.get("code"))
