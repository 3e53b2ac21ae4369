"""`ecan doctor`'s checks (contract): config, sign-in, credentials, bucket, write probe, clock,
and whether users are kept apart (isolation). Each says what it found and, when it fails, the
fix; a check whose prerequisite failed is reported as skipped rather than failing with a
confusing second error."""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ecan.errors import UserFacingError

if TYPE_CHECKING:
    from ecan.app import App
    from ecan.auth.cloud import Cloud

log = logging.getLogger(__name__)

MAX_SKEW_S = 300  # S3 refuses signatures more than 15 min off; warn well before that
CHECK_NAMES = ("config", "sign_in", "credentials", "bucket", "write_probe", "clock", "isolation")
# What each check is called where a person reads it (the names above are for scripts).
LABELS = {"config": "Configuration", "sign_in": "Sign-in", "credentials": "Cloud credentials",
          "bucket": "Bucket access", "write_probe": "Write and read back", "clock": "Clock",
          "isolation": "Users kept apart"}
LOGIN_HINT = "Sign in: `ecan login --username NAME`."
ISOLATION_FAILED = "your bucket policy lets users read each other's avatars"
# A well-formed identity id that is nobody's: where the isolation check knocks.
_STRANGER = "00000000-0000-4000-8000-00000000dead"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    hint: str = ""
    # Not run, because a check it needs failed: neither passed nor a second failure.
    skipped: bool = False

    @property
    def label(self) -> str:
        return LABELS.get(self.name, self.name)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _skipped(name: str, because: str) -> Check:
    return Check(name, False, f"not checked, because the {LABELS.get(because, because).lower()} "
                              "check did not pass", skipped=True)


class _Doctor:
    """Runs the checks in order, sharing what earlier ones found (the opened cloud)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.cloud: Cloud | None = None
        self.results: dict[str, Check] = {}

    def run(self) -> list[Check]:
        plan: list[tuple[str, Callable[[], Check], tuple[str, ...]]] = [
            ("config", self.config, ()),
            ("sign_in", self.sign_in, ()),
            ("credentials", self.credentials, ("config", "sign_in")),
            ("bucket", self.bucket, ("credentials",)),
            ("write_probe", self.write_probe, ("bucket",)),
            ("clock", self.clock, ("credentials",)),
            ("isolation", self.isolation, ("bucket",)),
        ]
        for name, fn, needs in plan:
            failed = [n for n in needs if not self.results[n].ok]
            if failed:
                check = _skipped(name, failed[0])
            else:
                check = self._guarded(name, fn)
            self.results[name] = check
            # In the log too, so a support request can quote what doctor saw.
            log.info("doctor %s: %s: %s", name,
                     "ok" if check.ok else "skipped" if check.skipped else "FAIL", check.detail)
        return list(self.results.values())

    @staticmethod
    def _guarded(name: str, fn: Callable[[], Check]) -> Check:
        try:
            return fn()
        except UserFacingError as e:
            return Check(name, False, e.message, e.hint)
        except Exception as e:  # a bug: the log has the traceback, the user one line
            log.exception("doctor check %s failed", name)
            return Check(name, False, f"internal error ({type(e).__name__})",
                         "Details are in the log under $ECAN_HOME/logs/ecan.log.")

    # -- the checks ------------------------------------------------------------------------

    def config(self) -> Check:
        cfg = self.app.config
        s, cg = cfg.storage, cfg.cognito
        source = (f"read from {cfg.source}" if cfg.source else
                  f"no config file (looked for {self.app.paths.default_config}); environment only")
        mode = self.app.cloud.mode()
        where = s.endpoint_url or f"AWS S3 ({s.region or 'us-east-1'})"
        if mode == "cognito":
            storage = (f"s3 bucket '{s.bucket}' at {where}, prefix '{s.path_prefix}'; "
                       f"credentials from Cognito identity pool {cg.identity_pool_id}")
            if s.endpoint_url:
                storage += ("; note: identity-pool credentials are AWS IAM credentials and do "
                            "not open Cloudflare R2 or MinIO")
        elif mode == "static":
            why = "R2 storage" if s.is_r2 else "no COGNITO.IDENTITY_POOL_ID configured"
            storage = (f"s3 bucket '{s.bucket}' at {where}, prefix '{s.path_prefix}'; "
                       f"static access keys ({why}; from the environment, the config file "
                       "or the keyring)")
        elif mode == "local-folder":
            storage = f"local folder {s.local_path or self.app.paths.local_cloud}"
        elif s.kind == "s3":
            # A bucket but no way to get credentials for it: say which setting is missing.
            reason = ("R2 needs static keys (identity-pool credentials do not open R2)"
                      if s.is_r2 else "no COGNITO.IDENTITY_POOL_ID and no static keys")
            return Check("config", False,
                         f"{source}; storage mode none: bucket '{s.bucket}' is set but {reason}",
                         "Set COGNITO (USER_POOL_ID, CLIENT_ID, IDENTITY_POOL_ID) or "
                         "AVATAR_CLOUD_ACCESS_KEY and AVATAR_CLOUD_SECRET_KEY"
                         + (" (R2_ACCESS_KEY / R2_SECRET_KEY)" if s.is_r2 else "") + ".")
        else:
            storage = "no STORAGE.BUCKET configured, everything stays on this computer"
        return Check("config", True, f"{source}; storage mode {mode}: {storage}")

    def sign_in(self) -> Check:
        if not self.app.config.cognito.configured:
            return Check("sign_in", True, "not needed: no COGNITO user pool configured")
        status = self.app.auth.status()
        if status.get("signed_in"):
            return Check("sign_in", True, f"signed in as {status.get('username')} "
                         f"(identity {status.get('identity_id') or 'not yet known'})")
        needed = self.app.cloud.mode() == "cognito"
        what = "session expired" if status.get("session_expired") else "not signed in"
        if not needed:
            return Check("sign_in", True, f"{what}; not needed: storage uses "
                         f"{self.app.cloud.mode()} credentials")
        return Check("sign_in", False, what, LOGIN_HINT)

    def credentials(self) -> Check:
        cloud = self.cloud = self.app.cloud.open()
        status_fn = getattr(cloud.store, "credential_status", None)
        if status_fn is None:
            return Check("credentials", True, f"none needed: {cloud.detail}")
        st = status_fn()
        if st.expires_at is not None:
            left = (st.expires_at - datetime.now(UTC)).total_seconds()
            when = (f"temporary, expire at {st.expires_at.astimezone(UTC):%H:%M:%S} "
                    f"UTC (in {max(left, 0) / 60:.0f} min) and refresh automatically")
        elif st.refreshable:
            when = "temporary, refreshed automatically"
        else:
            when = "long-lived keys, no expiry"
        return Check("credentials", True, f"{cloud.mode} credentials: {when}; {cloud.detail}")

    def bucket(self) -> Check:
        assert self.cloud is not None
        store, root = self.cloud.store, self.cloud.layout.root
        # Listed under the identity's own root: a Cognito role may list only its prefix.
        store.check_access(root)
        where = getattr(store, "location", store.name)
        return Check("bucket", True, f"{where} is reachable (listed {root})")

    def write_probe(self) -> Check:
        assert self.cloud is not None
        store, layout = self.cloud.store, self.cloud.layout
        key = f"{layout.root}doctor/probe-{secrets.token_hex(6)}.txt"
        data = f"ecan doctor probe {datetime.now(UTC).isoformat()}\n".encode()
        written = False
        try:
            store.put_bytes(key, data, content_type="text/plain")
            written = True
            back = store.get_bytes(key)
            info = store.head(key)
            if back != data or (info and info.sha256 and
                                info.sha256 != hashlib.sha256(data).hexdigest()):
                return Check("write_probe", False, f"read back different bytes from {key}",
                             "The storage service or a proxy alters objects; check "
                             "STORAGE.ENDPOINT_URL points at the storage service itself.")
            store.delete(key)
            written = False
            if store.head(key) is not None:
                return Check("write_probe", False, f"{key} still exists after delete",
                             "The key lacks s3:DeleteObject on your prefix; ask the bucket's "
                             "operator for it.")
        finally:
            if written:  # best effort: do not leave probes behind when a step failed
                try:
                    store.delete(key)
                except Exception:
                    log.info("doctor: could not delete probe %s", key)
        return Check("write_probe", True, f"wrote, read back and deleted {key}")

    def clock(self) -> Check:
        assert self.cloud is not None
        server_time = getattr(self.cloud.store, "server_time", None)
        if server_time is None or self.cloud.mode == "local-folder":
            return Check("clock", True, "not applicable: the storage is a local folder")
        before = time.time()
        theirs = server_time(self.cloud.layout.root)
        if theirs is None:
            return Check("clock", True, "the storage service did not report its time")
        # The Date header is truncated to the second (+0.5 on average); compare with the
        # middle of the request.
        skew = (before + time.time()) / 2 - (theirs + 0.5)
        direction = "ahead of" if skew > 0 else "behind"
        detail = f"this computer's clock is {abs(skew):.0f} s {direction} the storage service's"
        if abs(skew) > MAX_SKEW_S:
            return Check("clock", False, detail,
                         "Set the system clock: turn on automatic time (NTP), e.g. "
                         "`timedatectl set-ntp true`; signed requests fail past 15 minutes.")
        return Check("clock", True, detail)


    def isolation(self) -> Check:
        """With the signed-in identity's own credentials, try to list and read outside its own
        prefix: everyone's folders, another identity's folder, another identity's object."""
        assert self.cloud is not None
        cloud = self.cloud
        if cloud.mode == "local-folder":
            return Check("isolation", True, "not applicable: the storage is a local folder")
        if cloud.mode != "cognito":
            return Check("isolation", True,
                         "not checked: with static keys (R2, MinIO, or keys in the config) "
                         "keeping users apart is the bucket operator's policy, e.g. a scoped "
                         "token per user (see the README)")
        store, layout = cloud.store, cloud.layout
        region, _, own = layout.identity_id.partition(":")
        stranger = f"{region}:{_STRANGER if own != _STRANGER else _STRANGER[:-4] + 'beef'}"
        shared = f"{layout.prefix}shared/"
        allowed: list[str] = []
        foreign: str | None = None
        if self._refused(lambda: store.check_access(layout.prefix)) is False:
            allowed.append(f"list every user's folder ({layout.prefix})")
            # Listing works: find a real object of someone else's to try reading.
            for n, info in enumerate(store.list(layout.prefix)):
                if not info.key.startswith((layout.root, shared)):
                    foreign = info.key
                    break
                if n >= 999:
                    break
        other_root = f"{layout.prefix}{stranger}/"
        if self._refused(lambda: store.check_access(other_root)) is False:
            allowed.append(f"list another user's folder ({other_root})")
        key = foreign or f"{other_root}images/doctor-isolation-probe.png"
        if self._refused(lambda: store.get_bytes(key)) is False:
            allowed.append(f"read another user's object ({key})")
        # The published system avatars reach every user's library: a user who could write
        # there could put a picture in front of everyone. The probe is no avatar (the
        # manifest does not name it) and is removed at once if it was let through.
        probe = f"{shared}system/doctor-write-probe.txt"
        if self._refused(lambda: store.put_bytes(probe, b"ecan doctor",
                                                 content_type="text/plain")) is False:
            allowed.append(f"change the system avatars everyone sees ({shared}system/)")
            self._refused(lambda: store.delete(probe))
        if allowed:
            return Check(
                "isolation", False, f"{ISOLATION_FAILED}: signed in as {layout.identity_id}, "
                                    f"this computer could {'; '.join(allowed)}",
                "Confine the identity pool's authenticated role to its own prefix: objects "
                f"under {layout.prefix}${{cognito-identity.amazonaws.com:sub}}/* and listing "
                "only with an s3:prefix condition on that folder (plus read-only "
                f"{shared}: GetObject only). `ecan cloud deploy --name NAME` writes exactly "
                "that policy; or fix the role's policy in IAM.")
        return Check("isolation", True,
                     f"signed in as {layout.identity_id}, this computer cannot list or read "
                     f"other users' folders under {layout.prefix}, nor change the system "
                     "avatars")

    @staticmethod
    def _refused(attempt: Callable[[], object]) -> bool:
        """True if storage refused the attempt (access denied), False if it was allowed (a
        missing object counts as allowed: the read was let through). Other errors propagate."""
        from ecan.storage.errors import StorageError

        try:
            attempt()
        except KeyError:
            return False
        except StorageError as e:
            if e.code in ("access_denied", "storage_refused"):
                return True
            raise
        return False


def config_failed(error: UserFacingError) -> list[Check]:
    """The checks when the config itself cannot be loaded: it names the setting and the fix."""
    checks = [Check("config", False, error.message, error.hint)]
    checks += [_skipped(name, "config") for name in CHECK_NAMES[1:]]
    return checks


def run_checks(app: App) -> list[Check]:
    """Every check, in contract order: config, sign_in, credentials, bucket, write_probe, clock,
    isolation."""
    return _Doctor(app).run()
