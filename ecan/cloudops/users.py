"""`ecan cloud add-user`: an operator creates a user in a deployment's user pool (for pools that
do not open sign-up). Without a password Cognito e-mails a temporary one and the user sets their
own at first sign-in; with one (scripts), it is set as the user's permanent password."""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from typing import Any

from ecan.cloudops.aws import AwsClients, as_user_error, error_code
from ecan.cloudops.deploy import find
from ecan.cloudops.spec import DeploySpec
from ecan.errors import ConfigError, UserFacingError

log = logging.getLogger(__name__)

_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class NewUser:
    user_pool_id: str
    username: str  # what Cognito calls the user (a uuid where e-mail is the sign-in name)
    email: str
    status: str  # FORCE_CHANGE_PASSWORD (e-mailed a temporary password) or CONFIRMED

    def to_dict(self) -> dict[str, Any]:
        return {"user_pool_id": self.user_pool_id, "username": self.username,
                "email": self.email, "status": self.status}


def _temporary_password() -> str:
    # Meets the deployment's policy: upper and lower case, a digit, 8+ characters.
    return f"Tmp-{secrets.token_urlsafe(12)}-9a"


def add_user(spec: DeploySpec, aws: AwsClients, email: str, *, password: str | None = None,
             username: str | None = None) -> NewUser:
    """Create the user `email` (signing in as `username` where the pool uses user names; the
    e-mail otherwise). Raises UserFacingError: no such deployment, the user exists, a password
    the pool's policy refuses (the user is then not left half-made)."""
    email = email.strip() if isinstance(email, str) else ""
    if not _EMAIL_RE.match(email):
        raise ConfigError("--email", f"{email!r} is not an e-mail address",
                          "Give the address the user receives mail at.")
    outputs = find(spec, aws)
    if outputs is None or outputs.user_pool_id is None:
        raise UserFacingError(
            "no_deployment", f"There is no deployment named {spec.name} at {aws.where}.",
            f"Run `ecan cloud deploy --name {spec.name}` first (with the same --region and "
            "--endpoint).")
    pool_id = outputs.user_pool_id
    idp = aws("cognito-idp")
    try:
        kwargs: dict[str, Any] = {}
        if password is not None:
            # The operator sets the password: Cognito must not e-mail a temporary one.
            kwargs = {"MessageAction": "SUPPRESS", "TemporaryPassword": _temporary_password()}
        else:
            kwargs = {"DesiredDeliveryMediums": ["EMAIL"]}
        user = idp.admin_create_user(
            UserPoolId=pool_id, Username=username or email,
            UserAttributes=[{"Name": "email", "Value": email},
                            {"Name": "email_verified", "Value": "true"}], **kwargs)["User"]
    except Exception as e:
        if error_code(e) == "UsernameExistsException":
            raise UserFacingError(
                "user_exists", f"{email} already has an account in user pool {pool_id}.",
                "Nothing to do; to reset its password use the AWS console or `aws cognito-idp "
                "admin-set-user-password`.") from None
        raise as_user_error(e, aws.where, "add-user") from None
    name = str(user["Username"])
    status = str(user.get("UserStatus", "FORCE_CHANGE_PASSWORD"))
    if password is not None:
        try:
            idp.admin_set_user_password(UserPoolId=pool_id, Username=name, Password=password,
                                        Permanent=True)
        except Exception as e:
            # Leave no account behind that nobody can sign in to; the operator retries.
            idp.admin_delete_user(UserPoolId=pool_id, Username=name)
            if error_code(e) == "InvalidPasswordException":
                raise UserFacingError(
                    "weak_password", "The user pool refused the password; the user was not "
                                     "created.",
                    "Use 8 or more characters with upper and lower case letters and a digit.",
                ) from None
            raise as_user_error(e, aws.where, "add-user") from None
        status = "CONFIRMED"
    log.info("add-user: created a user in %s (%s)", pool_id, status)
    return NewUser(pool_id, name, email, status)
