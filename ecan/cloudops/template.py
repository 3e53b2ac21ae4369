"""The same deployment as a CloudFormation template, for operators who keep infrastructure as
code (`ecan cloud template`). Every setting comes from the DeploySpec and the policy module the
deploy uses, so the two cannot drift apart."""

from __future__ import annotations

from typing import Any

from ecan.cloudops.policy import identity_role_policy, identity_trust_policy
from ecan.cloudops.spec import (
    CLIENT_NAME,
    ROLE_POLICY_NAME,
    DeploySpec,
)

# Stand-ins for values CloudFormation knows only at stack time; replaced by Fn::Sub references.
_BUCKET = "@@ecan-bucket@@"
_IDENTITY_POOL = "@@ecan-identity-pool@@"
_SUBSTITUTES = {_BUCKET: "${AvatarBucket}", _IDENTITY_POOL: "${IdentityPool}"}


def _sub(value: Any) -> Any:
    """`value` with every string that names a stand-in turned into an Fn::Sub (the policy
    variables in it escaped as `${!...}`, so IAM, not CloudFormation, reads them)."""
    if isinstance(value, dict):
        return {k: _sub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_sub(v) for v in value]
    if isinstance(value, str) and any(s in value for s in _SUBSTITUTES):
        text = value.replace("${", "${!")
        for stand_in, ref in _SUBSTITUTES.items():
            text = text.replace(stand_in, ref)
        return {"Fn::Sub": text}
    return value


def _tags(spec: DeploySpec) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in spec.tags.items()]


def cloudformation_template(spec: DeploySpec) -> dict[str, Any]:
    """The template (a JSON-compatible dict) of everything `ecan cloud deploy` makes."""
    bucket_name: Any = spec.bucket or {"Fn::Sub": f"ecan-{spec.name}-${{AWS::AccountId}}"}
    lifecycle = []
    for rule in spec.lifecycle_rules():
        cfn: dict[str, Any] = {"Id": rule["ID"], "Status": rule["Status"]}
        filt: Any = rule["Filter"]
        if "Tag" in filt:
            cfn["TagFilters"] = [dict(filt["Tag"])]
        else:
            cfn["Prefix"] = filt["Prefix"]
        if "Expiration" in rule:
            cfn["ExpirationInDays"] = rule["Expiration"]["Days"]  # type: ignore[index]
        if "AbortIncompleteMultipartUpload" in rule:
            cfn["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
        lifecycle.append(cfn)
    bucket: dict[str, Any] = {
        "BucketName": bucket_name,
        "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                           "BlockPublicPolicy": True,
                                           "RestrictPublicBuckets": True},
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
        "LifecycleConfiguration": {"Rules": lifecycle},
        "Tags": _tags(spec),
    }
    cors = spec.cors_rules()
    if cors:
        bucket["CorsConfiguration"] = {"CorsRules": [
            {"Id": r["ID"], "AllowedOrigins": r["AllowedOrigins"],
             "AllowedMethods": r["AllowedMethods"], "AllowedHeaders": r["AllowedHeaders"],
             "ExposedHeaders": r["ExposeHeaders"], "MaxAge": r["MaxAgeSeconds"]} for r in cors]}

    pool: dict[str, Any] = {
        "UserPoolName": spec.user_pool_name,
        "UsernameConfiguration": {"CaseSensitive": False},
        "AutoVerifiedAttributes": ["email"],
        "Policies": {"PasswordPolicy": spec.password_policy()},
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": not spec.sign_up},
        "AccountRecoverySetting": {"RecoveryMechanisms": [
            {"Name": "verified_email", "Priority": 1}]},
        "VerificationMessageTemplate": {"DefaultEmailOption": "CONFIRM_WITH_CODE"},
        "MfaConfiguration": "OPTIONAL" if spec.mfa else "OFF",
        "UserPoolTags": dict(spec.tags),
    }
    if spec.email_username:
        pool["UsernameAttributes"] = ["email"]
    if spec.mfa:
        pool["EnabledMfas"] = ["SOFTWARE_TOKEN_MFA"]

    resources: dict[str, Any] = {
        # Users' avatars outlive the stack: deleting it leaves the bucket.
        "AvatarBucket": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain",
                         "UpdateReplacePolicy": "Retain", "Properties": bucket},
        "UserPool": {"Type": "AWS::Cognito::UserPool", "Properties": pool},
        "UserPoolClient": {"Type": "AWS::Cognito::UserPoolClient", "Properties": {
            "UserPoolId": {"Ref": "UserPool"},
            "ClientName": CLIENT_NAME,
            "GenerateSecret": False,
            **spec.app_client(),
        }},
        "IdentityPool": {"Type": "AWS::Cognito::IdentityPool", "Properties": {
            "IdentityPoolName": spec.identity_pool_name,
            "AllowUnauthenticatedIdentities": False,
            "CognitoIdentityProviders": [{
                "ProviderName": {"Fn::GetAtt": ["UserPool", "ProviderName"]},
                "ClientId": {"Ref": "UserPoolClient"},
                "ServerSideTokenCheck": True}],
            "IdentityPoolTags": _tags(spec),
        }},
        "IdentityRole": {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": spec.role_name,
            "Description": f"ecan deployment {spec.name}: signed-in identities' storage access",
            "AssumeRolePolicyDocument": _sub(identity_trust_policy(_IDENTITY_POOL)),
            "Policies": [{"PolicyName": ROLE_POLICY_NAME,
                          "PolicyDocument": _sub(identity_role_policy(_BUCKET, spec.prefix))}],
            "Tags": _tags(spec),
        }},
        "IdentityPoolRoles": {"Type": "AWS::Cognito::IdentityPoolRoleAttachment", "Properties": {
            "IdentityPoolId": {"Ref": "IdentityPool"},
            "Roles": {"authenticated": {"Fn::GetAtt": ["IdentityRole", "Arn"]}},
        }},
    }
    if spec.domain:
        resources["UserPoolDomain"] = {"Type": "AWS::Cognito::UserPoolDomain", "Properties": {
            "Domain": spec.domain, "UserPoolId": {"Ref": "UserPool"}}}
    outputs = {
        "UserPoolId": {"Value": {"Ref": "UserPool"}},
        "ClientId": {"Value": {"Ref": "UserPoolClient"}},
        "IdentityPoolId": {"Value": {"Ref": "IdentityPool"}},
        "Bucket": {"Value": {"Ref": "AvatarBucket"}},
        "Region": {"Value": {"Ref": "AWS::Region"}},
        "PathPrefix": {"Value": spec.prefix},
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"ecan deployment {spec.name}: Cognito sign-in, per-user storage "
                       "(same resources as `ecan cloud deploy`).",
        "Resources": resources,
        "Outputs": outputs,
    }
