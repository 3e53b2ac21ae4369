"""`ecan cloud deploy | add-user | publish-system | teardown | template`: the operator's side.
Makes the cloud ecan needs with the operator's own AWS credentials (the standard AWS chain), or
at `--endpoint` (a local moto server); publish-system uploads the system avatars. deploy's
`--json` shape is a contract: `{user_pool_id, client_id, identity_pool_id, bucket, region,
config}` (plus `steps`)."""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import sys
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ecan.cli.output import Output, plural
from ecan.errors import ConfigError, UserFacingError

if TYPE_CHECKING:
    from ecan.cloudops.aws import AwsClients
    from ecan.cloudops.deploy import Result
    from ecan.cloudops.spec import DeploySpec


def add_arguments(cloud: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """The `ecan cloud` actions and their options (main.py registers `cloud` itself)."""
    actions = cloud.add_subparsers(dest="cloud_command", metavar="ACTION", required=True,
                                   help="deploy, add-user, publish-system, teardown or "
                                        "template")

    def where(p: argparse.ArgumentParser) -> None:
        p.add_argument("--name", required=True, metavar="NAME",
                       help="the deployment's name (lower-case letters, digits, dashes); every "
                            "resource is named and tagged with it")
        p.add_argument("--region", default=None, metavar="R",
                       help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION or us-east-1)")
        p.add_argument("--endpoint", default=None, metavar="URL",
                       help="send every AWS call to this URL (a local moto server)")

    def spec_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--bucket", default=None, metavar="B",
                       help="the bucket's name (default: ecan-NAME-ACCOUNT_ID)")
        p.add_argument("--prefix", default="avatars/", metavar="P",
                       help="the folder every identity's own folder lives under "
                            "(default: avatars/)")
        p.add_argument("--mfa", action="store_true",
                       help="let users turn on TOTP (authenticator app) MFA")
        p.add_argument("--domain", default=None, metavar="PREFIX",
                       help="a hosted UI domain: PREFIX.auth.REGION.amazoncognito.com")
        p.add_argument("--callback-url", action="append", default=None, metavar="URL",
                       help="a hosted-UI (PKCE) redirect URL, repeatable (default: "
                            "http://localhost:47615/callback)")
        p.add_argument("--cors-origin", action="append", default=None, metavar="URL",
                       help="a web client's origin allowed by the bucket's CORS, repeatable "
                            "(default: none, no CORS)")
        p.add_argument("--no-sign-up", action="store_true",
                       help="users cannot sign themselves up; the operator adds them "
                            "(`ecan cloud add-user`)")

    d = actions.add_parser("deploy", parents=[common],
                           help="create or update the user pool, app client, identity pool, "
                                "role and bucket (a second run changes nothing)")
    where(d)
    spec_options(d)
    d.add_argument("--write-config", metavar="PATH",
                   help="write an auth_config.yml that points ecan at the deployment")
    d.add_argument("--dry-run", action="store_true",
                   help="print what would be created or changed, and change nothing")

    u = actions.add_parser("add-user", parents=[common],
                           help="create a user (Cognito e-mails a temporary password; the user "
                                "sets their own at first sign-in)")
    where(u)
    u.add_argument("--email", required=True, metavar="E",
                   help="the user's e-mail address (what they sign in with)")
    u.add_argument("--password-stdin", action="store_true",
                   help="read a permanent password from standard input instead (for scripts)")

    ps = actions.add_parser("publish-system", parents=[common],
                            help="upload the system avatars (the built-in set, or --from DIR) "
                                 "to PREFIX/shared/system/, where every user's app finds them")
    where(ps)
    ps.add_argument("--prefix", default="avatars/", metavar="P",
                    help="the deployment's prefix (default: avatars/)")
    ps.add_argument("--from", dest="from_dir", default=None, metavar="DIR",
                    help="a folder of pictures to publish, named as they should be shown "
                         "(default: the built-in set)")

    t = actions.add_parser("teardown", parents=[common],
                           help="remove what deploy made for NAME, and nothing else")
    where(t)
    t.add_argument("--bucket", default=None, metavar="B",
                   help="the bucket, if the user pool is gone (default: as deployed)")
    data = t.add_mutually_exclusive_group()
    data.add_argument("--delete-data", action="store_true",
                      help="also delete the users' avatars and the bucket")
    data.add_argument("--keep-bucket", action="store_true",
                      help="remove everything else, keep the bucket and its data")
    t.add_argument("--dry-run", action="store_true",
                   help="print what would be removed, and remove nothing")

    tp = actions.add_parser("template", parents=[common],
                            help="print the same resources as a CloudFormation template (JSON)")
    tp.add_argument("--name", required=True, metavar="NAME", help="the deployment's name")
    tp.add_argument("--region", default=None, metavar="R",
                    help="AWS region the template is meant for (default: as for deploy)")
    spec_options(tp)


def run(args: argparse.Namespace, out: Output) -> int:
    action = {"deploy": _deploy, "add-user": _add_user, "publish-system": _publish_system,
              "teardown": _teardown, "template": _template}[args.cloud_command]
    return action(args, out)


# -- helpers -----------------------------------------------------------------------------------

def _region(args: argparse.Namespace) -> str:
    return str(args.region or os.environ.get("AWS_REGION")
               or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")


def _spec(args: argparse.Namespace, *, full: bool) -> DeploySpec:
    from ecan.cloudops.spec import DEFAULT_CALLBACK_URLS, DeploySpec

    if not full:
        return DeploySpec(name=args.name, region=_region(args),
                          bucket=getattr(args, "bucket", None))
    return DeploySpec(
        name=args.name, region=_region(args), bucket=args.bucket, prefix=args.prefix,
        mfa=args.mfa, sign_up=not args.no_sign_up, domain=args.domain,
        callback_urls=tuple(args.callback_url or DEFAULT_CALLBACK_URLS),
        cors_origins=tuple(args.cors_origin or ()))


def _aws(args: argparse.Namespace) -> AwsClients:
    from ecan.cloudops.aws import AwsClients

    endpoint = args.endpoint
    if endpoint is not None:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError("--endpoint", f"{endpoint!r} is not an http(s) URL",
                              "Give the server's URL, e.g. http://127.0.0.1:5000.")
        if parts.scheme == "http" and not _loopback(parts.hostname):
            # The operator's AWS credentials sign every request: not over plain http on a net.
            raise ConfigError("--endpoint", "plain http is only for a server on this computer",
                              "Use https, or 127.0.0.1/localhost for a local moto server.")
    return AwsClients(_region(args), endpoint)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _steps_text(result: Result) -> list[str]:
    return [f"  {step.line()}" for step in result.steps]


def _counts(result: Result, actions: tuple[str, ...]) -> str:
    parts = []
    for action in actions:
        n = sum(1 for s in result.steps if s.action == action)
        if n:
            parts.append(f"{n} {action}" if action != "keep" else f"{n} unchanged")
    return ", ".join(parts) or "nothing"


# -- the actions -------------------------------------------------------------------------------

def _deploy(args: argparse.Namespace, out: Output) -> int:
    from ecan.cloudops.configfile import write_config_file
    from ecan.cloudops.deploy import deploy

    spec = _spec(args, full=True)
    result = deploy(spec, _aws(args), dry_run=args.dry_run)
    config = None
    if args.write_config and not args.dry_run:
        config = str(write_config_file(
            args.write_config, result.outputs.config_document(),
            f"Written by `ecan cloud deploy --name {spec.name}`: points ecan at it."))
    data: dict[str, Any] = {**result.outputs.contract(config),
                            "steps": [s.to_dict() for s in result.steps],
                            "dry_run": result.dry_run}

    def human() -> str:
        o = result.outputs
        if result.dry_run:
            lines = [f"Plan for deployment {spec.name} (nothing changed; run without --dry-run "
                     "to apply):", *_steps_text(result)]
            return "\n".join(lines)
        lines = [f"Deployment {spec.name} at {_aws_where(args)}: "
                 f"{_counts(result, ('create', 'update', 'keep', 'unsupported'))}.",
                 *_steps_text(result),
                 f"  user pool {o.user_pool_id}, app client {o.client_id}",
                 f"  identity pool {o.identity_pool_id}",
                 f"  bucket {o.bucket} (prefix {o.prefix}), region {o.region}"]
        if o.domain:
            lines.append(f"  hosted UI https://{o.domain}")
        if config:
            lines += [f"Config for ecan: {config}",
                      f"  export ECAN_CONFIG={config}"]
        else:
            lines.append("Add --write-config PATH to get an auth_config.yml for ecan.")
        return "\n".join(lines)

    if args.write_config and args.dry_run:
        out.info("--write-config is ignored in a dry run (nothing exists to point at yet).")
    out.result(data, human)
    return 0


def _aws_where(args: argparse.Namespace) -> str:
    return str(args.endpoint or f"AWS {_region(args)}")


def _add_user(args: argparse.Namespace, out: Output) -> int:
    from ecan.cloudops.users import add_user

    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise UserFacingError("invalid_password", "The password on standard input is empty.",
                                  "Pipe the password in, e.g. `printf '%s' \"$PW\" | ecan cloud "
                                  "add-user ... --password-stdin`.")
    user = add_user(_spec(args, full=False), _aws(args), args.email, password=password)

    def human() -> str:
        if user.status == "CONFIRMED":
            return (f"Added {user.email} to user pool {user.user_pool_id} with the password "
                    "given; they sign in with their e-mail address.")
        return (f"Added {user.email} to user pool {user.user_pool_id}. Cognito e-mails them a "
                "temporary password; they choose their own at first sign-in.")

    out.result(user.to_dict(), human)
    return 0


def _publish_system(args: argparse.Namespace, out: Output) -> int:
    from pathlib import Path

    from ecan.cloudops.publish import publish_system
    from ecan.resources import assets_dir

    folder = Path(args.from_dir) if args.from_dir else assets_dir() / "system_avatars"
    result = publish_system(_spec(args, full=False), _aws(args), folder, prefix=args.prefix)

    def human() -> str:
        lines = [f"Published {plural(len(result.avatars), 'system avatar')} to "
                 f"s3://{result.bucket}/{result.prefix}shared/system/; signed-in apps show "
                 "them from their next sync."]
        lines += [f"  skipped {s}" for s in result.skipped]
        return "\n".join(lines)

    out.result(result.to_dict(), human)
    return 0


def _teardown(args: argparse.Namespace, out: Output) -> int:
    from ecan.cloudops.deploy import teardown

    spec = _spec(args, full=False)
    result = teardown(spec, _aws(args), dry_run=args.dry_run, delete_data=args.delete_data,
                      keep_bucket=args.keep_bucket)
    removed = [s for s in result.steps if s.action == "delete"]

    def human() -> str:
        head = (f"Teardown plan for {spec.name} (nothing removed):" if result.dry_run else
                f"Deployment {spec.name}: removed {plural(len(removed), 'resource')}.")
        return "\n".join([head, *_steps_text(result)])

    out.result({"steps": [s.to_dict() for s in result.steps], "dry_run": result.dry_run},
               human)
    return 0


def _template(args: argparse.Namespace, out: Output) -> int:
    from ecan.cloudops.template import cloudformation_template

    template = cloudformation_template(_spec(args, full=True))
    # The template is itself one JSON document: the same on stdout with or without --json.
    out.stdout.write(json.dumps(template, indent=2) + "\n")
    out.stdout.flush()
    return 0
