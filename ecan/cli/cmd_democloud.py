"""`ecan demo-cloud`: run the local cloud until SIGTERM/SIGINT. Prints the ready line (contract:
one JSON line on stdout, with or without --json, so scripts can parse it) and optionally writes an
`auth_config.yml` that points at it."""

from __future__ import annotations

import argparse
import json
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
        config = str(cloud.write_config(args.write_config)) if args.write_config else None
        # The ready line is the contract in both modes; it goes straight to stdout.
        out.stdout.write(json.dumps(info.ready_document(config)) + "\n")
        out.stdout.flush()
        if not out.json_mode:
            user = info.users[0]
            out.info(f"local cloud ready at {info.endpoint} (bucket {info.bucket}); "
                     f"sign in as {user.username!r}" +
                     (f"; config written to {config}" if config else ""))
            out.info("stop it with Ctrl+C")
        while not stop.wait(0.5):
            if not cloud.running:
                raise UserFacingError("demo_cloud_died", "The local demo cloud stopped by itself.",
                                      "See the messages above; start `ecan demo-cloud` again.")
        return 0
    finally:
        cloud.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)
