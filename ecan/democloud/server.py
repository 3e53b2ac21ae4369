"""The local cloud itself, run in the current process: ONE moto server on 127.0.0.1 behind the
identity exchange, provisioned with a user pool, an identity pool, a bucket, demo users and admin
keys, then switched to IAM enforcement. moto's state is process-global, so a process hosts one of
these at most (`ecan demo-cloud` does; `DemoCloud` runs it in a child process)."""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
import urllib.request
from typing import Any

from ecan.democloud.identity import ADMIN_TOKEN_HEADER, IdentityExchange, IdentitySettings
from ecan.democloud.info import AdminKeys, DemoCloudInfo, DemoUser
from ecan.democloud.presign import PresignedUrls
from ecan.democloud.srp import SrpVerifier
from ecan.democloud.userflows import MotoPools, UserFlows
from ecan.errors import UserFacingError

log = logging.getLogger(__name__)

BUCKET = "ecan-demo"
USERNAMES = ("demo", "demo2")
ADMIN_USER = "ecan-admin"
ACCOUNT_ID = "123456789012"  # moto's default account
_HTTP_TIMEOUT_S = 10


def moto_missing() -> UserFacingError:
    return UserFacingError(
        "demo_cloud_unavailable", "The local demo cloud needs moto, which is not installed.",
        "Install the demo extra: `.venv/bin/pip install -e '.[demo]'` (the set-up script does).")


def _demo_password() -> str:
    # Random per run (printed in the ready line); satisfies Cognito's default policy.
    return f"Demo-{secrets.token_hex(6)}-9x"


class LocalCloudServer:
    """Serve the local cloud in this process. `start()` returns the DemoCloudInfo once every
    resource exists and enforcement is on; `stop()` shuts the server down."""

    def __init__(self, port: int = 0, credential_ttl_s: int = 90,
                 region: str = "us-east-1") -> None:
        self.port = port
        self.credential_ttl_s = credential_ttl_s
        self.region = region
        self.info: DemoCloudInfo | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._exchange: IdentityExchange | None = None
        # Opens moto's admin API; never leaves this process (no script or test needs it).
        self._admin_token = secrets.token_urlsafe(32)
        # Reads the codes the cloud "sent" (the ready line carries it, like the admin keys).
        self._inbox_token = secrets.token_urlsafe(32)

    def start(self) -> DemoCloudInfo:
        if self.info is not None:
            return self.info
        try:
            from moto.core.authorization import ActionAuthenticatorMixin
            from moto.moto_server.werkzeug_app import (
                DomainDispatcherApplication,
                MotoRequestHandler,
                create_backend_app,
            )
            from werkzeug.serving import make_server
        except ImportError:
            raise moto_missing() from None
        # Request lines can carry presigned-URL signatures and session tokens: never log them.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        _allow_unsigned_cognito_idp(ActionAuthenticatorMixin)

        moto_app = DomainDispatcherApplication(create_backend_app)
        # Outermost first: admin-API guard + identity API + expiry + isolation, presigned
        # URLs, SRP, moto.
        exchange = IdentityExchange(
            PresignedUrls(SrpVerifier(moto_app, self._password_of), self._secret_of),
            self.credential_ttl_s, admin_token=self._admin_token)
        self._exchange = exchange
        # Outermost: the account flows (codes, TOTP, revocation) and the hosted UI, whose
        # pages are unsigned requests the identity exchange would refuse as anonymous S3.
        flows = UserFlows(exchange, MotoPools(ACCOUNT_ID, self.region),
                          inbox_token=self._inbox_token)
        try:
            _check_port_free(self.port)
            self._server = make_server("127.0.0.1", self.port, flows, threaded=True,
                                       request_handler=MotoRequestHandler)
        except (OSError, SystemExit) as e:  # werkzeug exits on a busy port if it loses a race
            reason = e.strerror if isinstance(e, OSError) else "address in use"
            raise UserFacingError(
                "port_in_use", f"Cannot listen on 127.0.0.1:{self.port} ({reason}).",
                "Pick another --port, or 0 for any free port.") from None
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="ecan-demo-cloud", daemon=True)
        self._thread.start()
        endpoint = f"http://127.0.0.1:{self._server.server_port}"
        try:
            self.info = self._provision(endpoint, exchange)
        except Exception:
            self.stop()
            raise
        return self.info

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _secret_of(self, access_key_id: str) -> tuple[str, str | None] | None:
        if self.info is not None and access_key_id == self.info.admin.access_key_id:
            return self.info.admin.secret_access_key, None
        return self._exchange.secret_of(access_key_id) if self._exchange else None

    def _password_of(self, client_id: str, username: str) -> tuple[str, str] | None:
        """The pool and current password of a user, read from moto (for SRP verification)."""
        from moto.cognitoidp.models import cognitoidp_backends

        backend = cognitoidp_backends[ACCOUNT_ID][self.region]
        for pool in list(backend.user_pools.values()):
            if client_id in pool.clients:
                try:
                    user = backend.admin_get_user(pool.id, username)
                except Exception:  # moto's UserNotFound and kin: no such user
                    return None
                return pool.id, str(user.password)
        return None

    # -- set-up ------------------------------------------------------------------------------

    def _client(self, endpoint: str, service: str, key: str, secret: str) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.session.Session().client(
            service, endpoint_url=endpoint, region_name=self.region,
            aws_access_key_id=key, aws_secret_access_key=secret,
            config=Config(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=30))

    def _provision(self, endpoint: str, exchange: IdentityExchange) -> DemoCloudInfo:
        # Enforcement is still off: bootstrap the admin user with any keys.
        iam = self._client(endpoint, "iam", "bootstrap", "bootstrap")
        iam.create_user(UserName=ADMIN_USER)
        iam.put_user_policy(UserName=ADMIN_USER, PolicyName="allow-all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName=ADMIN_USER)["AccessKey"]
        admin = AdminKeys(key["AccessKeyId"], key["SecretAccessKey"])
        clients: dict[str, Any] = {}
        lock = threading.Lock()

        def admin_client(service: str) -> Any:
            # boto3 clients are thread-safe once made; making them is not.
            with lock:
                if service not in clients:
                    clients[service] = self._client(endpoint, service, admin.access_key_id,
                                                    admin.secret_access_key)
                return clients[service]

        idp = admin_client("cognito-idp")
        pool_id = idp.create_user_pool(
            PoolName="ecan-demo", AutoVerifiedAttributes=["email"],
            Policies={"PasswordPolicy": {"MinimumLength": 8, "RequireUppercase": True,
                                         "RequireLowercase": True, "RequireNumbers": True,
                                         "RequireSymbols": False}},
        )["UserPool"]["Id"]
        client_id = idp.create_user_pool_client(
            UserPoolId=pool_id, ClientName="ecan-desktop", GenerateSecret=False,
            ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH",
                               "ALLOW_REFRESH_TOKEN_AUTH"],
            # The hosted UI: code grant to a loopback callback (any port, RFC 8252).
            AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid", "email", "profile"],
            AllowedOAuthFlowsUserPoolClient=True, SupportedIdentityProviders=["COGNITO"],
            CallbackURLs=["http://127.0.0.1/callback"], EnableTokenRevocation=True,
        )["UserPoolClient"]["ClientId"]
        users = []
        for name in USERNAMES:
            password = _demo_password()
            idp.admin_create_user(
                UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS",
                TemporaryPassword=_demo_password(),
                UserAttributes=[{"Name": "email", "Value": f"{name}@example.com"},
                                {"Name": "email_verified", "Value": "true"}])
            idp.admin_set_user_password(UserPoolId=pool_id, Username=name, Password=password,
                                        Permanent=True)
            users.append(DemoUser(name, password))
        identity_pool_id = admin_client("cognito-identity").create_identity_pool(
            IdentityPoolName="ecan_demo", AllowUnauthenticatedIdentities=False,
            CognitoIdentityProviders=[{
                "ProviderName": f"cognito-idp.{self.region}.amazonaws.com/{pool_id}",
                "ClientId": client_id, "ServerSideTokenCheck": False}],
        )["IdentityPoolId"]
        s3 = admin_client("s3")
        if self.region == "us-east-1":
            s3.create_bucket(Bucket=BUCKET)
        else:
            s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={
                "LocationConstraint": self.region})
        jwks = _get_json(f"{endpoint}/{pool_id}/.well-known/jwks.json")
        info = DemoCloudInfo(endpoint=endpoint, region=self.region, user_pool_id=pool_id,
                             client_id=client_id, identity_pool_id=identity_pool_id,
                             bucket=BUCKET, users=users, admin=admin,
                             inbox_token=self._inbox_token)
        exchange.configure(IdentitySettings(
            region=self.region, account_id=ACCOUNT_ID, identity_pool_id=identity_pool_id,
            user_pool_id=pool_id, client_id=client_id, bucket=BUCKET,
            prefix=info.path_prefix, jwks=jwks,
            admin_arn=f"arn:aws:iam::{ACCOUNT_ID}:user/{ADMIN_USER}"), admin_client)
        # From here on, every signed request is checked against IAM like the real thing.
        req = urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=b"0", method="POST",
                                     headers={"Content-Type": "text/plain",
                                              ADMIN_TOKEN_HEADER: self._admin_token})
        with urllib.request.urlopen(req, timeout=_HTTP_TIMEOUT_S) as resp:
            resp.read()
        return info


def _check_port_free(port: int) -> None:
    """Raise OSError if 127.0.0.1:port cannot be bound (werkzeug would print and exit)."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if os.name == "posix":  # as werkzeug binds: a port in TIME_WAIT is still usable
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=_HTTP_TIMEOUT_S) as resp:
        return json.loads(resp.read())


def _allow_unsigned_cognito_idp(mixin: Any) -> None:
    """Under enforcement moto lets only a handful of unsigned user-pool calls through
    (InitiateAuth yes, RespondToAuthChallenge no, so SRP sign-in would fail). The real service
    takes every operation botocore sends unsigned; list them from botocore's own model."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("cognito-idp")
    target = model.metadata["targetPrefix"]
    for name in model.operation_names:
        if model.operation_model(name).auth_type == "none":
            op = f"{target}.{name}"
            if op not in mixin.PUBLIC_OPERATIONS:
                mixin.PUBLIC_OPERATIONS.append(op)
