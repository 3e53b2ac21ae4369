"""The local demo cloud (`ecan demo-cloud`, the optional `ecan[demo]` extra): a Cognito user pool,
identity pool and S3 bucket on one moto server on 127.0.0.1, faithful where ecan depends on it.

Where moto alone differs from AWS, the local cloud puts a small WSGI layer in front of it:
identity.py (GetId/GetCredentialsForIdentity with verified tokens, stable identity ids, per-
identity roles, real credential expiry, prefix-scoped listing, no anonymous S3), srp.py (SRP
sign-in checks the password; moto accepts any proof), presign.py (SigV4 presigned URLs, which
moto cannot authenticate under IAM enforcement). USER_PASSWORD_AUTH is checked by moto itself.
Known gaps: every pool signs with moto's one built-in key (the issuer check tells pools apart);
SigV2 presigned URLs are refused; a form-encoded body on a presigned PUT is lost by moto.

Nothing here imports moto at import time: ecan without the extra still imports this package and
gets a clear "install ecan[demo]" error from `DemoCloud.start()`."""

from __future__ import annotations

from ecan.democloud.cloud import DemoCloud
from ecan.democloud.info import AdminKeys, DemoCloudInfo, DemoUser

__all__ = ["AdminKeys", "DemoCloud", "DemoCloudInfo", "DemoUser"]
