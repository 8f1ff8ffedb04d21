"""``spinestep user add`` and ``spinestep demo`` against real databases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from spinestep.domain.model import Decision
from spinestep.services.records import Role
from spinestep.store.uow import open_store


def run(
    args: list[str], database_url: str, tmp_path: Path, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {"SPINESTEP_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "spinestep", *args, "--database-url", database_url],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_user_add_creates_an_argon2id_account(database_url: str, tmp_path: Path) -> None:
    done = run(
        [
            "user",
            "add",
            "ada@clinic.example",
            "--name",
            "Ada",
            "--role",
            "admin",
            "--password-stdin",
        ],
        database_url,
        tmp_path,
        stdin="a-long-enough-password\n",
    )
    assert done.returncode == 0, done.stderr
    assert "added admin account ada@clinic.example" in done.stdout
    engine, uow = open_store(database_url)
    try:
        with uow() as unit:
            user = unit.users.by_email("ada@clinic.example")
        assert user is not None and user.role is Role.ADMIN
        assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
    finally:
        engine.dispose()
    again = run(
        ["user", "add", "ada@clinic.example", "--name", "Ada", "--password-stdin"],
        database_url,
        tmp_path,
        stdin="a-long-enough-password\n",
    )
    assert again.returncode != 0
    assert again.stderr.startswith("spinestep: ")
    assert len(again.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("role", ["nurse", "ADMIN"])
def test_user_add_refuses_an_unknown_role(role: str, tmp_path: Path) -> None:
    done = run(
        ["user", "add", "x@y.example", "--name", "X", "--role", role, "--password-stdin"],
        f"sqlite:///{tmp_path / 'r.db'}",
        tmp_path,
        stdin="a-long-enough-password\n",
    )
    assert done.returncode == 2
    # Invalid input: one line that starts with the offending value's path (SPEC §3.4).
    assert done.stderr == "role: must be admin, clinician or patient\n"


def test_demo_clinic_walks_every_decision(database_url: str, tmp_path: Path) -> None:
    done = run(["demo"], database_url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "maria@demo.spinestep.example" in done.stdout
    engine, uow = open_store(database_url)
    try:
        with uow() as unit:
            decisions = {
                d.decision
                for patient in unit.patients.list_all()
                if patient.id is not None
                for d in unit.decisions.for_patient(patient.id)
            }
    finally:
        engine.dispose()
    # Every decision of SPEC §3.4 appears somewhere in the demo clinic.
    assert decisions == set(Decision)
    refused = run(["demo"], database_url, tmp_path)
    assert refused.returncode == 2  # never on a database that already has accounts
