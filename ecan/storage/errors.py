"""Storage failures as the user sees them: every botocore error becomes a `UserFacingError` with
a stable code and the fix, marked permanent (`StorageError`) or worth retrying
(`TransientStorageError`); an expired session becomes `AuthRequired` so sync pauses."""

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


# Error codes S3 (and R2 / MinIO) answer when the service, not the request, is at fault.
_TRANSIENT_CODES = {
    "InternalError", "ServiceUnavailable", "SlowDown", "Throttling", "ThrottlingException",
    "RequestTimeout", "RequestTimeoutException", "TooManyRequests", "RequestLimitExceeded",
    "BandwidthLimitExceeded", "OperationAborted",
}
_EXPIRED_CODES = {"ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired",
                  "InvalidToken", "RequestExpired"}
_ACCESS_HINT_ACTION = {
    "put": "s3:PutObject", "put_file": "s3:PutObject", "put_bytes": "s3:PutObject",
    "get": "s3:GetObject", "get_bytes": "s3:GetObject", "download_file": "s3:GetObject",
    "head": "s3:GetObject", "list": "s3:ListBucket", "check_access": "s3:ListBucket",
    "delete": "s3:DeleteObject",
}


def is_retryable(exc: BaseException) -> bool:
    return bool(getattr(exc, "retryable", False))


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
    if code == "InvalidAccessKeyId":
        return StorageError(
            "invalid_access_key", f"The storage service does not know the access key used for "
            f"bucket '{bucket}'.",
            "Check AVATAR_CLOUD_ACCESS_KEY (or STORAGE.ACCESS_KEY), or sign in again.")
    if code == "SignatureDoesNotMatch":
        return StorageError(
            "signature_mismatch", f"The storage service rejected the request signature for "
            f"bucket '{bucket}'.",
            "Check AVATAR_CLOUD_SECRET_KEY (the secret key is wrong), and that this computer's "
            "clock is correct.")
    if code == "RequestTimeTooSkewed":
        return StorageError(
            "clock_skew", "This computer's clock differs too much from the storage service's.",
            "Set the system clock (turn on automatic time / NTP) and try again.")
    if code in _EXPIRED_CODES:
        return AuthRequired("Your cloud session has expired.")
    if code in ("AccessDenied", "AllAccessDisabled", "InvalidObjectState") or (
            status == 403 and not code):
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
    if code in _TRANSIENT_CODES or status >= 500 or status == 429:
        return TransientStorageError(
            "storage_unavailable", f"The storage service at {where} is unavailable "
            f"({code or status}) during {operation}.",
            "This is on the service's side; ecan keeps the work queued and retries.")
    message = redact(str(err.get("Message", "") or ""))[:200]
    return StorageError(
        "storage_error", f"Cloud storage {operation} on {target} failed: {code or status}"
        + (f" ({message})" if message else ""),
        "Check the STORAGE settings; details are in the log.")
