"""The local cloud's own S3 authorization: the policy evaluator decides like IAM for the language
an identity pool's role uses, and S3 requests map to the IAM actions real S3 checks."""

from __future__ import annotations

import io
from typing import Any

import pytest

from ecan.cloudops.policy import IDENTITY_KEY, identity_role_policy
from ecan.democloud.policy import AccessRequest, PolicyError, is_allowed
from ecan.democloud.s3access import MalformedRequest, locate, required_access

BUCKET = "ecan-demo"
ME = "us-east-1:11111111-1111-1111-1111-111111111111"
OTHER = "us-east-1:22222222-2222-2222-2222-222222222222"


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _req(action: str, resource: str, **context: str) -> AccessRequest:
    return AccessRequest(action, resource, context)


# -- the evaluator ---------------------------------------------------------------------------

def test_an_explicit_deny_wins_over_an_allow() -> None:
    policy = _policy(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::b/keep/*"})
    assert is_allowed(policy, _req("s3:DeleteObject", "arn:aws:s3:::b/other/x"))
    assert not is_allowed(policy, _req("s3:DeleteObject", "arn:aws:s3:::b/keep/x"))


def test_nothing_matching_is_an_implicit_deny() -> None:
    policy = _policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    assert not is_allowed(policy, _req("s3:HeadObject", "arn:aws:s3:::b/x"))
    assert not is_allowed(_policy(), _req("s3:GetObject", "arn:aws:s3:::b/x"))


def test_action_wildcards_match_case_insensitively_and_notaction_inverts() -> None:
    policy = _policy({"Effect": "Allow", "Action": ["s3:Get*", "s3:List?ucket"],
                      "Resource": "*"})
    assert is_allowed(policy, _req("s3:getobject", "arn:aws:s3:::b/x"))
    assert is_allowed(policy, _req("s3:ListBucket", "arn:aws:s3:::b"))
    assert not is_allowed(policy, _req("s3:PutObject", "arn:aws:s3:::b/x"))
    assert not is_allowed(policy, _req("iam:GetUser", "*"))
    everything_but_delete = _policy({"Effect": "Allow", "NotAction": "s3:Delete*",
                                     "Resource": "*"})
    assert is_allowed(everything_but_delete, _req("s3:PutObject", "arn:aws:s3:::b/x"))
    assert not is_allowed(everything_but_delete, _req("s3:DeleteObject", "arn:aws:s3:::b/x"))


def test_resource_wildcards_span_slashes_and_are_case_sensitive() -> None:
    policy = _policy({"Effect": "Allow", "Action": "s3:GetObject",
                      "Resource": "arn:aws:s3:::b/avatars/*/images/?.png"})
    assert is_allowed(policy, _req("s3:GetObject", "arn:aws:s3:::b/avatars/a/b/images/x.png"))
    assert not is_allowed(policy, _req("s3:GetObject", "arn:aws:s3:::b/avatars/a/images/xy.png"))
    assert not is_allowed(policy, _req("s3:GetObject", "arn:aws:s3:::b/Avatars/a/images/x.png"))
    not_resource = _policy({"Effect": "Allow", "Action": "s3:GetObject",
                            "NotResource": "arn:aws:s3:::b/private/*"})
    assert is_allowed(not_resource, _req("s3:GetObject", "arn:aws:s3:::b/public/x"))
    assert not is_allowed(not_resource, _req("s3:GetObject", "arn:aws:s3:::b/private/x"))


def test_the_identity_variable_is_substituted_with_the_callers_id() -> None:
    policy = _policy({"Effect": "Allow", "Action": "s3:PutObject",
                      "Resource": f"arn:aws:s3:::b/avatars/${{{IDENTITY_KEY}}}/*"})
    mine = f"arn:aws:s3:::b/avatars/{ME}/x.png"
    assert is_allowed(policy, _req("s3:PutObject", mine, **{IDENTITY_KEY: ME}))
    assert not is_allowed(policy, _req("s3:PutObject", mine, **{IDENTITY_KEY: OTHER}))
    # No identity in the request: the variable has no value, the statement grants nothing.
    assert not is_allowed(policy, _req("s3:PutObject", mine))
    # The substituted value is literal text: an id with a wildcard in it is no wildcard.
    assert not is_allowed(policy, _req("s3:PutObject", "arn:aws:s3:::b/avatars/anyone/x",
                                       **{IDENTITY_KEY: "*"}))
    # Policies of the 2008 language have no variables: the text is taken literally.
    old = {**policy, "Version": "2008-10-17"}
    assert not is_allowed(old, _req("s3:PutObject", mine, **{IDENTITY_KEY: ME}))


def test_s3_prefix_conditions() -> None:
    like = _policy({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b",
                    "Condition": {"StringLike": {"s3:prefix": [
                        f"avatars/${{{IDENTITY_KEY}}}/*", "avatars/shared/*"]}}})
    me = {IDENTITY_KEY: ME}
    assert is_allowed(like, _req("s3:ListBucket", "arn:aws:s3:::b",
                                 **me, **{"s3:prefix": f"avatars/{ME}/images/"}))
    assert is_allowed(like, _req("s3:ListBucket", "arn:aws:s3:::b",
                                 **me, **{"s3:prefix": "avatars/shared/"}))
    for prefix in ("", "avatars/", f"avatars/{OTHER}/"):
        assert not is_allowed(like, _req("s3:ListBucket", "arn:aws:s3:::b",
                                         **me, **{"s3:prefix": prefix}))
    # Condition key names are case-insensitive; a missing key fails a positive test.
    assert is_allowed(like, _req("s3:ListBucket", "arn:aws:s3:::b",
                                 **me, **{"S3:Prefix": "avatars/shared/x"}))
    assert not is_allowed(like, _req("s3:ListBucket", "arn:aws:s3:::b", **me))

    equals = _policy({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*",
                      "Condition": {"StringEquals": {"s3:prefix": ["", "home/"]}}})
    assert is_allowed(equals, _req("s3:ListBucket", "arn:aws:s3:::b", **{"s3:prefix": ""}))
    assert not is_allowed(equals, _req("s3:ListBucket", "arn:aws:s3:::b",
                                       **{"s3:prefix": "home/x"}))
    any_value = _policy({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*",
                         "Condition": {"ForAnyValue:StringLike": {"s3:prefix": "home/*"}}})
    assert is_allowed(any_value, _req("s3:ListBucket", "*", **{"s3:prefix": "home/x"}))
    assert not is_allowed(any_value, _req("s3:ListBucket", "*"))
    not_like = _policy({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"},
                       {"Effect": "Deny", "Action": "s3:ListBucket", "Resource": "*",
                        "Condition": {"StringNotLike": {"s3:prefix": "home/*"}}})
    assert is_allowed(not_like, _req("s3:ListBucket", "*", **{"s3:prefix": "home/x"}))
    assert not is_allowed(not_like, _req("s3:ListBucket", "*", **{"s3:prefix": "etc/"}))


def test_what_the_evaluator_cannot_read_is_an_error_not_a_guess() -> None:
    for policy in (
        _policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                 "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}),
        _policy({"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                 "Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-01"}}}),
        _policy({"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}),
        _policy({"Effect": "Allow", "Resource": "*"}),
        {"Statement": "not a list"},
    ):
        with pytest.raises(PolicyError):
            is_allowed(policy, _req("s3:GetObject", "arn:aws:s3:::b/x", **{"s3:prefix": ""}))


def test_the_identity_role_policy_confines_each_identity() -> None:
    policy = identity_role_policy(BUCKET, "avatars/")
    assert f"${{{IDENTITY_KEY}}}" in str(policy)  # a template, as an operator deploys it

    def allowed(action: str, key: str | None = None, prefix: str | None = None) -> bool:
        resource = f"arn:aws:s3:::{BUCKET}" + (f"/{key}" if key is not None else "")
        context = {IDENTITY_KEY: ME} | ({"s3:prefix": prefix} if prefix is not None else {})
        return is_allowed(policy, AccessRequest(action, resource, context))

    for action in ("s3:PutObject", "s3:GetObject", "s3:DeleteObject"):
        assert allowed(action, f"avatars/{ME}/images/a.png")
        assert not allowed(action, f"avatars/{OTHER}/images/a.png")
    assert allowed("s3:GetObject", "avatars/shared/images/a.png")
    assert not allowed("s3:PutObject", "avatars/shared/images/a.png")
    assert not allowed("s3:DeleteObject", "avatars/shared/images/a.png")
    assert allowed("s3:ListBucket", prefix=f"avatars/{ME}/")
    assert allowed("s3:ListBucket", prefix="avatars/shared/")
    assert not allowed("s3:ListBucket", prefix="")
    assert not allowed("s3:ListBucket", prefix=f"avatars/{OTHER}/")
    assert not allowed("s3:PutObjectAcl", f"avatars/{ME}/images/a.png")
    assert not allowed("s3:HeadObject", f"avatars/{ME}/images/a.png")  # not an IAM action


class _CountedReads(dict[str, Any]):
    """A policy document that counts how often it is read."""

    reads = 0

    def __getitem__(self, key: str) -> Any:
        _CountedReads.reads += 1
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        _CountedReads.reads += 1
        return super().get(key, default)


def test_a_compiled_role_policy_decides_every_request_without_reading_the_document_again(
        ) -> None:
    # The demo cloud evaluates the deployed role policy for every identity request.
    from ecan.democloud.policy import CompiledPolicy, is_allowed_by_all

    document = _CountedReads(identity_role_policy(BUCKET, "avatars/"))
    compiled = CompiledPolicy(document)
    read_to_compile = _CountedReads.reads
    for i in range(50):
        for who, allowed in ((ME, True), (OTHER, False)):
            request = AccessRequest("s3:PutObject", f"arn:aws:s3:::{BUCKET}/avatars/{ME}/"
                                    f"images/{i}.png", {IDENTITY_KEY: who})
            assert is_allowed_by_all([compiled], request) is allowed
            assert is_allowed(compiled, request) is allowed
    assert _CountedReads.reads == read_to_compile
    # It is still the document, for anyone who reads it.
    assert dict(compiled) == identity_role_policy(BUCKET, "avatars/")


def test_the_deployed_role_is_read_again_when_the_pool_role_the_role_or_its_policy_changes(
        ) -> None:
    # The demo cloud keeps the role it found for an ARN (a scan of every role per request,
    # otherwise); what an operator changes must still reach the very next request.
    moto = pytest.importorskip("moto")
    import json

    import boto3
    from moto.cognitoidentity.responses import CognitoIdentityResponse

    from ecan.democloud import poolroles
    from ecan.democloud.server import _MotoDeployedRole

    trust = json.dumps(_policy({"Effect": "Allow", "Action": "sts:AssumeRole",
                                "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}))
    with moto.mock_aws():
        poolroles.install(CognitoIdentityResponse)
        iam = boto3.client("iam", region_name="us-east-1")
        identity = boto3.client("cognito-identity", region_name="us-east-1")
        pool = identity.create_identity_pool(IdentityPoolName="pool",
                                             AllowUnauthenticatedIdentities=False)
        pool_id = pool["IdentityPoolId"]

        def allow(role: str, action: str) -> None:
            iam.put_role_policy(RoleName=role, PolicyName="access", PolicyDocument=json.dumps(
                _policy({"Effect": "Allow", "Action": action, "Resource": "*"})))

        def make(role: str, action: str) -> str:
            arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
            allow(role, action)
            return str(arn)

        def use(arn: str | None) -> None:
            identity.set_identity_pool_roles(IdentityPoolId=pool_id,
                                             Roles={"authenticated": arn} if arn else {})

        deployed = _MotoDeployedRole("us-east-1", pool_id)

        def actions() -> list[str]:
            return [p["Statement"][0]["Action"] for p in deployed.policies()]

        use(make("first", "s3:GetObject"))
        assert actions() == ["s3:GetObject"] == actions()
        allow("first", "s3:PutObject")  # a changed policy
        assert actions() == ["s3:PutObject"]
        iam.delete_role_policy(RoleName="first", PolicyName="access")
        iam.delete_role(RoleName="first")
        make("first", "s3:DeleteObject")  # the same name and ARN, another role
        assert actions() == ["s3:DeleteObject"]
        use(make("second", "s3:ListBucket"))  # the pool gives another role
        assert actions() == ["s3:ListBucket"]
        use(None)  # and then none: nothing allowed
        assert deployed.arn() is None and actions() == []


def test_a_policy_error_is_raised_only_where_reading_the_document_reaches_it() -> None:
    from ecan.democloud.policy import CompiledPolicy

    get = _req("s3:GetObject", "arn:aws:s3:::b/x")
    # A matching Deny ends the reading before the malformed statement after it.
    deny_first = _policy({"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"},
                         {"Effect": "Maybe", "Action": "s3:*", "Resource": "*"})
    # A condition is read only when the statement's action and resource match.
    other_action = _policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                           {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*",
                            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}})
    allow_then_bad = _policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                             {"Effect": "Allow", "Resource": "*"})
    for document in (deny_first, CompiledPolicy(deny_first)):
        assert not is_allowed(document, get)
    for document in (other_action, CompiledPolicy(other_action)):
        assert is_allowed(document, get)
    compiled = CompiledPolicy(allow_then_bad)
    for document in (allow_then_bad, compiled, compiled):  # every time, not once
        with pytest.raises(PolicyError):
            is_allowed(document, get)
    for bad in ({"Statement": "not a list"}, ["not", "a", "document"]):
        with pytest.raises(PolicyError):
            is_allowed(CompiledPolicy(bad), get)


# -- S3 request -> IAM actions ---------------------------------------------------------------

def _environ(method: str, path: str, query: str = "", body: bytes = b"",
             host: str = "127.0.0.1:4566", **headers: str) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
        "RAW_URI": path + (f"?{query}" if query else ""), "HTTP_HOST": host,
        "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)}
    environ.update({"HTTP_" + k.upper(): v for k, v in headers.items()})
    return environ


def _needs(environ: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    where = locate(environ, BUCKET)
    assert where is not None
    access = required_access(environ, *where, {IDENTITY_KEY: ME})
    return [(n.action, n.resource, n.context.get("s3:prefix")) for n in access.needs]


OBJ = f"arn:aws:s3:::{BUCKET}/k/a b"
BKT = f"arn:aws:s3:::{BUCKET}"


@pytest.mark.parametrize(("method", "query", "headers", "expected"), [
    ("HEAD", "", {}, [("s3:GetObject", OBJ, None)]),
    ("GET", "response-content-type=text%2Fplain&partNumber=1", {},
     [("s3:GetObject", OBJ, None)]),
    ("GET", "versionId=3", {}, [("s3:GetObjectVersion", OBJ, None)]),
    ("GET", "attributes", {}, [("s3:GetObject", OBJ, None),
                               ("s3:GetObjectAttributes", OBJ, None)]),
    ("GET", "uploadId=u", {}, [("s3:ListMultipartUploadParts", OBJ, None)]),
    ("PUT", "x-id=PutObject", {}, [("s3:PutObject", OBJ, None)]),
    ("POST", "uploads", {}, [("s3:PutObject", OBJ, None)]),
    ("PUT", "partNumber=1&uploadId=u", {}, [("s3:PutObject", OBJ, None)]),
    ("POST", "uploadId=u", {}, [("s3:PutObject", OBJ, None)]),
    ("DELETE", "uploadId=u", {}, [("s3:AbortMultipartUpload", OBJ, None)]),
    ("DELETE", "", {}, [("s3:DeleteObject", OBJ, None)]),
    ("PUT", "", {"x_amz_copy_source": "/ecan-demo/other/s%20rc?versionId=7"},
     [("s3:PutObject", OBJ, None),
      ("s3:GetObjectVersion", f"arn:aws:s3:::{BUCKET}/other/s rc", None)]),
    ("PUT", "", {"x_amz_tagging": "a=b", "x_amz_acl": "public-read"},
     [("s3:PutObject", OBJ, None), ("s3:PutObjectTagging", OBJ, None),
      ("s3:PutObjectAcl", OBJ, None)]),
    ("PUT", "", {"x_amz_grant_full_control": "id=x"},
     [("s3:PutObject", OBJ, None), ("s3:PutObjectAcl", OBJ, None)]),
    ("PUT", "acl", {}, [("s3:PutObjectAcl", OBJ, None)]),
    ("PUT", "retention", {}, [("s3:PutObjectRetention", OBJ, None)]),
    ("POST", "restore", {}, [("s3:PostObjectRestore", OBJ, None)]),
])
def test_object_requests_map_to_the_actions_s3_checks(
        method: str, query: str, headers: dict[str, str],
        expected: list[tuple[str, str, str | None]]) -> None:
    assert _needs(_environ(method, f"/{BUCKET}/k/a%20b", query, **headers)) == expected


@pytest.mark.parametrize(("method", "query", "expected"), [
    ("GET", "list-type=2&prefix=avatars%2Fme%2F&max-keys=1",
     [("s3:ListBucket", BKT, "avatars/me/")]),
    ("GET", "", [("s3:ListBucket", BKT, "")]),
    ("HEAD", "", [("s3:ListBucket", BKT, "")]),
    ("GET", "uploads&prefix=a", [("s3:ListBucketMultipartUploads", BKT, "a")]),
    ("GET", "versions", [("s3:ListBucketVersions", BKT, "")]),
    ("GET", "policy", [("s3:GetBucketPolicy", BKT, None)]),
    ("PUT", "", [("s3:CreateBucket", BKT, None)]),
    ("DELETE", "", [("s3:DeleteBucket", BKT, None)]),
])
def test_bucket_requests_map_to_the_actions_s3_checks(
        method: str, query: str, expected: list[tuple[str, str, str | None]]) -> None:
    assert _needs(_environ(method, f"/{BUCKET}", query)) == expected


def test_a_multi_object_delete_needs_delete_on_every_key() -> None:
    body = (b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            b"<Object><Key>a/1</Key></Object><Object><Key>b/&amp;2</Key>"
            b"<VersionId>v</VersionId></Object><Quiet>true</Quiet></Delete>")
    environ = _environ("POST", f"/{BUCKET}", "delete", body)
    access = required_access(environ, BUCKET, "", {})
    assert [(n.action, n.resource) for n in access.needs] == [
        ("s3:DeleteObject", f"arn:aws:s3:::{BUCKET}/a/1"),
        ("s3:DeleteObjectVersion", f"arn:aws:s3:::{BUCKET}/b/&2")]
    assert access.quiet
    assert environ["wsgi.input"].read() == body  # the server still gets the whole body


@pytest.mark.parametrize("body", [
    b"not xml", b"<Delete></Delete>", b"<Delete><Object><VersionId>v</VersionId></Object>"
    b"</Delete>", b'<!DOCTYPE d [<!ENTITY x "y">]><Delete><Object><Key>&x;</Key></Object>'
    b"</Delete>", b"<Delete>" + b"<Object><Key>k</Key></Object>" * 1001 + b"</Delete>"])
def test_a_malformed_or_oversized_delete_body_is_refused(body: bytes) -> None:
    with pytest.raises(MalformedRequest):
        required_access(_environ("POST", f"/{BUCKET}", "delete", body), BUCKET, "", {})


def test_virtual_host_style_is_read_only_when_the_host_names_the_bucket() -> None:
    virtual = _environ("GET", "/avatars/me/x", host=f"{BUCKET}.localhost:4566")
    assert locate(virtual, BUCKET) == (BUCKET, "avatars/me/x")
    assert locate(_environ("GET", "/avatars/me/x", host="localhost:4566"), BUCKET) == \
        ("avatars", "me/x")
    assert locate(_environ("GET", f"/{BUCKET}/k", host="[::1]:4566"), BUCKET) == (BUCKET, "k")
    # A host whose style the server may read differently (moto drops a leading "www.") is
    # refused rather than guessed.
    assert locate(_environ("GET", f"/{BUCKET}/k", host=f"www.{BUCKET}.example"), BUCKET) \
        is None
    assert locate(_environ("GET", f"/{BUCKET}/k", host="s3.example.com"), BUCKET) is None


# -- the admin API guard ---------------------------------------------------------------------

def test_only_the_runs_token_opens_the_emulators_admin_api() -> None:
    from ecan.democloud.identity import ADMIN_TOKEN_HEADER, IdentityExchange

    reached: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        reached.append(environ["PATH_INFO"])
        start_response("200 OK", [])
        return [b""]

    def call(exchange: IdentityExchange, path: str, **headers: str) -> str:
        statuses: list[str] = []
        environ = _environ("POST", path, body=b"0")
        environ.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()})
        exchange(environ, lambda status, headers: statuses.append(status))
        return statuses[0].split()[0]

    token = "t" * 43
    exchange = IdentityExchange(app, 90, admin_token=token)
    assert call(exchange, "/moto-api/reset-auth") == "403"
    assert call(exchange, "/moto-api/reset-auth", **{ADMIN_TOKEN_HEADER: token[:-1]}) == "403"
    assert reached == []
    assert call(exchange, "/moto-api/reset-auth", **{ADMIN_TOKEN_HEADER: token}) == "200"
    assert reached == ["/moto-api/reset-auth"]
    # Without a token of its own the exchange keeps the API shut for everyone.
    assert call(IdentityExchange(app, 90), "/moto-api/reset-auth",
                **{ADMIN_TOKEN_HEADER: ""}) == "403"
