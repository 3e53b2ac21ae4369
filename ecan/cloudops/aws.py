"""boto3 clients for the operator's commands, from the operator's own credentials (the standard
AWS chain: environment, profile, SSO, instance role) or given keys, optionally at a local
endpoint (a moto server, the demo cloud); and AWS errors as messages an operator can act on."""

from __future__ import annotations

import threading
from typing import Any

from ecan.errors import UserFacingError


class AwsClients:
    """One boto3 session and its clients (made once each, thread-safely). `endpoint` sends every
    service to one URL, as a local moto server serves them all."""

    def __init__(self, region: str, endpoint: str | None = None, *,
                 session: Any = None) -> None:
        import boto3

        self.region = region
        self.endpoint = endpoint.rstrip("/") if endpoint else None
        self._session = session or boto3.session.Session(region_name=region)
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._account: str | None = None

    @property
    def where(self) -> str:
        return self.endpoint or f"AWS ({self.region})"

    def check_credentials(self) -> None:
        if self._session.get_credentials() is None:
            raise UserFacingError(
                "no_aws_credentials", "No AWS credentials found for the operator's commands.",
                "Sign in to AWS as usual (`aws configure`, `aws sso login`, AWS_PROFILE, or "
                "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY); for a local moto server any keys do.")

    def __call__(self, service: str) -> Any:
        from botocore.config import Config

        with self._lock:
            client = self._clients.get(service)
            if client is None:
                # A local endpoint that lacks an operation answers 500: retrying only slows the
                # report down. AWS itself throttles and blips: retry there.
                attempts = 2 if self.endpoint else 6
                kwargs: dict[str, Any] = {
                    "region_name": self.region,
                    "config": Config(retries={"max_attempts": attempts, "mode": "standard"},
                                     connect_timeout=10, read_timeout=60)}
                if self.endpoint:
                    kwargs["endpoint_url"] = self.endpoint
                client = self._session.client(service, **kwargs)
                self._clients[service] = client
            return client

    def account_id(self) -> str:
        if self._account is None:
            self._account = str(self("sts").get_caller_identity()["Account"])
        return self._account


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def http_status(exc: BaseException) -> int:
    response = getattr(exc, "response", None) or {}
    return int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def as_user_error(exc: BaseException, where: str, doing: str) -> UserFacingError:
    """An AWS/botocore failure while `doing` (e.g. "deploy") as a message and a fix."""
    from botocore import exceptions as bx

    if isinstance(exc, UserFacingError):
        return exc
    if isinstance(exc, bx.NoCredentialsError):
        return UserFacingError(
            "no_aws_credentials", "No AWS credentials found for the operator's commands.",
            "Sign in to AWS as usual (`aws configure`, `aws sso login`, AWS_PROFILE, or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY).")
    if isinstance(exc, (bx.EndpointConnectionError, bx.ConnectTimeoutError,
                        bx.ReadTimeoutError, bx.ConnectionClosedError)):
        return UserFacingError("network", f"Cannot reach {where}.",
                               "Check the network (and --endpoint), then run it again: it "
                               "picks up where it stopped.")
    if isinstance(exc, bx.ClientError):
        code = error_code(exc)
        operation = getattr(exc, "operation_name", "a request")
        message = str(exc.response.get("Error", {}).get("Message", ""))[:300]
        if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
                    "NotAuthorizedException", "InvalidClientTokenId",
                    "UnrecognizedClientException", "SignatureDoesNotMatch", "ExpiredToken"):
            return UserFacingError(
                "aws_refused", f"{where} refused {operation} during {doing} ({code}).",
                "Use credentials allowed to manage Cognito user and identity pools, IAM roles "
                "and S3 buckets (e.g. an administrator's), then run it again.")
        return UserFacingError(
            "aws_failed", f"{operation} failed during {doing} ({code or http_status(exc)}: "
                          f"{message})",
            "Fix what it names, then run it again: it changes only what still differs.")
    return UserFacingError("aws_failed", f"{doing} failed ({type(exc).__name__}).",
                           "Details are in the log; run it again once fixed.")
