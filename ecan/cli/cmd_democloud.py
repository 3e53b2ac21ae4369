"""`ecan demo-cloud`: run the local cloud until SIGTERM/SIGINT. With --json it prints the ready
line (contract: one JSON line on stdout, admin keys included, for scripts); without, it tells a
person how to sign in, and keeps the admin keys to itself. Optionally writes an
`auth_config.yml` that points at it."""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import threading
from types import FrameType

from ecan.cli.output import Output
from ecan.errors import ConfigError, UserFacingError


def run(args: argparse.Namespace, out: Output) -> int:
    from ecan.democloud import DemoCloud

    if not 0 <= args.port <= 65535:
        raise ConfigError("--port", f"{args.port} is not a port number",
                          "Use 1-65535, or 0 for any free port.")
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # Set before starting, so a SIGTERM during start-up still ends cleanly.
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    cloud = DemoCloud(port=args.port)
    try:
        info = cloud.start()
        config = (str(cloud.write_config(args.write_config).resolve()) if args.write_config
                  else None)
        if out.json_mode:  # the ready line is the contract; it goes straight to stdout
            out.stdout.write(json.dumps(info.ready_document(config)) + "\n")
            out.stdout.flush()
        else:
            user = info.users[0]
            out.info(f"The local demo cloud runs at {info.endpoint} (bucket {info.bucket}). It "
                     "lives in memory: what you upload is gone when it stops.")
            if config:
                out.info(f"Its config is in {config}. In another terminal:")
                out.info(f"  export ECAN_CONFIG={shlex.quote(config)}")
            else:
                out.info("Add --write-config PATH to get a config file that points at it.")
            out.info(f"  ecan login --username {user.username}    "
                     f"(password: {user.password})")
            out.info("Stop it with Ctrl+C.")
        while not stop.wait(0.5):
            if not cloud.running:
                raise UserFacingError("demo_cloud_died", "The local demo cloud stopped by itself.",
                                      "See the messages above; start `ecan demo-cloud` again.")
        return 0
    finally:
        cloud.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)
