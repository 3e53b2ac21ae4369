"""The CloudFormation template of a deployment (`ecan cloud template`): valid for cfn-lint, and the
same documents the deploy writes (one copy of the identity policy)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecan.cli.main import main
from ecan.cloudops.policy import identity_role_policy, identity_trust_policy
from ecan.cloudops.spec import DeploySpec
from ecan.cloudops.template import cloudformation_template
from ecan.errors import ConfigError

SPECS = [
    DeploySpec(name="acme"),
    DeploySpec(name="acme", region="eu-west-1", bucket="acme-avatars", prefix="tenant/avatars/",
               mfa=True, sign_up=False, domain="acme-login",
               cors_origins=("https://app.example.com",)),
]


def _lint(template: dict[str, Any], region: str) -> list[str]:
    import cfnlint.api

    return [str(m) for m in cfnlint.api.lint(json.dumps(template), regions=[region])]


@pytest.mark.parametrize("spec", SPECS, ids=["defaults", "every-option"])
def test_the_template_passes_cfn_lint(spec: DeploySpec) -> None:
    assert _lint(cloudformation_template(spec), spec.region) == []


def test_cfn_lint_would_catch_a_broken_template() -> None:
    template = cloudformation_template(SPECS[0])
    template["Resources"]["UserPool"]["Properties"]["MfaConfiguration"] = "SOMETIMES"
    del template["Resources"]["IdentityPool"]["Properties"]["AllowUnauthenticatedIdentities"]
    assert len(_lint(template, "us-east-1")) >= 2


def _resolve(value: Any, refs: dict[str, str]) -> Any:
    """Fn::Sub as CloudFormation evaluates it, for the references in `refs`."""
    if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
        text = value["Fn::Sub"]
        for name, resolved in refs.items():
            text = text.replace("${" + name + "}", resolved)
        assert "${" not in text.replace("${!", ""), text
        return text.replace("${!", "${")
    if isinstance(value, dict):
        return {k: _resolve(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, refs) for v in value]
    return value


def test_the_template_carries_the_deployed_policies() -> None:
    spec = SPECS[1]
    role = cloudformation_template(spec)["Resources"]["IdentityRole"]["Properties"]
    refs = {"AvatarBucket": "acme-avatars", "IdentityPool": "eu-west-1:pool"}
    assert _resolve(role["Policies"][0]["PolicyDocument"], refs) == identity_role_policy(
        "acme-avatars", "tenant/avatars/")
    assert _resolve(role["AssumeRolePolicyDocument"], refs) == identity_trust_policy(
        "eu-west-1:pool")


def test_the_identity_policy_confines_listing_and_objects_to_the_callers_folder() -> None:
    policy = identity_role_policy("b", "avatars/")
    own = "avatars/${cognito-identity.amazonaws.com:sub}/"
    resources = [r for s in policy["Statement"] for r in s["Resource"]]
    assert resources == [f"arn:aws:s3:::b/{own}*", "arn:aws:s3:::b/avatars/shared/*",
                         "arn:aws:s3:::b"]
    listing = policy["Statement"][2]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": [f"{own}*",
                                                                 "avatars/shared/*"]}}


def test_cli_prints_the_template(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cloud", "template", "--name", "acme", "--region", "us-east-1"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == cloudformation_template(DeploySpec(name="acme"))


@pytest.mark.parametrize("kwargs, setting", [
    ({"name": "Acme"}, "--name"), ({"name": "a" * 25}, "--name"),
    ({"name": "acme", "region": "mars"}, "--region"),
    ({"name": "acme", "bucket": "B"}, "--bucket"),
    ({"name": "acme", "domain": "my-cognito"}, "--domain"),
    ({"name": "acme", "prefix": "/abs/"}, "--prefix"), ({"name": "acme", "prefix": ""}, "--prefix"),
])
def test_a_bad_setting_is_named(kwargs: dict[str, Any], setting: str) -> None:
    with pytest.raises(ConfigError) as exc:
        DeploySpec(**kwargs)
    assert setting in exc.value.message
