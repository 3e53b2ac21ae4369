"""The local demo cloud (`ecan demo-cloud`, the optional `ecan[demo]` extra): a Cognito user pool,
identity pool and S3 bucket on one moto server on 127.0.0.1, faithful where ecan depends on it.

Nothing here imports moto at import time: ecan without the extra still imports this package and
gets a clear "install ecan[demo]" error from `DemoCloud.start()`."""

from __future__ import annotations

from ecan.democloud.cloud import DemoCloud
from ecan.democloud.info import AdminKeys, DemoCloudInfo, DemoUser

__all__ = ["AdminKeys", "DemoCloud", "DemoCloudInfo", "DemoUser"]
