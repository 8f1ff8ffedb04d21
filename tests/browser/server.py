"""A real spinestep web server (``spinestep serve``) on a free loopback port, for browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text()


@contextmanager
def live_server(database_url: str, workdir: Path) -> Iterator[LiveServer]:
    port = free_port()
    log_path = workdir / "server.log"
    env = dict(os.environ)
    env.update(
        SPINESTEP_DATA_DIR=str(workdir / "data"),
        SPINESTEP_SECRET_KEY="browser-test-secret",
        SPINESTEP_DATABASE_URL=database_url,
    )
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "spinestep", "serve", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v1/health", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    problem = f"the server did not start:\n{log_path.read_text()}"
                    raise RuntimeError(problem) from None
                time.sleep(0.2)
        yield LiveServer(url, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
