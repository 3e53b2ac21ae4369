"""The local cloud's server process (`python -m ecan.democloud`), started by DemoCloud: prints the
ready line (or an error document) on stdout, then serves until its stdin closes or it is told to
stop (SIGTERM/SIGINT)."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from ecan.democloud.server import LocalCloudServer
from ecan.errors import UserFacingError
from ecan.priority import run_in_background


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ecan.democloud")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--credential-ttl", type=int, default=90)
    p.add_argument("--region", default="us-east-1")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="demo-cloud: %(levelname)s %(name)s: %(message)s")
    # It stands in for a remote service: it must not take the CPU from the window it serves.
    run_in_background(own_session=True)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server = LocalCloudServer(args.port, args.credential_ttl, args.region)
    try:
        info = server.start()
    except UserFacingError as e:
        print(json.dumps({"ok": False, "error": e.to_dict()}), flush=True)
        return e.exit_code
    print(json.dumps(info.ready_document(None)), flush=True)

    def wait_for_eof() -> None:
        # The parent closing our stdin (or dying) means: stop.
        sys.stdin.buffer.read()
        stop.set()

    threading.Thread(target=wait_for_eof, daemon=True, name="stdin-watch").start()
    stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
