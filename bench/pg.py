"""A throw-away PostgreSQL server for the benchmarks (as tests/support/postgres.py starts one)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _as_server_user(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Yields the SQLAlchemy URL of an empty database on a fresh server; removes it after."""
    given = os.environ.get("SPINESTEP_BENCH_POSTGRES_URL")
    if given:
        yield given
        return
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or [shutil.which("initdb") or ""]
    if not found[-1]:
        raise SystemExit("PostgreSQL server binaries not found: install the 'postgresql' package")
    bindir = Path(found[-1]).parent
    workdir = Path(tempfile.mkdtemp(prefix="spinestep-bench-pg-"))
    if os.geteuid() == 0:
        shutil.chown(workdir, user="postgres")
    user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
    subprocess.run(
        _as_server_user(
            [
                str(bindir / "initdb"),
                "-D",
                str(workdir / "data"),
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
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    options = (
        f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c shared_buffers=256MB -c max_connections=100"
    )
    subprocess.run(
        _as_server_user(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(workdir / "data"),
                "-o",
                options,
                "-w",
                "-l",
                str(workdir / "log"),
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        import psycopg

        with psycopg.connect(
            f"postgresql://{user}@127.0.0.1:{port}/postgres", autocommit=True
        ) as c:
            c.execute('CREATE DATABASE "bench"')
        yield f"postgresql+psycopg://{user}@127.0.0.1:{port}/bench"
    finally:
        subprocess.run(
            _as_server_user(
                [str(bindir / "pg_ctl"), "-D", str(workdir / "data"), "-m", "immediate", "stop"]
            ),
            capture_output=True,
        )
        shutil.rmtree(workdir, ignore_errors=True)
