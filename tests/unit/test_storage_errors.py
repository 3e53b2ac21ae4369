"""S3 error mapping, one exception at a time: each code gets its stable code, its fix, the
right retry class, and no secret in the text."""

from __future__ import annotations

import pytest
from botocore import exceptions as bx

from ecan.errors import AuthRequired, UserFacingError
from ecan.storage.errors import (
    StorageError,
    TransientStorageError,
    is_retryable,
    map_s3_error,
    pauses_queue,
)


def client_error(code: str, status: int, message: str = "failed",
                 operation: str = "PutObject") -> bx.ClientError:
    return bx.ClientError({"Error": {"Code": code, "Message": message},
                           "ResponseMetadata": {"HTTPStatusCode": status}}, operation)


def mapped(exc: BaseException, operation: str = "put_bytes") -> UserFacingError:
    return map_s3_error(exc, bucket="my-bucket", operation=operation,
                        endpoint="https://s3.example.test", key="avatars/u/x.png")


@pytest.mark.parametrize("code, status, expected, retryable, hint_word", [
    ("InvalidAccessKeyId", 403, "invalid_access_key", False, "AVATAR_CLOUD_ACCESS_KEY"),
    ("SignatureDoesNotMatch", 403, "signature_mismatch", False, "clock"),
    ("AccessDenied", 403, "access_denied", False, "s3:PutObject"),
    ("NoSuchBucket", 404, "no_such_bucket", False, "AVATAR_CLOUD_BUCKET"),
    ("RequestTimeTooSkewed", 403, "clock_skew", False, "NTP"),
    ("PermanentRedirect", 301, "wrong_region", False, "AVATAR_CLOUD_REGION"),
    ("SlowDown", 503, "storage_unavailable", True, "retries"),
    ("InternalError", 500, "storage_unavailable", True, "retries"),
    ("RequestTimeout", 400, "storage_unavailable", True, "retries"),
    ("WeirdNewError", 502, "storage_unavailable", True, "retries"),
    ("WeirdNewError", 400, "storage_error", False, "STORAGE"),
])
def test_client_errors(code: str, status: int, expected: str, retryable: bool,
                       hint_word: str) -> None:
    err = mapped(client_error(code, status))
    assert isinstance(err, StorageError)
    assert (err.code, err.retryable, is_retryable(err)) == (expected, retryable, retryable)
    assert isinstance(err, TransientStorageError) == retryable
    assert hint_word in err.hint


def test_access_denied_names_the_permission_the_operation_needs() -> None:
    assert "s3:ListBucket" in mapped(client_error("AccessDenied", 403), "list").hint
    assert "s3:DeleteObject" in mapped(client_error("AccessDenied", 403), "delete").hint


def test_no_such_bucket_names_the_bucket() -> None:
    assert "bucket 'my-bucket' does not exist" in mapped(client_error("NoSuchBucket", 404)).message


@pytest.mark.parametrize("code", ["ExpiredToken", "ExpiredTokenException", "InvalidToken"])
def test_expired_session_pauses_for_sign_in(code: str) -> None:
    err = mapped(client_error(code, 400))
    assert isinstance(err, AuthRequired) and not is_retryable(err)


@pytest.mark.parametrize("exc", [
    bx.EndpointConnectionError(endpoint_url="https://s3.example.test"),
    bx.ConnectTimeoutError(endpoint_url="https://s3.example.test"),
])
def test_unreachable_endpoint_is_named_and_transient(exc: Exception) -> None:
    err = mapped(exc)
    assert isinstance(err, TransientStorageError) and err.code == "endpoint_unreachable"
    assert "https://s3.example.test" in err.message


def test_read_timeout_is_transient() -> None:
    err = mapped(bx.ReadTimeoutError(endpoint_url="https://s3.example.test"))
    assert isinstance(err, TransientStorageError) and err.code == "storage_timeout"


def test_no_credentials() -> None:
    err = mapped(bx.NoCredentialsError())
    assert err.code == "no_credentials" and not is_retryable(err)
    assert "AVATAR_CLOUD_ACCESS_KEY" in err.hint and "ecan login" in err.hint


def test_server_messages_are_scrubbed_of_keys() -> None:
    err = mapped(client_error("OddError", 400,
                              "key AKIAABCDEFGHIJKLMNOP with secret=wJalrXUtnFEMI/K7MDENG"))
    assert "AKIAABCDEFGHIJKLMNOP" not in str(err) and "wJalrXUtnFEMI" not in str(err)
    assert "OddError" in err.message


def test_user_facing_errors_pass_through_and_bugs_are_not_hidden() -> None:
    auth = AuthRequired()
    assert mapped(auth) is auth
    with pytest.raises(TypeError):
        mapped(TypeError("a bug"))


@pytest.mark.parametrize("code, status, expected", [
    ("RequestTimeTooSkewed", 403, "clock_skew"),
    ("InvalidAccessKeyId", 403, "invalid_access_key"),
    ("SignatureDoesNotMatch", 403, "signature_mismatch"),
    # A HEAD answer has no body: botocore reports the bare status as the code.
    ("403", 403, "storage_refused"),
    ("400", 400, "storage_refused"),
    ("", 403, "storage_refused"),
])
def test_problems_no_job_can_get_past_pause_the_queue(code: str, status: int,
                                                      expected: str) -> None:
    """Every job would fail the same way: the queue must pause with the fix, not fail them all."""
    err = mapped(client_error(code, status, "", "HeadObject"), "head")
    assert isinstance(err, StorageError) and err.code == expected
    assert pauses_queue(err) and not is_retryable(err)


def test_a_skewed_clock_points_at_ecan_doctor() -> None:
    err = mapped(client_error("RequestTimeTooSkewed", 403))
    assert "ecan doctor" in err.hint and "clock" in err.hint


def test_a_bodiless_refusal_says_what_to_check() -> None:
    err = mapped(client_error("403", 403, "", "HeadObject"), "head")
    assert "403" in err.message and "my-bucket/avatars/u/x.png" in err.message
    assert "ecan doctor" in err.hint


@pytest.mark.parametrize("code, status", [("AccessDenied", 403), ("NoSuchBucket", 404),
                                          ("WeirdNewError", 400), ("SlowDown", 503)])
def test_other_failures_do_not_pause_the_queue(code: str, status: int) -> None:
    assert not pauses_queue(mapped(client_error(code, status)))
