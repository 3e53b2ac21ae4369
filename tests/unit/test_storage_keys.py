"""The object key layout (contract): every key of a user's own data stays under
`{prefix}{identity_id}/`, so a prefix or identity id that could break that is refused up front."""

from __future__ import annotations

import pytest

from ecan.errors import UserFacingError
from ecan.storage.keys import KeyLayout, validate_identity_id, validate_prefix
from ecan.storage.local import validate_key

SHA = "ab" * 32


@pytest.mark.parametrize("prefix, root", [
    ("avatars/", "avatars/u1/"), ("avatars", "avatars/u1/"),
    ("tenant/avatars/", "tenant/avatars/u1/"), ("", "u1/"),
    ("my-org_2/avatars/", "my-org_2/avatars/u1/"),
])
def test_good_prefixes_give_keys_every_backend_accepts(prefix: str, root: str) -> None:
    layout = KeyLayout(prefix, "u1")
    assert layout.root == root
    for key in (layout.original(SHA, "jpg"), layout.thumbnail(SHA), layout.video(SHA, "mp4"),
                layout.agents, layout.system("robot", "png")):
        validate_key(key)


@pytest.mark.parametrize("prefix", [
    "avatars/./", "a//b", "a//b/", "./avatars/", "avatars/../x/", "/avatars/", "a/.hidden/",
    "a\\b/", "a\x00b/", "//",
])
def test_prefixes_that_would_make_every_key_refused_are_refused(prefix: str) -> None:
    with pytest.raises(ValueError):
        validate_prefix(prefix)
    with pytest.raises(ValueError):
        KeyLayout(prefix, "u1")


@pytest.mark.parametrize("identity", ["shared", "Shared", "SHARED"])
def test_an_identity_called_shared_would_land_on_the_system_avatars(identity: str) -> None:
    with pytest.raises(UserFacingError) as e:
        validate_identity_id(identity)
    assert e.value.code == "invalid_identity"
    with pytest.raises(UserFacingError):
        KeyLayout("avatars/", identity)


def test_ordinary_identities_are_accepted() -> None:
    assert validate_identity_id("us-east-1:0a1b2c3d-0000-1111-2222-333344445555")
    assert validate_identity_id("default") == "default"
    assert validate_identity_id("shared-team") == "shared-team"
