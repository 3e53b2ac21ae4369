"""Storage failures as the user sees them: every botocore error becomes a `UserFacingError` with
a stable code and the fix, marked permanent (`StorageError`), worth retrying
(`TransientStorageError`) or in the way of every job (`PausingStorageError`: sync pauses); an
expired session becomes `AuthRequired` so sync pauses for sign-in."""

from __future__ import annotations

from typing import Any

from ecan.errors import AuthRequired, UserFacingError
from ecan.logsetup import redact


class StorageError(UserFacingError):
    """A storage failure that retrying will not fix (wrong key, no bucket, no permission)."""

    retryable = False


class TransientStorageError(StorageError):
    """A storage failure worth retrying later: network down, timeout, 5xx, throttling."""

    retryable = True


class PausingStorageError(StorageError):
    """A failure no job can get past until something outside ecan is fixed (this computer's
    clock, the keys in use): failing each job would fail the whole queue, so sync pauses with
    this reason, keeps every job queued, and resumes once a probe gets through."""

    pauses_queue = True


class PreconditionFailed(StorageError):
    """A conditional write found the object changed (or there) since it was read: S3's 412
    (and its 409 ConditionalRequestConflict, two such writes at once). The caller reads the
    object again, merges, and writes once more."""

    def __init__(self, key: str) -> None:
        super().__init__("precondition_failed", f"{key} was changed by someone else meanwhile.",
                         "It is read again and the change merged.")


class ObjectTooLarge(StorageError):
    """An object larger than its reader allows (a hostile or foreign object): not read."""

    def __init__(self, key: str, limit: int) -> None:
        super().__init__("object_too_large", f"{key.rsplit('/', 1)[-1]} is over the {limit} "
                         "byte limit for it, so it was not read.",
                         "Nothing to do here; it did not come from ecan.")


# Error codes S3 (and R2 / MinIO) answer when the service, not the request, is at fault.
_TRANSIENT_CODES = {
    "InternalError", "ServiceUnavailable", "SlowDown", "Throttling", "ThrottlingException",
    "RequestTimeout", "RequestTimeoutException", "TooManyRequests", "RequestLimitExceeded",
    "BandwidthLimitExceeded", "OperationAborted",
}
_EXPIRED_CODES = {"ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired",
                  "InvalidToken", "RequestExpired"}


def is_service_side(code: str, status: int) -> bool:
    """The service, not the request, is at fault: busy, failing, timing out."""
    return code in _TRANSIENT_CODES or status >= 500 or status == 429


def is_credentials_refusal(code: str) -> bool:
    """Credentials the service no longer takes (or never did): new ones may go through."""
    return code in _EXPIRED_CODES or code == "InvalidAccessKeyId"


_ACCESS_HINT_ACTION = {
    "put": "s3:PutObject", "put_file": "s3:PutObject", "put_bytes": "s3:PutObject",
    "get": "s3:GetObject", "get_bytes": "s3:GetObject", "download_file": "s3:GetObject",
    "head": "s3:GetObject", "list": "s3:ListBucket", "check_access": "s3:ListBucket",
    "delete": "s3:DeleteObject",
}


def is_retryable(exc: BaseException) -> bool:
    return bool(getattr(exc, "retryable", False))


def pauses_queue(exc: BaseException) -> bool:
    return bool(getattr(exc, "pauses_queue", False))


def is_bodiless(exc: Any) -> bool:
    """An error answer without a body (every HEAD's): botocore then reports the bare HTTP status
    as the code, so the reason (clock, token, permission) is unknown."""
    response = getattr(exc, "response", None) or {}
    code = str((response.get("Error") or {}).get("Code", "") or "")
    status = int((response.get("ResponseMetadata") or {}).get("HTTPStatusCode", 0) or 0)
    return code in ("", str(status))


def map_s3_error(exc: BaseException, *, bucket: str, operation: str, endpoint: str = "",
                 key: str = "") -> UserFacingError:
    """Turn a botocore/boto3 exception raised while doing `operation` on `bucket` into the
    user-facing error that says what to fix. A UserFacingError passes through unchanged (the
    credential refresher may already have raised AuthRequired). Never puts a secret in text."""
    if isinstance(exc, UserFacingError):
        return exc
    from botocore import exceptions as bx

    where = endpoint or "the default AWS endpoint"
    target = f"{bucket}/{key}" if key else bucket
    if isinstance(exc, (bx.NoCredentialsError, bx.PartialCredentialsError)):
        return StorageError(
            "no_credentials", "Unable to locate credentials for cloud storage.",
            "Sign in (`ecan login --username NAME`) or set "
            "AVATAR_CLOUD_ACCESS_KEY and AVATAR_CLOUD_SECRET_KEY.")
    if isinstance(exc, bx.ConnectionError):
        # EndpointConnectionError, ConnectTimeoutError, ProxyConnectionError: never got through.
        return TransientStorageError(
            "endpoint_unreachable", f"Cannot reach the storage endpoint {where}.",
            "Check your network connection and STORAGE.ENDPOINT_URL / AVATAR_CLOUD_ENDPOINT_URL; "
            "ecan keeps the uploads queued and retries.")
    if isinstance(exc, (bx.ReadTimeoutError, bx.ConnectionClosedError,
                        bx.ResponseStreamingError, bx.HTTPClientError)):
        return TransientStorageError(
            "storage_timeout",
            f"The storage endpoint {where} stopped answering during {operation}.",
            "This is usually a passing network problem; ecan retries.")
    if isinstance(exc, bx.ClientError):
        return _map_client_error(exc, bucket=bucket, target=target, operation=operation,
                                 where=where)
    if isinstance(exc, bx.BotoCoreError):
        return StorageError("storage_error",
                            f"Cloud storage {operation} failed: {redact(str(exc))}",
                            "Check the STORAGE settings; details are in the log.")
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return TransientStorageError(
            "endpoint_unreachable", f"Cannot reach the storage endpoint {where}.",
            "Check your network connection; ecan retries.")
    raise exc


def _map_client_error(exc: Any, *, bucket: str, target: str, operation: str,
                      where: str) -> UserFacingError:
    err = exc.response.get("Error", {}) or {}
    code = str(err.get("Code", "") or "")
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    # Wrong keys or a wrong clock refuse every request alike: pause, never fail the queue.
    if code == "InvalidAccessKeyId":
        return PausingStorageError(
            "invalid_access_key", f"The storage service does not know the access key used for "
            f"bucket '{bucket}'.",
            "Check AVATAR_CLOUD_ACCESS_KEY (or STORAGE.ACCESS_KEY), or sign in again; uploads "
            "stay queued meanwhile.")
    if code == "SignatureDoesNotMatch":
        return PausingStorageError(
            "signature_mismatch", f"The storage service rejected the request signature for "
            f"bucket '{bucket}'.",
            "Check AVATAR_CLOUD_SECRET_KEY (the secret key is wrong), and that this computer's "
            "clock is correct (`ecan doctor` checks both); uploads stay queued meanwhile.")
    if code == "RequestTimeTooSkewed":
        return PausingStorageError(
            "clock_skew", "This computer's clock differs too much from the storage service's.",
            "Set the system clock (turn on automatic time / NTP); `ecan doctor` shows how far "
            "off it is. Sync carries on by itself once the clock is right.")
    if code in _EXPIRED_CODES:
        return AuthRequired("Your cloud session has expired.")
    if status in (400, 403) and is_bodiless(exc):
        # A HEAD's refusal (S3BlobStore.head asks again with a GET to learn why, when it can).
        return PausingStorageError(
            "storage_refused", f"The storage service refused {operation} on {target} "
            f"(HTTP {status}) without saying why.",
            "Run `ecan doctor`: it checks the sign-in, the keys, access to the bucket and this "
            "computer's clock. Uploads stay queued meanwhile.")
    if code in ("AccessDenied", "AllAccessDisabled", "InvalidObjectState"):
        action = _ACCESS_HINT_ACTION.get(operation, "access")
        return StorageError(
            "access_denied", f"Access denied to {target} ({operation}).",
            f"The key in use lacks {action} on {bucket}/<your prefix>; ask the bucket's "
            "operator for that permission, or sign in again.")
    if code == "NoSuchBucket":
        return StorageError(
            "no_such_bucket", f"bucket '{bucket}' does not exist at {where}.",
            "Check STORAGE.BUCKET / AVATAR_CLOUD_BUCKET (and STORAGE.ENDPOINT_URL / REGION).")
    if code in ("PermanentRedirect", "AuthorizationHeaderMalformed",
                "IllegalLocationConstraintException"):
        return StorageError(
            "wrong_region", f"bucket '{bucket}' is in a different region than configured.",
            "Set STORAGE.REGION / AVATAR_CLOUD_REGION to the bucket's region.")
    if code in ("BadDigest", "XAmzContentSHA256Mismatch", "InvalidDigest"):
        return StorageError(
            "checksum_mismatch", f"The storage service received different bytes than sent "
            f"for {target}.",
            "The file changed while it was uploading; it is retried from the saved copy.")
    if is_service_side(code, status):
        return TransientStorageError(
            "storage_unavailable", f"The storage service at {where} is unavailable "
            f"({code or status}) during {operation}.",
            "This is on the service's side; ecan keeps the work queued and retries.")
    message = redact(str(err.get("Message", "") or ""))[:200]
    return StorageError(
        "storage_error", f"Cloud storage {operation} on {target} failed: {code or status}"
        + (f" ({message})" if message else ""),
        "Check the STORAGE settings; details are in the log.")
