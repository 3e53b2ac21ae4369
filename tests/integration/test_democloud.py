"""The local demo cloud behaves like the real services where ecan depends on them: sign-in checks
the password, identity ids are stable, credentials are scoped to the identity's own prefix and
expire, bad tokens are refused, and `ecan demo-cloud` keeps its CLI contract."""

from __future__ import annotations

import base64
import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from ecan.config import load_config
from ecan.democloud import DemoCloud, DemoCloudInfo, DemoUser
from ecan.paths import AppPaths


def _unsigned(info: DemoCloudInfo, service: str) -> Any:
    # What a signed-out app has: no AWS keys at all.
    return boto3.session.Session().client(
        service, endpoint_url=info.endpoint, region_name=info.region,
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))


def _sign_in(info: DemoCloudInfo, user: DemoUser) -> str:
    """The ID token of a USER_PASSWORD_AUTH sign-in."""
    result = _unsigned(info, "cognito-idp").initiate_auth(
        ClientId=info.client_id, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user.username, "PASSWORD": user.password})
    return str(result["AuthenticationResult"]["IdToken"])


def _logins(info: DemoCloudInfo, id_token: str) -> dict[str, str]:
    return {f"cognito-idp.{info.region}.amazonaws.com/{info.user_pool_id}": id_token}


def _identity(info: DemoCloudInfo, id_token: str) -> str:
    return str(_unsigned(info, "cognito-identity").get_id(
        IdentityPoolId=info.identity_pool_id, Logins=_logins(info, id_token))["IdentityId"])


def _credentials(info: DemoCloudInfo, user: DemoUser) -> tuple[str, dict[str, Any]]:
    token = _sign_in(info, user)
    identity_id = _identity(info, token)
    resp = _unsigned(info, "cognito-identity").get_credentials_for_identity(
        IdentityId=identity_id, Logins=_logins(info, token))
    assert resp["IdentityId"] == identity_id
    return identity_id, resp["Credentials"]


def _s3(info: DemoCloudInfo, creds: dict[str, Any]) -> Any:
    # SigV4, as ecan's S3 backend signs (boto3 would presign with SigV2 otherwise).
    return boto3.session.Session().client(
        "s3", endpoint_url=info.endpoint, region_name=info.region,
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretKey"],
        aws_session_token=creds["SessionToken"],
        config=Config(signature_version="s3v4", retries={"max_attempts": 1}))


def _fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def _tamper(token: str, **claims: Any) -> str:
    """The token with its payload changed and the original signature kept."""
    header, payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body.update(claims)
    new = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    return f"{header}.{new}.{signature}"


# -- sign-in ---------------------------------------------------------------------------------

def test_password_sign_in_gives_tokens_that_verify_against_the_served_jwks(
        demo_cloud: DemoCloud, demo_user: DemoUser) -> None:
    from joserfc import jwt
    from joserfc.jwk import KeySet

    info = demo_cloud.info
    token = _sign_in(info, demo_user)
    with urllib.request.urlopen(
            f"{info.endpoint}/{info.user_pool_id}/.well-known/jwks.json", timeout=10) as resp:
        keys = KeySet.import_key_set(json.loads(resp.read()))
    claims = jwt.decode(token, keys, algorithms=["RS256"]).claims
    assert claims["iss"] == f"https://cognito-idp.{info.region}.amazonaws.com/{info.user_pool_id}"
    assert claims["aud"] == info.client_id
    assert claims["cognito:username"] == demo_user.username


def test_the_server_runs_behind_the_users_programs(demo_cloud: DemoCloud) -> None:
    """It stands in for a remote service: the window it serves gets the CPU first. On Linux
    its session (autogroup) is lowered too, or its `nice` would count only inside it."""
    import os

    pid = demo_cloud.pid
    assert pid is not None
    assert os.getpriority(os.PRIO_PROCESS, pid) >= 10
    autogroup = Path(f"/proc/{pid}/autogroup")
    if autogroup.exists():
        assert autogroup.read_text().split()[-1] == "10"


def test_wrong_password_is_refused(demo_cloud: DemoCloud, demo_user: DemoUser) -> None:
    info = demo_cloud.info
    with pytest.raises(ClientError) as exc:
        _sign_in(info, DemoUser(demo_user.username, demo_user.password + "x"))
    assert _error_code(exc) == "NotAuthorizedException"


def test_srp_sign_in_works_unsigned_under_enforcement(demo_cloud: DemoCloud,
                                                      demo_user: DemoUser) -> None:
    # pycognito's default flow: InitiateAuth + RespondToAuthChallenge, both sent unsigned.
    from pycognito.aws_srp import AWSSRP

    info = demo_cloud.info
    srp = AWSSRP(username=demo_user.username, password=demo_user.password,
                 pool_id=info.user_pool_id, client_id=info.client_id,
                 client=_unsigned(info, "cognito-idp"))
    tokens = srp.authenticate_user()
    assert tokens["AuthenticationResult"]["IdToken"].count(".") == 2


def test_srp_sign_in_with_a_wrong_password_is_refused(demo_cloud: DemoCloud,
                                                      demo_user: DemoUser) -> None:
    # moto alone accepts any SRP proof; the local cloud checks it like Cognito.
    from pycognito.aws_srp import AWSSRP

    info = demo_cloud.info
    srp = AWSSRP(username=demo_user.username, password=demo_user.password + "x",
                 pool_id=info.user_pool_id, client_id=info.client_id,
                 client=_unsigned(info, "cognito-idp"))
    with pytest.raises(ClientError) as exc:
        srp.authenticate_user()
    assert _error_code(exc) == "NotAuthorizedException"


def test_an_srp_proof_cannot_be_replayed(demo_cloud: DemoCloud, demo_user: DemoUser) -> None:
    from pycognito.aws_srp import AWSSRP

    info = demo_cloud.info
    idp = _unsigned(info, "cognito-idp")
    srp = AWSSRP(username=demo_user.username, password=demo_user.password,
                 pool_id=info.user_pool_id, client_id=info.client_id, client=idp)
    auth_params = srp.get_auth_params()
    challenge = idp.initiate_auth(AuthFlow="USER_SRP_AUTH", AuthParameters=auth_params,
                                  ClientId=info.client_id)
    answer = srp.process_challenge(challenge["ChallengeParameters"], auth_params)
    respond = {"ClientId": info.client_id, "ChallengeName": "PASSWORD_VERIFIER",
               "Session": challenge["Session"], "ChallengeResponses": answer}
    assert "AuthenticationResult" in idp.respond_to_auth_challenge(**respond)
    with pytest.raises(ClientError) as exc:
        idp.respond_to_auth_challenge(**respond)
    assert _error_code(exc) == "NotAuthorizedException"


# -- identity exchange -----------------------------------------------------------------------

def test_identity_id_is_stable_across_sign_ins_and_distinct_per_user(
        demo_cloud: DemoCloud, demo_user: DemoUser, demo_user2: DemoUser) -> None:
    info = demo_cloud.info
    first = _identity(info, _sign_in(info, demo_user))
    second = _identity(info, _sign_in(info, demo_user))
    other = _identity(info, _sign_in(info, demo_user2))
    assert first == second
    assert other != first
    assert first.startswith(f"{info.region}:")


def test_credentials_work_under_the_identitys_own_prefix(demo_cloud: DemoCloud,
                                                         demo_user: DemoUser) -> None:
    info = demo_cloud.info
    identity_id, creds = _credentials(info, demo_user)
    s3 = _s3(info, creds)
    key = f"avatars/{identity_id}/images/own-prefix-test.png"
    s3.put_object(Bucket=info.bucket, Key=key, Body=b"avatar bytes", ContentType="image/png")
    assert s3.get_object(Bucket=info.bucket, Key=key)["Body"].read() == b"avatar bytes"
    assert s3.head_object(Bucket=info.bucket, Key=key)["ContentLength"] == len(b"avatar bytes")
    listed = s3.list_objects_v2(Bucket=info.bucket, Prefix=f"avatars/{identity_id}/")
    assert key in [o["Key"] for o in listed["Contents"]]
    s3.delete_object(Bucket=info.bucket, Key=key)
    with pytest.raises(ClientError):
        s3.head_object(Bucket=info.bucket, Key=key)


def test_one_identity_cannot_touch_anothers_prefix(demo_cloud: DemoCloud, demo_user: DemoUser,
                                                   demo_user2: DemoUser) -> None:
    info = demo_cloud.info
    a_id, a_creds = _credentials(info, demo_user)
    _, b_creds = _credentials(info, demo_user2)
    a_key = f"avatars/{a_id}/images/isolation-test.png"
    _s3(info, a_creds).put_object(Bucket=info.bucket, Key=a_key, Body=b"mine")
    b = _s3(info, b_creds)
    for attempt in (
        lambda: b.put_object(Bucket=info.bucket, Key=a_key, Body=b"overwritten"),
        lambda: b.put_object(Bucket=info.bucket, Key=f"avatars/{a_id}/images/new.png", Body=b""),
        lambda: b.get_object(Bucket=info.bucket, Key=a_key),
        lambda: b.delete_object(Bucket=info.bucket, Key=a_key),
        lambda: b.create_multipart_upload(Bucket=info.bucket, Key=a_key),
        lambda: b.list_objects_v2(Bucket=info.bucket, Prefix=f"avatars/{a_id}/"),
        lambda: b.list_objects_v2(Bucket=info.bucket, Prefix="avatars/"),
        lambda: b.list_objects_v2(Bucket=info.bucket),
        lambda: b.create_bucket(Bucket="ecan-demo-mine"),
    ):
        with pytest.raises(ClientError) as exc:
            attempt()
        assert _error_code(exc) == "AccessDenied"
    with pytest.raises(ClientError) as exc:  # HEAD: S3 answers with the status alone
        b.head_object(Bucket=info.bucket, Key=a_key)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(ClientError):  # the keys are for S3 only
        boto3.session.Session().client(
            "iam", endpoint_url=info.endpoint, region_name=info.region,
            aws_access_key_id=b_creds["AccessKeyId"], aws_secret_access_key=b_creds["SecretKey"],
            aws_session_token=b_creds["SessionToken"]).list_users()
    admin = demo_cloud.admin_client("s3")
    assert admin.get_object(Bucket=info.bucket, Key=a_key)["Body"].read() == b"mine"


def test_shared_avatars_are_readable_but_not_writable(demo_cloud: DemoCloud,
                                                      demo_user: DemoUser) -> None:
    info = demo_cloud.info
    key = "avatars/shared/images/system-test.png"
    demo_cloud.admin_client("s3").put_object(Bucket=info.bucket, Key=key, Body=b"system")
    _, creds = _credentials(info, demo_user)
    s3 = _s3(info, creds)
    assert s3.get_object(Bucket=info.bucket, Key=key)["Body"].read() == b"system"
    assert s3.head_object(Bucket=info.bucket, Key=key)["ContentLength"] == len(b"system")
    listed = s3.list_objects_v2(Bucket=info.bucket, Prefix="avatars/shared/")
    assert key in [o["Key"] for o in listed["Contents"]]
    for attempt in (
        lambda: s3.put_object(Bucket=info.bucket, Key=key, Body=b"replaced"),
        lambda: s3.put_object(Bucket=info.bucket, Key="avatars/shared/images/new.png",
                              Body=b"new"),
        lambda: s3.delete_object(Bucket=info.bucket, Key=key),
    ):
        with pytest.raises(ClientError) as exc:
            attempt()
        assert _error_code(exc) == "AccessDenied"
    assert demo_cloud.admin_client("s3").get_object(
        Bucket=info.bucket, Key=key)["Body"].read() == b"system"


def test_multipart_upload_of_an_own_object(demo_cloud: DemoCloud, demo_user: DemoUser) -> None:
    info = demo_cloud.info
    identity_id, creds = _credentials(info, demo_user)
    s3 = _s3(info, creds)
    key = f"avatars/{identity_id}/videos/multipart-test.mp4"
    first, last = b"a" * (5 * 1024 * 1024), b"tail"
    upload = s3.create_multipart_upload(Bucket=info.bucket, Key=key)["UploadId"]
    parts = [{"PartNumber": n, "ETag": s3.upload_part(Bucket=info.bucket, Key=key,
                                                      UploadId=upload, PartNumber=n,
                                                      Body=body)["ETag"]}
             for n, body in ((1, first), (2, last))]
    assert len(s3.list_parts(Bucket=info.bucket, Key=key, UploadId=upload)["Parts"]) == 2
    s3.complete_multipart_upload(Bucket=info.bucket, Key=key, UploadId=upload,
                                 MultipartUpload={"Parts": parts})
    assert s3.get_object(Bucket=info.bucket, Key=key)["Body"].read() == first + last
    # An upload given up on can be cleaned away.
    dropped = s3.create_multipart_upload(Bucket=info.bucket, Key=key + ".2")["UploadId"]
    s3.abort_multipart_upload(Bucket=info.bucket, Key=key + ".2", UploadId=dropped)


def test_a_multi_object_delete_leaves_foreign_keys_alone(
        demo_cloud: DemoCloud, demo_user: DemoUser, demo_user2: DemoUser) -> None:
    info = demo_cloud.info
    a_id, a_creds = _credentials(info, demo_user)
    b_id, b_creds = _credentials(info, demo_user2)
    mine = f"avatars/{b_id}/images/batch-delete-mine.png"
    theirs = f"avatars/{a_id}/images/batch-delete-theirs.png"
    _s3(info, a_creds).put_object(Bucket=info.bucket, Key=theirs, Body=b"theirs")
    b = _s3(info, b_creds)
    b.put_object(Bucket=info.bucket, Key=mine, Body=b"mine")
    result = b.delete_objects(Bucket=info.bucket, Delete={
        "Objects": [{"Key": mine}, {"Key": theirs}]})
    assert [d["Key"] for d in result.get("Deleted", [])] == [mine]
    assert [(e["Key"], e["Code"]) for e in result["Errors"]] == [(theirs, "AccessDenied")]
    admin = demo_cloud.admin_client("s3")
    assert admin.get_object(Bucket=info.bucket, Key=theirs)["Body"].read() == b"theirs"
    with pytest.raises(ClientError):
        admin.head_object(Bucket=info.bucket, Key=mine)
    # All own keys: one ordinary batch.
    b.put_object(Bucket=info.bucket, Key=mine, Body=b"mine")
    result = b.delete_objects(Bucket=info.bucket, Delete={"Objects": [{"Key": mine}]})
    assert [d["Key"] for d in result["Deleted"]] == [mine] and not result.get("Errors")


def test_copying_from_a_foreign_key_is_refused(
        demo_cloud: DemoCloud, demo_user: DemoUser, demo_user2: DemoUser) -> None:
    info = demo_cloud.info
    a_id, a_creds = _credentials(info, demo_user)
    b_id, b_creds = _credentials(info, demo_user2)
    theirs = f"avatars/{a_id}/images/copy-source.png"
    _s3(info, a_creds).put_object(Bucket=info.bucket, Key=theirs, Body=b"theirs")
    b = _s3(info, b_creds)
    own_source = f"avatars/{b_id}/images/copy-own-source.png"
    b.put_object(Bucket=info.bucket, Key=own_source, Body=b"own")
    target = f"avatars/{b_id}/images/copy-target.png"
    b.copy_object(Bucket=info.bucket, Key=target,
                  CopySource={"Bucket": info.bucket, "Key": own_source})
    assert b.get_object(Bucket=info.bucket, Key=target)["Body"].read() == b"own"
    with pytest.raises(ClientError) as exc:
        b.copy_object(Bucket=info.bucket, Key=target,
                      CopySource={"Bucket": info.bucket, "Key": theirs})
    assert _error_code(exc) == "AccessDenied"
    assert b.get_object(Bucket=info.bucket, Key=target)["Body"].read() == b"own"


def _signed_raw(info: DemoCloudInfo, creds: dict[str, Any], method: str, host: str,
                path: str, body: bytes = b"") -> tuple[int, bytes]:
    """Send a SigV4-signed S3 request with this Host header (a virtual-host-style name no
    resolver knows) to the cloud's address."""
    import http.client

    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method=method, url=f"http://{host}{path}", data=body)
    S3SigV4Auth(Credentials(creds["AccessKeyId"], creds["SecretKey"], creds["SessionToken"]),
                "s3", info.region).add_auth(request)
    address = info.endpoint.removeprefix("http://")
    conn = http.client.HTTPConnection(address, timeout=10)
    try:
        conn.request(method, path, body=body, headers={**request.headers, "Host": host})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_virtual_host_style_requests_are_confined_too(
        demo_cloud: DemoCloud, demo_user: DemoUser, demo_user2: DemoUser) -> None:
    info = demo_cloud.info
    a_id, a_creds = _credentials(info, demo_user)
    _, b_creds = _credentials(info, demo_user2)
    host = f"{info.bucket}.localhost:{info.endpoint.rsplit(':', 1)[1]}"
    key = f"avatars/{a_id}/images/virtual-host.png"
    assert _signed_raw(info, a_creds, "PUT", host, f"/{key}", b"vhost")[0] == 200
    assert _signed_raw(info, a_creds, "GET", host, f"/{key}") == (200, b"vhost")
    status, body = _signed_raw(info, b_creds, "GET", host, f"/{key}")
    assert (status, b"AccessDenied" in body) == (403, True)
    status, body = _signed_raw(info, b_creds, "PUT", host, f"/{key}", b"overwritten")
    assert (status, b"AccessDenied" in body) == (403, True)
    assert demo_cloud.admin_client("s3").get_object(
        Bucket=info.bucket, Key=key)["Body"].read() == b"vhost"


def test_a_presigned_url_with_a_decoy_credential_is_refused(
        demo_cloud: DemoCloud, demo_user: DemoUser, demo_user2: DemoUser) -> None:
    # B signs a link to A's object whose query names another key first: the check and the
    # signature must not read different credentials.
    from botocore.auth import S3SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    info = demo_cloud.info
    a_id, a_creds = _credentials(info, demo_user)
    _, b_creds = _credentials(info, demo_user2)
    key = f"avatars/{a_id}/images/decoy-test.png"
    _s3(info, a_creds).put_object(Bucket=info.bucket, Key=key, Body=b"private")
    decoy = f"DECOYKEY/20250101/{info.region}/s3/aws4_request"
    request = AWSRequest(method="GET", url=f"{info.endpoint}/{info.bucket}/{key}"
                         f"?X-Amz-Credential={decoy.replace('/', '%2F')}")
    S3SigV4QueryAuth(Credentials(b_creds["AccessKeyId"], b_creds["SecretKey"],
                                 b_creds["SessionToken"]), "s3", info.region,
                     expires=60).add_auth(request)
    status, body = _fetch(request.url)
    assert status == 403 and b"private" not in body


def test_unsigned_s3_requests_are_refused(demo_cloud: DemoCloud, demo_user: DemoUser) -> None:
    info = demo_cloud.info
    identity_id, creds = _credentials(info, demo_user)
    key = f"avatars/{identity_id}/images/anonymous-test.png"
    _s3(info, creds).put_object(Bucket=info.bucket, Key=key, Body=b"private")
    anonymous = _unsigned(info, "s3")
    with pytest.raises(ClientError) as exc:
        anonymous.get_object(Bucket=info.bucket, Key=key)
    assert _error_code(exc) == "AccessDenied"
    with pytest.raises(ClientError) as exc:
        anonymous.put_object(Bucket=info.bucket, Key=key, Body=b"replaced")
    assert _error_code(exc) == "AccessDenied"


def test_presigned_urls_open_the_own_object_only_while_valid(
        demo_cloud: DemoCloud, demo_user: DemoUser, demo_user2: DemoUser) -> None:
    # What "Copy private link" hands to a browser: no AWS client, just the URL.
    info = demo_cloud.info
    identity_id, creds = _credentials(info, demo_user)
    _, other_creds = _credentials(info, demo_user2)
    s3 = _s3(info, creds)
    key = f"avatars/{identity_id}/images/linked avatar+1.png"
    s3.put_object(Bucket=info.bucket, Key=key, Body=b"shared by link")
    params = {"Bucket": info.bucket, "Key": key}
    assert _fetch(s3.generate_presigned_url("get_object", Params=params)) == \
        (200, b"shared by link")
    # Another identity's link to it is refused, and so is a link that was altered.
    status, body = _fetch(_s3(info, other_creds).generate_presigned_url("get_object",
                                                                         Params=params))
    assert (status, b"AccessDenied" in body) == (403, True)
    url = s3.generate_presigned_url("get_object", Params=params)
    status, body = _fetch(url.replace("linked%20avatar", "linked%20avatas"))
    assert (status, b"SignatureDoesNotMatch" in body) == (403, True)
    short = s3.generate_presigned_url("get_object", Params=params, ExpiresIn=1)
    time.sleep(2.1)
    status, body = _fetch(short)
    assert (status, b"expired" in body) == (403, True)


@pytest.mark.parametrize("bad", ["tampered", "garbage", "wrong_audience", "altered_expiry",
                                 "access_token"])
def test_bad_tokens_are_refused(demo_cloud: DemoCloud, demo_user: DemoUser,
                                demo_user2: DemoUser, bad: str) -> None:
    info = demo_cloud.info
    token = _sign_in(info, demo_user)
    access_token = _unsigned(info, "cognito-idp").initiate_auth(
        ClientId=info.client_id, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": demo_user.username, "PASSWORD": demo_user.password},
    )["AuthenticationResult"]["AccessToken"]
    other_sub = json.loads(base64.urlsafe_b64decode(
        _sign_in(info, demo_user2).split(".")[1] + "=="))["sub"]
    forged = {
        "tampered": _tamper(token, sub=other_sub),  # claim to be demo2
        "garbage": "not-a-jwt",
        "wrong_audience": _tamper(token, aud="someone-elses-client"),
        "altered_expiry": _tamper(token, exp=int(time.time()) + 86400),
        "access_token": access_token,  # signed by the pool, but not an ID token
    }[bad]
    identity = _unsigned(info, "cognito-identity")
    with pytest.raises(ClientError) as exc:
        identity.get_id(IdentityPoolId=info.identity_pool_id, Logins=_logins(info, forged))
    assert _error_code(exc) == "NotAuthorizedException"
    real_id = _identity(info, token)
    with pytest.raises(ClientError) as exc:
        identity.get_credentials_for_identity(IdentityId=real_id, Logins=_logins(info, forged))
    assert _error_code(exc) == "NotAuthorizedException"


def test_an_expired_id_token_is_refused(demo_cloud: DemoCloud, demo_user: DemoUser) -> None:
    # ID tokens live an hour; rather than wait, run the exchange's own check with its clock
    # moved past the real token's expiry (same code the server runs, same JWKS).
    from ecan.democloud.identity import CognitoIdentityError, IdentityExchange, IdentitySettings

    info = demo_cloud.info
    token = _sign_in(info, demo_user)
    exp = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))["exp"]
    with urllib.request.urlopen(
            f"{info.endpoint}/{info.user_pool_id}/.well-known/jwks.json", timeout=10) as resp:
        jwks = json.loads(resp.read())
    now = [float(exp - 60)]
    exchange = IdentityExchange(lambda environ, start: [], 90, clock=lambda: now[0])
    exchange.configure(IdentitySettings(
        region=info.region, account_id="123456789012", identity_pool_id=info.identity_pool_id,
        user_pool_id=info.user_pool_id, client_id=info.client_id, bucket=info.bucket,
        prefix="avatars/", jwks=jwks, admin_arn="unused"), lambda service: None)
    assert exchange.verify_id_token(token)  # still valid a minute before
    now[0] = float(exp + 1)
    with pytest.raises(CognitoIdentityError) as exc:
        exchange.verify_id_token(token)
    assert exc.value.code == "NotAuthorizedException"
    assert "expired" in exc.value.message


def test_credentials_need_a_login_matching_the_identity(
        demo_cloud: DemoCloud, demo_user: DemoUser, demo_user2: DemoUser) -> None:
    info = demo_cloud.info
    identity = _unsigned(info, "cognito-identity")
    a_id = _identity(info, _sign_in(info, demo_user))
    b_token = _sign_in(info, demo_user2)
    with pytest.raises(ClientError) as exc:  # B's login cannot fetch A's keys
        identity.get_credentials_for_identity(IdentityId=a_id, Logins=_logins(info, b_token))
    assert _error_code(exc) == "NotAuthorizedException"
    with pytest.raises(ClientError) as exc:  # no login at all: the pool is authenticated-only
        identity.get_id(IdentityPoolId=info.identity_pool_id)
    assert _error_code(exc) == "NotAuthorizedException"
    with pytest.raises(ClientError) as exc:
        identity.get_id(IdentityPoolId=f"{info.region}:00000000-0000-0000-0000-000000000000",
                        Logins=_logins(info, b_token))
    assert _error_code(exc) == "ResourceNotFoundException"


def test_credentials_expire_after_the_ttl(demo_cloud: DemoCloud, demo_user: DemoUser) -> None:
    info = demo_cloud.info
    before = time.time()
    _, creds = _credentials(info, demo_user)
    after = time.time()
    expiration = creds["Expiration"].timestamp()
    assert before + demo_cloud.credential_ttl_s - 1 <= expiration <= after + \
        demo_cloud.credential_ttl_s + 1


def test_expired_credentials_are_refused_and_fresh_ones_work(
        make_demo_cloud: Any) -> None:
    cloud: DemoCloud = make_demo_cloud(credential_ttl_s=2)
    info = cloud.info
    user = info.users[0]
    identity_id, creds = _credentials(info, user)
    s3 = _s3(info, creds)
    key = f"avatars/{identity_id}/images/expiry-test.png"
    s3.put_object(Bucket=info.bucket, Key=key, Body=b"x")
    while time.time() < creds["Expiration"].timestamp() + 0.2:
        time.sleep(0.2)
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=info.bucket, Key=key)
    assert _error_code(exc) == "ExpiredToken"
    _, fresh = _credentials(info, user)
    assert _s3(info, fresh).get_object(Bucket=info.bucket, Key=key)["Body"].read() == b"x"


def test_a_token_from_another_pool_is_refused(demo_cloud: DemoCloud,
                                              make_demo_cloud: Any) -> None:
    # Both clouds sign with moto's one built-in key, so only the issuer check can tell them apart.
    other: DemoCloud = make_demo_cloud()
    info = demo_cloud.info
    foreign = _sign_in(other.info, other.info.users[0])
    with pytest.raises(ClientError) as exc:
        _unsigned(info, "cognito-identity").get_id(
            IdentityPoolId=info.identity_pool_id, Logins=_logins(info, foreign))
    assert _error_code(exc) == "NotAuthorizedException"


# -- the emulator's admin API ----------------------------------------------------------------

def _post(url: str, body: bytes, content_type: str = "text/plain",
          **headers: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": content_type, **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_the_admin_api_is_closed_to_other_programs_and_web_pages(make_demo_cloud: Any) -> None:
    # A cloud of its own: if the guard failed, this would turn the cloud's checks off.
    cloud: DemoCloud = make_demo_cloud()
    info = cloud.info
    # What a web page can send without asking (a "simple" cross-site POST), and what any local
    # program can: turn IAM enforcement off for good, wipe every resource.
    for path, body, headers in [
        ("/moto-api/reset-auth", b"inf", {}),
        ("/moto-api/reset", b"", {}),
        ("/moto-api/reset-auth", b"inf", {"X-Ecan-Admin-Token": "guessed-" + "x" * 40}),
        ("/moto-apix/reset-auth", b"inf", {}),  # moto routes any /moto-api* path there
    ]:
        status, _ = _post(info.endpoint + path, body, **headers)
        assert status == 403, path
    status, _ = _fetch(f"{info.endpoint}/moto-api/data.json")  # every key and password
    assert status == 403
    # Enforcement is still on: made-up keys are refused...
    forged = boto3.session.Session().client(
        "s3", endpoint_url=info.endpoint, region_name=info.region,
        aws_access_key_id="AKIAFORGEDFORGED0000", aws_secret_access_key="forged",
        config=Config(signature_version="s3v4", retries={"max_attempts": 1}))
    with pytest.raises(ClientError):
        forged.list_objects_v2(Bucket=info.bucket)
    # ...the data is all there, an identity still cannot write outside its own prefix, and the
    # users' keys to verify their tokens are still public.
    a_id, _ = _credentials(info, info.users[0])
    _, b_creds = _credentials(info, info.users[1])
    with pytest.raises(ClientError) as exc:
        _s3(info, b_creds).put_object(Bucket=info.bucket, Key=f"avatars/{a_id}/x.png", Body=b"")
    assert _error_code(exc) == "AccessDenied"
    status, body = _fetch(f"{info.endpoint}/{info.user_pool_id}/.well-known/jwks.json")
    assert status == 200 and b"keys" in body


# -- config and CLI --------------------------------------------------------------------------

def test_written_config_loads_and_holds_no_secret(cloud_env: dict[str, str],
                                                  demo_cloud: DemoCloud) -> None:
    info = demo_cloud.info
    config = load_config(AppPaths.from_env(cloud_env), cloud_env)
    assert config.cognito.user_pool_id == info.user_pool_id
    assert config.cognito.identity_pool_id == info.identity_pool_id
    assert config.cognito.endpoint_url == info.endpoint
    assert config.storage.kind == "s3"
    assert config.storage.bucket == info.bucket
    assert config.storage.path_prefix == "avatars/"
    text = Path(cloud_env["ECAN_CONFIG"]).read_text(encoding="utf-8")
    for secret in [info.admin.secret_access_key, *(u.password for u in info.users)]:
        assert secret not in text


def test_cli_prints_the_ready_line_and_exits_cleanly_on_sigterm(
        clean_env: dict[str, str], tmp_path: Path) -> None:
    config_path = tmp_path / "cfg" / "auth_config.yml"
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecan", "demo-cloud", "--write-config", str(config_path), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env)
    try:
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline())
        assert set(ready) == {"endpoint", "region", "user_pool_id", "client_id",
                              "identity_pool_id", "bucket", "users", "admin", "inbox",
                              "config"}
        assert ready["endpoint"].startswith("http://127.0.0.1:")
        assert [u["username"] for u in ready["users"]] == ["demo", "demo2"]
        assert ready["config"] == str(config_path)
        # The cloud answers while the command runs, and the written config points at it.
        info = DemoCloudInfo.from_document(ready)
        assert _identity(info, _sign_in(info, info.users[0])).startswith("us-east-1:")
        env = {**clean_env, "ECAN_CONFIG": ready["config"]}
        assert load_config(AppPaths.from_env(env), env).storage.endpoint_url == ready["endpoint"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        assert proc.stdout.read() == ""  # exactly one line on stdout
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # The server is gone with it: nothing listens on its port any more.
    import socket

    host, port = ready["endpoint"].removeprefix("http://").rsplit(":", 1)
    with pytest.raises(ConnectionError):
        socket.create_connection((host, int(port)), timeout=5).close()


def test_cli_refuses_a_busy_port_with_a_clear_error(clean_env: dict[str, str],
                                                    demo_cloud: DemoCloud) -> None:
    busy = int(demo_cloud.info.endpoint.rsplit(":", 1)[1])
    proc = subprocess.run([sys.executable, "-m", "ecan", "demo-cloud", "--port", str(busy)],
                          capture_output=True, text=True, env=clean_env, timeout=60)
    assert proc.returncode != 0
    assert str(busy) in proc.stderr and "--port" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_missing_moto_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from ecan.errors import UserFacingError

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "moto" else real(name, *a))
    with pytest.raises(UserFacingError) as exc:
        DemoCloud().start()
    assert "ecan[demo]" in exc.value.hint or ".[demo]" in exc.value.hint



def test_cli_unwritable_config_path_is_a_clear_error_and_stops_the_cloud(
        clean_env: dict[str, str], tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    target = blocker / "auth_config.yml"  # its parent is a file: cannot be created
    proc = subprocess.run(
        [sys.executable, "-m", "ecan", "demo-cloud", "--write-config", str(target)],
        capture_output=True, text=True, env=clean_env, timeout=60)
    assert proc.returncode == 1
    assert str(target) in proc.stderr and "--write-config" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert not target.exists()


def test_full_collections_do_not_walk_what_start_up_built() -> None:
    """moto's models, botocore's data and the provisioned cloud live as long as the server: a
    full garbage collection that walked them paused every request for ~0.14 s, in the middle of
    a user's sync. After start-up they are frozen out of the collector's walk."""
    code = ("import gc, json\n"
            "from ecan.democloud.server import LocalCloudServer\n"
            "server = LocalCloudServer(0)\n"
            "server.start()\n"
            "print(json.dumps({'frozen': gc.get_freeze_count(),\n"
            "                  'walked': len(gc.get_objects())}))\n"
            "server.stop()\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    counts = json.loads(r.stdout.strip().splitlines()[-1])
    assert counts["frozen"] > 100_000
    assert counts["walked"] < counts["frozen"] / 10
