"""The local cloud itself, run in the current process: ONE moto server on 127.0.0.1 behind the
identity exchange, provisioned by the operator's own deploy code (`ecan.cloudops`: user pool,
app client, identity pool, the identities' role, bucket) and add-user code (the demo users),
with admin keys, then switched to IAM enforcement. moto's state is process-global, so a process
hosts one of these at most (`ecan demo-cloud` does; `DemoCloud` runs it in a child process)."""

from __future__ import annotations

import gc
import json
import logging
import os
import queue
import secrets
import socket
import threading
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from ecan.cloudops.aws import AwsClients
from ecan.cloudops.deploy import deploy
from ecan.cloudops.spec import DeploySpec
from ecan.cloudops.users import add_user
from ecan.democloud import poolroles
from ecan.democloud.identity import ADMIN_TOKEN_HEADER, IdentityExchange, IdentitySettings
from ecan.democloud.info import AdminKeys, DemoCloudInfo, DemoUser
from ecan.democloud.policy import CompiledPolicy
from ecan.democloud.presign import PresignedUrls
from ecan.democloud.srp import SrpVerifier
from ecan.democloud.userflows import MotoPools, UserFlows
from ecan.errors import UserFacingError

log = logging.getLogger(__name__)

BUCKET = "ecan-demo"
DEPLOYMENT = "demo"
USERNAMES = ("demo", "demo2")
ADMIN_USER = "ecan-admin"
ACCOUNT_ID = "123456789012"  # moto's default account
_HTTP_TIMEOUT_S = 10


# The hosted UI's code grant redirects to a loopback `/callback` on any port (RFC 8252); the
# hosted UI itself is served by the local cloud at its endpoint (DemoCloudInfo.hosted_ui_domain).
DEMO_CALLBACK_URLS = ("http://127.0.0.1/callback",)


def deploy_spec(region: str) -> DeploySpec:
    """The demo cloud's deployment: an operator's, but with user names (`demo`, `demo2`)
    rather than e-mail addresses, USER_PASSWORD_AUTH allowed (contract), and the hosted UI
    redirecting to the loopback callback the desktop app listens on."""
    return DeploySpec(name=DEPLOYMENT, region=region, bucket=BUCKET, email_username=False,
                      password_auth=True, callback_urls=DEMO_CALLBACK_URLS)


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
        self._forgetting = threading.Lock()

    def start(self) -> DemoCloudInfo:
        if self.info is not None:
            return self.info
        try:
            from moto.cognitoidentity.responses import CognitoIdentityResponse
            from moto.core.authorization import ActionAuthenticatorMixin
            from moto.moto_server.werkzeug_app import MotoRequestHandler, create_backend_app
            from werkzeug.serving import make_server
        except ImportError:
            raise moto_missing() from None
        # Request lines can carry presigned-URL signatures and session tokens: never log them.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        _allow_unsigned_cognito_idp(ActionAuthenticatorMixin)
        poolroles.install(CognitoIdentityResponse)

        moto_app = moto_dispatcher(create_backend_app)
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
            _reuse_threads(self._server)
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
        # What start-up built (moto's models, botocore's service data, the provisioned cloud)
        # lives as long as the server. Frozen, CPython's full collections no longer walk it:
        # each took ~0.14 s, a pause of the whole server in the middle of someone's sync.
        gc.collect()
        gc.freeze()
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

    def _forget_sessions(self, key_ids: set[str]) -> None:
        """Drop the assumed-role sessions (and their temporary keys) of `key_ids` from moto,
        which keeps every session ever assumed in a list it scans on each signed request. The
        list is only appended to meanwhile (an identity's next credentials, on another
        thread): deleting one index at a time, from the end, leaves those appends in place."""
        from moto.iam.models import iam_backends
        from moto.sts.models import sts_backends

        sessions = _moto_backend(sts_backends, "aws").assumed_roles
        with self._forgetting:  # one at a time: the indexes stay right
            for i in range(len(sessions) - 1, -1, -1):
                if sessions[i].access_key_id in key_ids:
                    del sessions[i]
        keys = _moto_backend(iam_backends, "aws").access_keys
        for key_id in key_ids:
            keys.pop(key_id, None)

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

        # The operator's deploy, as `ecan cloud deploy` runs it; the demo's differences are
        # settings (user names rather than e-mail addresses, USER_PASSWORD_AUTH allowed).
        import boto3

        spec = deploy_spec(self.region)
        aws = AwsClients(self.region, endpoint, session=boto3.session.Session(
            aws_access_key_id=admin.access_key_id, aws_secret_access_key=admin.secret_access_key,
            region_name=self.region))
        result = deploy(spec, aws)
        lacking = [step.line() for step in result.steps if step.action == "unsupported"]
        if lacking:  # the exchange enforces what the deploy attached: all of it must exist
            raise RuntimeError(f"the demo cloud's deploy is incomplete: {lacking}")
        deployed = result.outputs
        pool_id, client_id = deployed.user_pool_id, deployed.client_id
        identity_pool_id = deployed.identity_pool_id
        assert pool_id and client_id and identity_pool_id
        users = []
        for name in USERNAMES:
            password = _demo_password()
            add_user(spec, aws, f"{name}@example.com", password=password, username=name)
            users.append(DemoUser(name, password))
        jwks = _get_json(f"{endpoint}/{pool_id}/.well-known/jwks.json")
        info = DemoCloudInfo(endpoint=endpoint, region=self.region, user_pool_id=pool_id,
                             client_id=client_id, identity_pool_id=identity_pool_id,
                             bucket=BUCKET, users=users, admin=admin,
                             inbox_token=self._inbox_token)
        exchange.configure(IdentitySettings(
            region=self.region, account_id=ACCOUNT_ID, identity_pool_id=identity_pool_id,
            user_pool_id=pool_id, client_id=client_id, bucket=BUCKET,
            prefix=info.path_prefix, jwks=jwks,
            admin_arn=f"arn:aws:iam::{ACCOUNT_ID}:user/{ADMIN_USER}"), admin_client,
            _MotoDeployedRole(self.region, identity_pool_id), self._forget_sessions)
        # From here on, every signed request is checked against IAM like the real thing.
        req = urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=b"0", method="POST",
                                     headers={"Content-Type": "text/plain",
                                              ADMIN_TOKEN_HEADER: self._admin_token})
        with urllib.request.urlopen(req, timeout=_HTTP_TIMEOUT_S) as resp:
            resp.read()
        return info


# Distinct hosts whose backend the dispatcher remembers: the hosts moto infers from a request's
# signing scope (`<service>.<region>.amazonaws.com`) are a handful; the cap only stops made-up
# scopes from growing the memory without end (past it, a host is looked up as moto does).
_MAX_REMEMBERED_HOSTS = 256


def moto_dispatcher(create_app: Callable[..., Any]) -> Any:
    """moto's DomainDispatcherApplication (the WSGI app that picks a service's Flask app for
    each request), with its host -> backend lookup remembered. moto 5.2 looks it up afresh per
    request, under the dispatcher's one lock, by listing its package folder and stat()ing
    every entry (~180) twice: ~1 ms of CPU per request, serialised, for every client's
    request (the admin keys' as much as an identity's). The answer depends only on the host
    and on the installed moto, so remembering it changes no answer."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    class HostCachingDispatcher(DomainDispatcherApplication):
        def __init__(self, create: Callable[..., Any]) -> None:
            super().__init__(create)
            self._backend_of_host: dict[str | None, Any] = {}

        def get_backend_for_host(self, host: str | None) -> Any:
            # Called under moto's lock (get_application): no lock of its own needed.
            try:
                return self._backend_of_host[host]
            except KeyError:
                pass
            backend = super().get_backend_for_host(host)
            if len(self._backend_of_host) < _MAX_REMEMBERED_HOSTS:
                self._backend_of_host[host] = backend
            return backend

    return HostCachingDispatcher(create_app)


# How long a connection thread waits for the next connection before it ends.
_IDLE_THREAD_S = 30.0


def _reuse_threads(server: Any) -> None:
    """Serve each connection on an idle thread of an earlier one when there is one, rather than
    on a new thread per connection (socketserver's ThreadingMixIn): werkzeug closes every
    connection after one request, so every request paid a thread start (~0.1 ms of CPU).
    A new thread is still started whenever none is idle, so no connection ever waits for
    another (a request the server makes to itself, as the identity exchange's role calls do,
    cannot starve). Idle threads end after _IDLE_THREAD_S."""
    work: queue.SimpleQueue[tuple[Any, Any] | None] = queue.SimpleQueue()
    lock = threading.Lock()
    idle = 0  # threads waiting for work, less the work already handed to them
    closed = False

    def serve(request: Any, client_address: Any) -> None:
        # As ThreadingMixIn.process_request_thread does.
        try:
            server.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 - the server's own error report, as socketserver's
            server.handle_error(request, client_address)
        finally:
            server.shutdown_request(request)

    def worker(first: tuple[Any, Any]) -> None:
        nonlocal idle
        job: tuple[Any, Any] | None = first
        while job is not None:
            serve(*job)
            with lock:
                if closed:
                    return
                idle += 1
            while True:
                try:
                    job = work.get(timeout=_IDLE_THREAD_S)
                    break
                except queue.Empty:
                    with lock:
                        if work.empty():  # nobody handed this thread anything: end it
                            idle -= 1
                            return

    def process_request(request: Any, client_address: Any) -> None:
        nonlocal idle
        with lock:
            if idle > 0:
                idle -= 1
                work.put((request, client_address))
                return
        threading.Thread(target=worker, args=((request, client_address),),
                         name="ecan-demo-cloud-conn", daemon=True).start()

    def server_close() -> None:
        nonlocal closed
        close()
        with lock:
            closed = True
            for _ in range(idle):
                work.put(None)

    close = server.server_close
    server.process_request = process_request
    server.server_close = server_close


class _MotoDeployedRole:
    """The identity pool's authenticated role and its inline policies, read from this process's
    moto state on every call (an HTTP round trip per S3 request would double the cost of each;
    moto's state lives here anyway, as `_password_of` reads it).

    Every request an identity signs asks, so the reading stays cheap: moto's backends are
    found as plain dict entries (see _moto_backend), and the role found for an ARN is kept
    while moto still holds that very role. A changed pool role, a role deleted or made again,
    or a changed policy text is still seen by the next request."""

    def __init__(self, region: str, identity_pool_id: str) -> None:
        self._region = region
        self._pool_id = identity_pool_id
        self._kept: tuple[str, Any] | None = None  # (ARN, moto's Role object)

    def arn(self) -> str | None:
        from moto.cognitoidentity.models import cognitoidentity_backends

        pool = _moto_backend(cognitoidentity_backends, self._region).identity_pools.get(
            self._pool_id)
        return poolroles.authenticated_role(pool) if pool is not None else None

    def policies(self) -> Sequence[Mapping[str, Any]]:
        from moto.iam.models import iam_backends

        arn = self.arn()
        if arn is None:
            return []
        iam = _moto_backend(iam_backends, "aws")
        kept = self._kept
        if kept is not None and kept[0] == arn and iam.roles.get(kept[1].id) is kept[1]:
            role = kept[1]
        else:
            role = iam.get_role(arn.rsplit("/", 1)[-1])  # a scan of every role
            self._kept = (arn, role)
        return [_parsed(doc) for doc in list(role.policies.values())]


def _moto_backend(backends: Any, region: str) -> Any:
    """moto's backend of ACCOUNT_ID in `region`. Indexing moto's BackendDict takes a lock
    shared by all its backends and compares itself with every backend in use, ~15 times per
    request already; once the account's backends exist, the dict entry is the same object."""
    account = dict.get(backends, ACCOUNT_ID)
    return (backends[ACCOUNT_ID] if account is None else account)[region]


@lru_cache(maxsize=64)
def _parsed(document: str) -> Mapping[str, Any]:
    # Parsed and compiled once per distinct text (a changed policy is a new text, so it takes
    # effect at once); callers only read it.
    return CompiledPolicy(json.loads(document))


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
