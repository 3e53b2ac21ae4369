"""What a pull with nothing new costs on the demo cloud (S3 on moto, Cognito credentials): one
LIST request, whatever the size of the library, so the app can pull every 30 s for free."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from ecan.app import build_app
from ecan.auth.secrets import MemoryKeyring
from tests.fixtures_cloud import DemoUser


def _signed_in(env: dict[str, str], home: Path, user: DemoUser) -> Any:
    app = build_app({**env, "ECAN_HOME": str(home)}, keyring_backend=MemoryKeyring())
    signed = app.handlers.call("auth.sign_in", {"username": user.username,
                                                "password": user.password})
    assert signed["ok"], signed
    return app


def test_a_pull_with_nothing_new_is_one_list_request(cloud_env: dict[str, str],
                                                     demo_user: DemoUser,
                                                     tmp_path: Path) -> None:
    first = _signed_in(cloud_env, tmp_path / "first", demo_user)
    second = _signed_in(cloud_env, tmp_path / "second", demo_user)
    try:
        for i in range(3):
            Image.new("RGB", (40 + i, 40), (i * 70, 90, 140)).save(tmp_path / f"p{i}.png")
        assert first.handlers.call("avatar.import_paths", {"paths": [
            str(tmp_path / f"p{i}.png") for i in range(3)]})["ok"]
        assert first.engine.drain(timeout=60).synced == 3
        assert second.engine.pull_now()["pulled"] == 3

        # Counting every request the store sends: botocore's, and the direct path's.
        requests: list[str] = []
        store = second.engine.cloud.open().store
        store._client.meta.events.register(  # noqa: SLF001
            "before-call.s3", lambda model, **_: requests.append(model.name))
        direct = store._direct_s3()  # noqa: SLF001
        assert direct is not None
        send = direct._send  # noqa: SLF001

        def counted(method: str, path: str, query: dict[str, str], *args: Any) -> Any:
            requests.append("ListObjectsV2" if "list-type" in query else f"{method} {path}")
            return send(method, path, query, *args)

        direct._send = counted  # type: ignore[method-assign]  # noqa: SLF001
        again = second.engine.pull_now(shared=False)  # the background loop's 30-second pull
        assert (again["pulled"], again["removed"], again["agents"]) == (0, 0, 0)
        assert requests == ["ListObjectsV2"]
    finally:
        first.close()
        second.close()
