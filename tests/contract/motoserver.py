"""A moto S3 server on 127.0.0.1 in a child process, for the storage contract suite and doctor.
A child process keeps moto's module-global state (and the IAM enforcement the demo cloud turns
on) apart from any other moto server running inside the test process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_CHILD = """
import logging, sys
logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request in test output
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()  # run until the parent closes our stdin (or dies)
server.stop()
"""


@contextmanager
def moto_server() -> Iterator[str]:
    """Yield the endpoint URL of a fresh moto server; stop it afterwards."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "MOTO_", "INITIAL_NO_AUTH"))}
    proc = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.isdigit():
            raise RuntimeError(f"moto server did not start (got {line!r})")
        yield f"http://127.0.0.1:{int(line)}"
    finally:
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
