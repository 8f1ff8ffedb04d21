"""Starting ``spinestep serve`` for a benchmark: a free port, its log, wait until it answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_serve(
    database_url: str, secret: str, workdir: Path, *options: str
) -> tuple[subprocess.Popen[bytes], str]:
    """``spinestep serve`` on ``database_url`` at a free loopback port, logging to
    ``workdir/server.log``; returns the process and its base URL once /api/v1/health
    answers (or exits with the log when it never does)."""
    port = free_port()
    env = dict(
        os.environ,
        SPINESTEP_DATABASE_URL=database_url,
        SPINESTEP_SECRET_KEY=secret,
        SPINESTEP_DATA_DIR=str(workdir / "data"),
    )
    log = (workdir / "server.log").open("wb")
    command = [sys.executable, "-m", "spinestep", "serve", "--port", str(port), *options]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/api/v1/health", timeout=1):
                return process, base
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the server did not start:\n{(workdir / 'server.log').read_text()}")
