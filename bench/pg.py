"""A throw-away PostgreSQL server for the benchmarks: the tests' launcher, tuned for load."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.postgres import find_initdb, throwaway_server


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Yields the SQLAlchemy URL of an empty database on a fresh server; removes it after."""
    given = os.environ.get("SPINESTEP_BENCH_POSTGRES_URL")
    if given:
        yield given
        return
    initdb = find_initdb()
    if initdb is None:
        raise SystemExit("PostgreSQL server binaries not found: install the 'postgresql' package")
    with throwaway_server(initdb, "-c shared_buffers=256MB -c max_connections=100") as server:
        yield server.create_database()
