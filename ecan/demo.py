"""The headless demo `scripts/app` runs on a machine with no display: start the local demo
cloud, sign in its demo user, import the bundled sample avatars, sync them, print the status."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from ecan.errors import UserFacingError


def say(text: str) -> None:
    print(f"[demo] {text}", flush=True)


def run_demo(home: Path) -> int:
    from ecan.app import build_app
    from ecan.auth.secrets import MemoryKeyring
    from ecan.cli.output import unwrap
    from ecan.democloud import DemoCloud
    from ecan.resources import sample_paths

    with DemoCloud() as cloud:
        info = cloud.start()
        say(f"local cloud ready at {info.endpoint} (bucket {info.bucket})")
        config = cloud.write_config(home / "demo_config.yml")
        env = {**os.environ, "ECAN_HOME": str(home), "ECAN_CONFIG": str(config)}
        # One process signs in and syncs, so the session can live in memory: no keyring needed.
        app = build_app(env, keyring_backend=MemoryKeyring())
        try:
            user = info.users[0]
            signed = unwrap(app.handlers.call(
                "auth.sign_in", {"username": user.username, "password": user.password}))
            say(f"signed in as {user.username} (identity {signed['identity_id']})")
            samples = [str(p) for p in sample_paths()]
            results = unwrap(app.handlers.call("avatar.import_paths", {"paths": samples}))
            ok = sum(1 for r in results["results"] if r["ok"])
            say(f"imported {ok} of {len(samples)} sample avatars into {home}")
            result = app.engine.drain(timeout=60)
            say(f"synced {result.synced}, failed {result.failed}, remaining {result.remaining}")
            status = unwrap(app.handlers.call("sync.status", {}))
            say("status: " + json.dumps(status["counts"]))
            cloud_store = app.cloud.open()
            for obj in cloud_store.store.list(cloud_store.layout.root):
                say(f"  in the cloud: {obj.key} ({obj.size} bytes)")
            return 0 if result.failed == 0 and result.remaining == 0 else 1
        finally:
            app.close()


def main() -> int:
    home = Path(os.environ.get("ECAN_DEMO_HOME") or tempfile.mkdtemp(prefix="ecan-demo-"))
    try:
        return run_demo(home)
    except UserFacingError as e:
        print(f"error: {e.message}\n  fix: {e.hint}", file=sys.stderr)
        return e.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
