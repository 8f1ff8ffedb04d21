"""Migration 0004 (maintenance phase, new rule settings, run_since, decision phase, event
note, idempotency keys) from 0003 with data, and back.

The records are written through today's tables and the schema is then taken back to
0003, where a finished programme had status ``completed``; upgrading must turn it into
an active programme in maintenance at its protocol's maintenance stage (lumbar-flexion:
stage 1, lumbar-extension: stage 4, SPEC §2 and the protocol files of 2026.12-1).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from spinestep.domain.model import Decision, EmergencyNumber, Location, Phase, Urgency
from spinestep.errors import Conflict
from spinestep.services.records import (
    AssignmentRecord,
    EventKind,
    IdempotencyRecord,
    PatientRecord,
    ProgrammeEvent,
    ProgrammeStatus,
    StoredDecision,
)
from spinestep.store import current_revision, make_engine, migrate, unit_of_work_factory
from spinestep.store.engine import downgrade

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def at(days: int) -> datetime:
    return T0 + timedelta(days=days)


# name -> (protocol, stage, status, [(event kind, day)], [(decision, day)])
PROGRAMMES = {
    "flexion_done": (
        "lumbar-flexion",
        3,
        ProgrammeStatus.COMPLETED,
        [(EventKind.PRESCRIBE, 0), (EventKind.STAGE_CHANGE, 4), (EventKind.COMPLETE, 9)],
        [(Decision.STAY, 8), (Decision.MAINTAIN, 9), (Decision.STAY, 10)],
    ),
    "extension_done": (
        "lumbar-extension",
        4,
        ProgrammeStatus.COMPLETED,
        [(EventKind.PRESCRIBE, 0), (EventKind.COMPLETE, 6)],
        [(Decision.MAINTAIN, 6)],
    ),
    "paused": (
        "lumbar-flexion",
        2,
        ProgrammeStatus.PAUSED,
        [(EventKind.PRESCRIBE, 0), (EventKind.STAGE_CHANGE, 3), (EventKind.PAUSE, 5)],
        [(Decision.PROGRESS, 3), (Decision.STOP, 5)],
    ),
    "no_events": ("lumbar-flexion", 1, ProgrammeStatus.ACTIVE, [], []),
}


def _fill(engine: Engine) -> dict[str, int]:
    ids: dict[str, int] = {}
    with unit_of_work_factory(engine)() as uow:
        for name, (protocol, stage, status, events, decisions) in PROGRAMMES.items():
            patient = uow.patients.add(PatientRecord(name, "UTC", EmergencyNumber.UK, T0))
            assert patient.id is not None
            assignment = uow.assignments.add(
                AssignmentRecord(patient.id, protocol, stage, T0, T0, status=status)
            )
            assert assignment.id is not None
            ids[name] = assignment.id
            for kind, day in events:
                uow.events.add(
                    ProgrammeEvent(patient.id, assignment.id, kind, at(day), f"{kind.value}")
                )
            for decision, day in decisions:
                uow.decisions.add(
                    StoredDecision(
                        patient_id=patient.id,
                        assignment_id=assignment.id,
                        made_at=at(day),
                        decision=decision,
                        urgency=Urgency.ROUTINE,
                        current_stage=stage,
                        next_stage=None,
                        reasons=[],
                        message="",
                        dose=None,
                        inputs={},
                        rules_version="2026.11-1",
                    )
                )
        uow.commit()
    return ids


@pytest.fixture
def at_0003(database_url: str) -> Iterator[tuple[Engine, dict[str, int]]]:
    engine = make_engine(database_url)
    migrate(engine)
    ids = _fill(engine)
    downgrade(engine, "0003")
    yield engine, ids
    engine.dispose()


def _columns(engine: Engine, table: str) -> set[str]:
    return {str(column["name"]) for column in sa.inspect(engine).get_columns(table)}


NEW_ASSIGNMENT_COLUMNS = {
    "phase",
    "progress_max_pain",
    "progress_max_location",
    "maintenance_sessions_per_day",
    "run_since",
}


def test_at_0003_the_new_columns_and_table_are_absent(
    at_0003: tuple[Engine, dict[str, int]],
) -> None:
    engine, _ids = at_0003
    assert current_revision(engine) == "0003"
    assert not NEW_ASSIGNMENT_COLUMNS & _columns(engine, "programme_assignments")
    assert "phase" not in _columns(engine, "decisions")
    assert "note" not in _columns(engine, "programme_events")
    assert "idempotency_keys" not in sa.inspect(engine).get_table_names()
    with engine.connect() as connection:
        statuses = connection.exec_driver_sql(
            "SELECT status FROM programme_assignments ORDER BY id"
        ).scalars()
        assert list(statuses) == ["completed", "completed", "paused", "active"]


def test_from_0003_completed_programmes_become_maintenance(
    at_0003: tuple[Engine, dict[str, int]],
) -> None:
    engine, ids = at_0003
    migrate(engine, "0004")
    assert current_revision(engine) == "0004"
    migrate(engine)  # read through today's tables
    with unit_of_work_factory(engine)() as uow:
        got = {name: uow.assignments.get(ids[name]) for name in PROGRAMMES}
    expected = {
        # name: (status, phase, stage, run_since = last event other than a pause)
        "flexion_done": (ProgrammeStatus.ACTIVE, Phase.MAINTENANCE, 1, at(9)),
        "extension_done": (ProgrammeStatus.ACTIVE, Phase.MAINTENANCE, 4, at(6)),
        "paused": (ProgrammeStatus.PAUSED, Phase.PROGRESSION, 2, at(3)),
        "no_events": (ProgrammeStatus.ACTIVE, Phase.PROGRESSION, 1, None),
    }
    for name, record in got.items():
        assert record is not None
        assert (record.status, record.phase, record.current_stage, record.run_since) == (
            expected[name]
        ), name
        # the new settings take the defaults of rules 2026.12-1
        assert record.progress_max_pain == 2
        assert record.progress_max_location is Location.BACK
        assert record.maintenance_sessions_per_day == 2


def test_from_0003_decisions_from_the_first_maintain_on_are_in_maintenance(
    at_0003: tuple[Engine, dict[str, int]],
) -> None:
    engine, ids = at_0003
    migrate(engine, "0004")
    migrate(engine)  # read through today's tables
    with unit_of_work_factory(engine)() as uow:
        phases = {
            name: [
                (d.decision, d.phase)
                for d in uow.decisions.for_patient(patient_id)
                if d.assignment_id == ids[name]
            ]
            for name, patient_id in zip(PROGRAMMES, range(1, len(PROGRAMMES) + 1), strict=True)
        }
        notes = [e.note for e in uow.events.for_patient(1)]
    assert phases == {
        "flexion_done": [
            (Decision.STAY, Phase.PROGRESSION),
            (Decision.MAINTAIN, Phase.MAINTENANCE),
            (Decision.STAY, Phase.MAINTENANCE),
        ],
        "extension_done": [(Decision.MAINTAIN, Phase.MAINTENANCE)],
        "paused": [(Decision.PROGRESS, Phase.PROGRESSION), (Decision.STOP, Phase.PROGRESSION)],
        "no_events": [],
    }
    assert notes == [None, None, None]


def test_after_0004_new_fields_are_stored_and_keys_are_unique_per_patient(
    at_0003: tuple[Engine, dict[str, int]],
) -> None:
    engine, ids = at_0003
    migrate(engine)  # 0004 and later; written and read through today's tables
    factory = unit_of_work_factory(engine)
    with factory() as uow:
        record = uow.assignments.get(ids["no_events"])
        assert record is not None
        record.progress_max_location = Location.BELOW_KNEE
        record.run_since = at(20)
        uow.assignments.update(record)
        uow.events.add(
            ProgrammeEvent(4, ids["no_events"], EventKind.SETTINGS_CHANGE, at(20), "x", note="why")
        )
        uow.idempotency.add(IdempotencyRecord(4, "k", {"paused": False}, at(20)))
        uow.idempotency.add(IdempotencyRecord(3, "k", {"paused": True}, at(20)))
        uow.commit()
    with factory() as uow:
        again = uow.assignments.get(ids["no_events"])
        assert again is not None
        assert (again.progress_max_location, again.run_since) == (Location.BELOW_KNEE, at(20))
        assert [e.note for e in uow.events.for_patient(4)] == ["why"]
        found = uow.idempotency.find(3, "k")
        assert found is not None and found.outcome == {"paused": True}
        assert uow.idempotency.find(4, "other") is None
        with pytest.raises(Conflict):
            uow.idempotency.add(IdempotencyRecord(4, "k", {}, at(21)))


def test_downgrade_to_0003_gives_back_completed_and_drops_the_new_fields(
    at_0003: tuple[Engine, dict[str, int]],
) -> None:
    engine, _ids = at_0003
    migrate(engine, "0004")
    downgrade(engine, "0003")
    assert current_revision(engine) == "0003"
    assert not NEW_ASSIGNMENT_COLUMNS & _columns(engine, "programme_assignments")
    assert "idempotency_keys" not in sa.inspect(engine).get_table_names()
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT status, current_stage FROM programme_assignments ORDER BY id"
        ).all()
        decisions = connection.exec_driver_sql("SELECT count(*) FROM decisions").scalar_one()
    # The stage moved to the maintenance stage stays there.
    assert [tuple(row) for row in rows] == [
        ("completed", 1),
        ("completed", 4),
        ("paused", 2),
        ("active", 1),
    ]
    assert decisions == 6
    migrate(engine, "0004")
    assert current_revision(engine) == "0004"
