"""A patient with a short, realistic history, made through the real services.

Used by the records tests (services, CLI, backup). The clock is fixed and moved by hand,
so every stored timestamp is known.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from spinestep.domain.model import Effort, Location, RuleSettings
from spinestep.services.context import Actor, FixedClock, ServiceContext
from spinestep.services.onboarding import OnboardingInput, onboard
from spinestep.services.questionnaires import record_response
from spinestep.services.records import FlagSource, RedFlagReport
from spinestep.services.sessions import SessionInput
from spinestep.store import make_engine, migrate, unit_of_work_factory
from tests.services.support import screened_session
from tests.support.schema_copy import at_newest_schema

START = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
LOCAL = Actor.local_person()


@dataclass
class Store:
    engine: Engine
    ctx: ServiceContext
    clock: FixedClock


def open_test_store(url: str) -> Store:
    at_newest_schema(url)
    engine = make_engine(url)
    migrate(engine)
    clock = FixedClock(START)
    return Store(engine, ServiceContext(uow=unit_of_work_factory(engine), clock=clock), clock)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = open_test_store(database_url)
    yield opened
    opened.engine.dispose()


@pytest.fixture
def second_database_url(database_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Another empty database on the same backend as ``database_url``."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'second.db'}"
    server = request.getfixturevalue("postgres_server")
    url: str = server.create_database()
    return url


@pytest.fixture
def second_store(second_database_url: str) -> Iterator[Store]:
    opened = open_test_store(second_database_url)
    yield opened
    opened.engine.dispose()


# (hours after START, effort, before, during, after, location before, after, motion)
SESSIONS = (
    (1, Effort.EASY, 4, 3, 3, Location.THIGH, Location.BUTTOCK, None),
    (4, Effort.EASY, 3, 3, 2, Location.BUTTOCK, Location.BUTTOCK, None),
    (25, Effort.EASY, 3, 2, 2, Location.BUTTOCK, Location.BACK, None),  # R8: progress to 2
    (
        49,
        Effort.EASY,
        2,
        2,
        2,
        Location.BACK,
        Location.BACK,
        {
            "stage": "seated",
            "measure": "trunk_flexion",
            "reps": 3,
            "held_count": 2,
            "rom_deg": [55.0, 58.4, 61.2],
            "rom_deg_median": 58.4,
            "detected_fraction": 0.98,
            "visibility_mean": 0.91,
            "side_view": True,
        },
    ),
    (52, Effort.HARD, 2, 5, 5, Location.BACK, Location.BELOW_KNEE, None),  # R4: stop
)


def build_history(store: Store) -> int:
    """Onboard one patient and give them 5 sessions, 4 questionnaires and one red flag."""
    ctx, clock = store.ctx, store.clock
    outcome = onboard(
        ctx,
        LOCAL,
        OnboardingInput(
            display_name="Ana Example",
            time_zone="Europe/Berlin",
            clearance=True,
            # Long-standing thigh symptoms allowed, as a clinician may for stenosis
            # (SPEC §3.2): three easy sessions on two days then move this patient on.
            settings=RuleSettings(
                progress_after_sessions=3,
                min_days_at_stage=2,
                progress_max_pain=4,
                progress_max_location=Location.THIGH,
            ),
        ),
    )
    patient_id = outcome.patient_id
    clock.set(START + timedelta(minutes=30))
    record_response(
        ctx,
        LOCAL,
        patient_id,
        {
            "instrument": "startback",
            "items": [1, 0, 1, 1, 1, 0, 1, 1],
            "bothersomeness": "very_much",
        },
    )
    record_response(
        ctx, LOCAL, patient_id, {"instrument": "odi", "answers": [3, 2, 3, 2, 3, 2, 3, None, 3, 2]}
    )
    for hours, effort, before, during, after, where_before, where_after, motion in SESSIONS:
        clock.set(START + timedelta(hours=hours))
        screened_session(
            ctx,
            LOCAL,
            patient_id,
            SessionInput(
                effort=effort,
                pain_before=before,
                pain_during=during,
                pain_after=after,
                location_before=where_before,
                location_after=where_after,
                reps=10,
                motion=motion,
            ),
        )
    clock.set(START + timedelta(days=14))
    record_response(
        ctx, LOCAL, patient_id, {"instrument": "odi", "answers": [1, 1, 2, 1, 1, 1, 1, None, 1, 1]}
    )
    record_response(ctx, LOCAL, patient_id, {"instrument": "psfs", "ratings": [3, 6]})
    with ctx.uow() as uow:
        uow.red_flags.add(
            RedFlagReport(
                patient_id=patient_id,
                code="night_pain_unremitting",
                reported_at=START + timedelta(days=3),
                source=FlagSource.SESSION,
            )
        )
        uow.commit()
    return patient_id
