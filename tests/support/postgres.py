"""A real, throw-away PostgreSQL server for the tests.

``SPINESTEP_TEST_POSTGRES_URL`` points at an existing server instead. Otherwise the
server binaries of the Debian package are used: as root, ``initdb`` runs as the
``postgres`` user (it refuses root). When neither works the tests fail with a message
saying what to install; they are never skipped.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class PostgresServer:
    base_url: str  # postgresql+psycopg://user@host:port

    def create_database(self) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self._plain_url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"{self.base_url}/{name}"

    def _plain_url(self, database: str) -> str:
        return self.base_url.replace("postgresql+psycopg://", "postgresql://") + f"/{database}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def find_initdb() -> Path | None:
    """The ``initdb`` of the Debian package, or one on PATH; None when neither exists."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1])
    which = shutil.which("initdb")
    return Path(which) if which else None


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


@contextmanager
def throwaway_server(initdb: Path, extra_options: str = "") -> Iterator[PostgresServer]:
    """A fresh server on a free loopback port, in a temporary directory removed afterwards.

    Used by the test fixture below and by the benchmarks (bench/pg.py).
    """
    bindir = initdb.parent
    workdir = Path(tempfile.mkdtemp(prefix="spinestep-pg-"))
    datadir = workdir / "data"
    if os.geteuid() == 0:
        shutil.chown(workdir, user="postgres")
    user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
    subprocess.run(
        _as_server_user(
            [
                str(bindir / "initdb"),
                "-D",
                str(datadir),
                "-A",
                "trust",
                "-U",
                user,
                "--no-sync",
                "-E",
                "UTF8",
            ]
        ),
        check=True,
        capture_output=True,
    )
    port = _start(bindir, datadir, workdir, extra_options)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield PostgresServer(base_url=f"postgresql+psycopg://{user}@127.0.0.1:{port}")
    finally:
        subprocess.run(
            _as_server_user(
                [str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "stop"]
            ),
            capture_output=True,
        )
        shutil.rmtree(workdir, ignore_errors=True)


def _start(bindir: Path, datadir: Path, workdir: Path, extra_options: str) -> int:
    """Start the server on a free port and return the port.

    Several test processes (pytest-xdist workers) start servers at once, so the port found
    free may be taken before the server binds it: then it is started again on another.
    """
    log = workdir / "log"
    for attempt in range(3):
        port = _free_port()
        options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
        started = subprocess.run(
            _as_server_user(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(datadir),
                    "-o",
                    f"{options} {extra_options}",
                    "-w",
                    "-l",
                    str(log),
                    "start",
                ]
            ),
            capture_output=True,
        )
        if started.returncode == 0:
            return port
        taken = log.exists() and "already in use" in log.read_text(errors="replace")
        if not taken or attempt == 2:
            started.check_returncode()
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    given = os.environ.get("SPINESTEP_TEST_POSTGRES_URL")
    if given:
        yield PostgresServer(base_url=given.rstrip("/").rsplit("/", 1)[0])
        return
    initdb = find_initdb()
    if initdb is None:
        pytest.fail(
            "PostgreSQL server binaries not found: run 'make test' as root to install them, "
            "install the 'postgresql' package, or set SPINESTEP_TEST_POSTGRES_URL",
            pytrace=False,
        )
    with throwaway_server(initdb) as server:
        yield server
