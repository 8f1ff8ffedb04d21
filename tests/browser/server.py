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


class _PortTaken(Exception):
    """The free port found a moment ago was taken by another process before the server bound it."""


@contextmanager
def live_server(database_url: str, workdir: Path) -> Iterator[LiveServer]:
    """``spinestep serve`` on a free port (tests may run in several xdist workers at once:
    when another process takes the port first, the server is started again on another)."""
    for attempt in range(3):
        try:
            with _live_server_on(free_port(), database_url, workdir) as server:
                yield server
            return
        except _PortTaken:
            if attempt == 2:
                raise RuntimeError("no free port for the server after three tries") from None


@contextmanager
def _live_server_on(port: int, database_url: str, workdir: Path) -> Iterator[LiveServer]:
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
                if process.poll() is not None and "address already in use" in _read(log_path):
                    raise _PortTaken from None
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


def _read(path: Path) -> str:
    return path.read_text(errors="replace").lower()
