"""The IAM documents of an ecan deployment: the identities' role policy (each identity confined
to its own prefix, the shared system avatars read-only) and the role's trust policy. One copy:
the deploy writes them, the CloudFormation template carries them, the demo cloud enforces them."""

from __future__ import annotations

from typing import Any

# The condition key (and policy variable) Cognito sets to the caller's identity id.
IDENTITY_KEY = "cognito-identity.amazonaws.com:sub"
COGNITO_IDENTITY = "cognito-identity.amazonaws.com"


def identity_role_policy(bucket: str, prefix: str) -> dict[str, Any]:
    """The policy of the identities' role: each identity's own prefix read/write, the shared
    system avatars read-only, listing limited to those two (by the `s3:prefix` condition).
    `${cognito-identity.amazonaws.com:sub}` stands for the caller's identity id."""
    own = f"{prefix}${{{IDENTITY_KEY}}}/"
    shared = f"{prefix}shared/"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "OwnObjects", "Effect": "Allow",
             "Action": ["s3:PutObject", "s3:GetObject", "s3:DeleteObject",
                        "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
             "Resource": [f"arn:aws:s3:::{bucket}/{own}*"]},
            {"Sid": "SharedReadOnly", "Effect": "Allow", "Action": ["s3:GetObject"],
             "Resource": [f"arn:aws:s3:::{bucket}/{shared}*"]},
            {"Sid": "ListOwnAndShared", "Effect": "Allow", "Action": ["s3:ListBucket"],
             "Resource": [f"arn:aws:s3:::{bucket}"],
             "Condition": {"StringLike": {"s3:prefix": [f"{own}*", f"{shared}*"]}}},
        ],
    }


def identity_trust_policy(identity_pool_id: str) -> dict[str, Any]:
    """Who may assume the identities' role: Cognito Identity, for signed-in identities of this
    identity pool only (`aud` = the pool, `amr` = authenticated), as the console writes it."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Federated": COGNITO_IDENTITY},
             "Action": "sts:AssumeRoleWithWebIdentity",
             "Condition": {
                 "StringEquals": {f"{COGNITO_IDENTITY}:aud": identity_pool_id},
                 "ForAnyValue:StringLike": {f"{COGNITO_IDENTITY}:amr": "authenticated"}}},
        ],
    }
