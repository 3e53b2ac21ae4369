"""Identity pool roles for the local cloud: moto 5.2 lacks `SetIdentityPoolRoles` and
`GetIdentityPoolRoles`, which the deploy uses to attach its role to the identity pool and the
identity exchange reads to know which role's policy an identity gets. Added to moto's own
request handler, so moto still authenticates and authorizes the call first (admin keys only)."""

from __future__ import annotations

import json
from typing import Any

# Where the roles live: an attribute on moto's identity pool object (its state is per process).
_ATTR = "ecan_pool_roles"


def install(response_class: Any) -> None:
    """Give moto's CognitoIdentityResponse the two operations (replacing any it has: one
    store, which `authenticated_role` reads)."""
    from moto.cognitoidentity.exceptions import ResourceNotFoundError

    def _pool(self: Any) -> Any:
        pool_id = self._get_param("IdentityPoolId")
        pool = self.backend.identity_pools.get(pool_id)
        if pool is None:
            raise ResourceNotFoundError(str(pool_id))
        return pool

    def set_identity_pool_roles(self: Any) -> str:
        pool = _pool(self)
        roles = self._get_param("Roles") or {}
        if not isinstance(roles, dict) or set(roles) - {"authenticated", "unauthenticated"}:
            from moto.core.exceptions import JsonRESTError

            raise JsonRESTError("InvalidParameterException",
                                "Roles takes 'authenticated' and 'unauthenticated'.")
        setattr(pool, _ATTR, {"Roles": dict(roles),
                              "RoleMappings": self._get_param("RoleMappings") or {}})
        return ""

    def get_identity_pool_roles(self: Any) -> str:
        pool = _pool(self)
        stored = getattr(pool, _ATTR, {"Roles": {}, "RoleMappings": {}})
        return json.dumps({"IdentityPoolId": pool.identity_pool_id, **stored})

    response_class.set_identity_pool_roles = set_identity_pool_roles
    response_class.get_identity_pool_roles = get_identity_pool_roles


def authenticated_role(identity_pool: Any) -> str | None:
    """The ARN of the role an identity pool gives signed-in identities (moto's pool object)."""
    stored = getattr(identity_pool, _ATTR, None) or {}
    arn = (stored.get("Roles") or {}).get("authenticated")
    return str(arn) if arn else None
