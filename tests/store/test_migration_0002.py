"""Migration 0002 (the clinician's outcome measure) from empty and from 0001 with data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from spinestep.services.records import OutcomeMeasure
from spinestep.store import current_revision, make_engine, migrate, unit_of_work_factory
from spinestep.store.engine import downgrade

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)

PATIENTS = sa.table(
    "patients",
    sa.column("id", sa.Integer()),
    sa.column("display_name", sa.String()),
    sa.column("time_zone", sa.String()),
    sa.column("emergency_number", sa.String()),
    sa.column("self_managed", sa.Boolean()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
ASSIGNMENTS = sa.table(
    "programme_assignments",
    sa.column("id", sa.Integer()),
    sa.column("patient_id", sa.Integer()),
    sa.column("protocol_id", sa.String()),
    sa.column("current_stage", sa.Integer()),
    sa.column("progress_after_sessions", sa.Integer()),
    sa.column("min_days_at_stage", sa.Integer()),
    sa.column("worsening_points", sa.Integer()),
    sa.column("dose_overrides", sa.JSON()),
    sa.column("clearance", sa.Boolean()),
    sa.column("directional_preference", sa.String()),
    sa.column("status", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
RESPONSES = sa.table(
    "questionnaire_responses",
    sa.column("id", sa.Integer()),
    sa.column("patient_id", sa.Integer()),
    sa.column("instrument", sa.String()),
    sa.column("taken_at", sa.DateTime(timezone=True)),
    sa.column("answers", sa.JSON()),
    sa.column("score", sa.JSON()),
)

# patient id -> (instrument, days after T0) of the questionnaires taken before 0002.
TAKEN = {
    1: [("rmdq", 0), ("odi", 3)],  # RMDQ first: the inferred choice was RMDQ, kept
    2: [("odi", 0)],
    3: [],
    4: [("odi", 0), ("rmdq", 1)],  # ODI first
    5: [("startback", 0), ("rmdq", 2)],  # only RMDQ among the two
    6: [("psfs", 0)],
}
EXPECTED = {1: "rmdq", 2: "odi", 3: "odi", 4: "odi", 5: "rmdq", 6: "odi"}


@pytest.fixture
def engine_at_0001(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    migrate(engine, "0001")
    yield engine
    engine.dispose()


def _fill(engine: Engine) -> None:
    with engine.begin() as connection:
        for patient_id, taken in TAKEN.items():
            connection.execute(
                sa.insert(PATIENTS).values(
                    id=patient_id,
                    display_name=f"P{patient_id}",
                    time_zone="Europe/London",
                    emergency_number="112",
                    self_managed=True,
                    created_at=T0,
                )
            )
            connection.execute(
                sa.insert(ASSIGNMENTS).values(
                    id=patient_id,
                    patient_id=patient_id,
                    protocol_id="lumbar-flexion",
                    current_stage=1,
                    progress_after_sessions=3,
                    min_days_at_stage=2,
                    worsening_points=2,
                    dose_overrides={},
                    clearance=True,
                    directional_preference="flexion",
                    status="active",
                    created_at=T0,
                    updated_at=T0,
                )
            )
            for number, (instrument, days) in enumerate(taken):
                connection.execute(
                    sa.insert(RESPONSES).values(
                        id=patient_id * 10 + number,
                        patient_id=patient_id,
                        instrument=instrument,
                        taken_at=T0 + timedelta(days=days),
                        answers={"instrument": instrument},
                        score={"instrument": instrument},
                    )
                )


def _columns(engine: Engine) -> set[str]:
    return {c["name"] for c in sa.inspect(engine).get_columns("programme_assignments")}


def test_from_0001_with_data_keeps_every_row_and_the_measure_taken_first(
    engine_at_0001: Engine,
) -> None:
    engine = engine_at_0001
    _fill(engine)
    assert "outcome_measure" not in _columns(engine)
    migrate(engine, "0002")
    assert current_revision(engine) == "0002"
    migrate(engine)  # the records are read through today's tables
    with unit_of_work_factory(engine)() as uow:
        got = {}
        for patient_id in TAKEN:
            assignment = uow.assignments.current_for(patient_id)
            assert assignment is not None
            assert assignment.psfs_enabled is False
            assert (assignment.protocol_id, assignment.current_stage) == ("lumbar-flexion", 1)
            assert assignment.created_at == T0
            got[patient_id] = assignment.outcome_measure.value
            stored = uow.questionnaires.for_patient(patient_id)
            assert [q.instrument for q in stored] == [i for i, _ in TAKEN[patient_id]]
    assert got == EXPECTED


def test_from_0001_the_new_columns_take_new_values(engine_at_0001: Engine) -> None:
    engine = engine_at_0001
    _fill(engine)
    migrate(engine)  # 0002, then the later revisions the records need
    uow = unit_of_work_factory(engine)
    with uow() as work:
        assignment = work.assignments.current_for(2)
        assert assignment is not None
        assignment.outcome_measure = OutcomeMeasure.RMDQ
        assignment.psfs_enabled = True
        work.assignments.update(assignment)
        work.commit()
    with uow() as work:
        again = work.assignments.current_for(2)
        assert again is not None
        assert (again.outcome_measure, again.psfs_enabled) == (OutcomeMeasure.RMDQ, True)


def test_downgrade_to_0001_drops_only_the_new_columns(engine_at_0001: Engine) -> None:
    engine = engine_at_0001
    _fill(engine)
    migrate(engine, "0002")
    assert {"outcome_measure", "psfs_enabled"} <= _columns(engine)
    downgrade(engine, "0001")
    assert current_revision(engine) == "0001"
    assert not {"outcome_measure", "psfs_enabled"} & _columns(engine)
    with engine.connect() as connection:
        count = connection.execute(sa.select(sa.func.count()).select_from(ASSIGNMENTS))
        assert count.scalar_one() == len(TAKEN)
        responses = connection.execute(sa.select(sa.func.count()).select_from(RESPONSES))
        assert responses.scalar_one() == sum(len(t) for t in TAKEN.values())
    migrate(engine, "0002")
    assert current_revision(engine) == "0002"


def test_from_empty_a_new_programme_defaults_to_odi_without_psfs(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate(engine, "0002")
        assert current_revision(engine) == "0002"
        _fill(engine)  # rows written without the new columns take their server defaults
        migrate(engine)
        with unit_of_work_factory(engine)() as uow:
            assignment = uow.assignments.current_for(1)
            assert assignment is not None
            assert (assignment.outcome_measure, assignment.psfs_enabled) == (
                OutcomeMeasure.ODI,
                False,
            )
    finally:
        engine.dispose()
