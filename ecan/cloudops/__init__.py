"""The operator's side (`ecan cloud deploy | add-user | teardown | template`): the cloud ecan
needs — user pool, app client, identity pool, per-identity role, bucket — made idempotently from
a DeploySpec. The local demo cloud is set up by the same code against its own moto server."""

from __future__ import annotations
