"""A writer killed with SIGKILL at random moments never leaves a half-saved session.

Every session has its decision, everything the writer was told is saved is there, and
SQLite's integrity check passes.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from spinestep.store import integrity_ok, make_engine
from tests.support.postgres import PostgresServer

ROOT = Path(__file__).resolve().parents[2]


def _run_and_kill(url: str, rng: random.Random) -> int:
    """Start the writer, kill it after a random delay; return how many saves it reported."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.store.kill_writer", url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    assert first.strip() == "ready", process.stderr.read() if process.stderr else first
    # The kill lands at a random moment after the first save is reported, so every run
    # kills a writer in the middle of its work however slow the machine is.
    saved_once = process.stdout.readline()
    assert saved_once.startswith("saved "), process.stderr.read() if process.stderr else ""
    time.sleep(rng.uniform(0.0, 0.25))
    process.send_signal(signal.SIGKILL)
    out, _err = process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    lines = [saved_once, *out.splitlines()]
    reported = [int(line.split()[1]) for line in lines if line.startswith("saved ")]
    return max(reported)


def _check(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            sessions = connection.execute(sa.text("SELECT count(*) FROM sessions")).scalar_one()
            orphans = connection.execute(
                sa.text(
                    "SELECT count(*) FROM sessions s "
                    "LEFT JOIN decisions d ON d.session_id = s.id WHERE d.id IS NULL"
                )
            ).scalar_one()
            dangling = connection.execute(
                sa.text(
                    "SELECT count(*) FROM decisions d "
                    "LEFT JOIN sessions s ON s.id = d.session_id "
                    "WHERE d.session_id IS NOT NULL AND s.id IS NULL"
                )
            ).scalar_one()
        assert orphans == 0, "a session was saved without its decision"
        assert dangling == 0
        assert integrity_ok(engine)
        return sessions, orphans
    finally:
        engine.dispose()


def _survives_kills(url: str, iterations: int, seed: int) -> None:
    rng = random.Random(seed)
    told_saved = 0
    for _ in range(iterations):
        told_saved += _run_and_kill(url, rng)
        stored, _ = _check(url)
        # Durable once the user is told: every reported save is on disk (at most one more,
        # committed just before the kill but not yet reported).
        assert told_saved <= stored <= told_saved + iterations
    assert told_saved > 0


def test_sqlite_writer_killed_at_random_moments(tmp_path: Path) -> None:
    _survives_kills(f"sqlite:///{tmp_path / 'kill.db'}", iterations=25, seed=20261126)


@pytest.mark.postgres
def test_postgresql_writer_killed_at_random_moments(postgres_server: PostgresServer) -> None:
    _survives_kills(postgres_server.create_database(), iterations=4, seed=7)
