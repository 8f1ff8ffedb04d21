"""Invariants over any sequence of valid sessions (Hypothesis, real SQLite)."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spinestep.domain.model import Decision, Effort, Location
from spinestep.errors import ProgrammePaused
from spinestep.services import sessions
from spinestep.services.context import Actor, FixedClock, ServiceContext
from spinestep.services.records import ProgrammeStatus
from spinestep.store import integrity_ok, open_store
from tests.services.support import onboard, screened_session

pain = st.integers(min_value=0, max_value=10)
session_inputs = st.builds(
    sessions.SessionInput,
    effort=st.sampled_from(list(Effort)),
    pain_before=pain,
    pain_during=pain,
    pain_after=pain,
    location_before=st.sampled_from(list(Location)),
    location_after=st.sampled_from(list(Location)),
    completed=st.booleans(),
    reps=st.integers(min_value=0, max_value=20),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    entries=st.lists(session_inputs, min_size=1, max_size=8),
    gaps_h=st.lists(st.integers(min_value=1, max_value=30), min_size=8, max_size=8),
)
def test_every_saved_session_has_one_decision_and_the_stage_stays_in_range(
    entries: list[sessions.SessionInput], gaps_h: list[int]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine, uow = open_store(f"sqlite:///{Path(folder) / 'h.db'}")
        clock = FixedClock(datetime(2026, 11, 20, 8, 0, tzinfo=UTC))
        ctx = ServiceContext(uow=uow, clock=clock)
        me = Actor.local_person()
        try:
            patient_id = onboard(ctx, me, time_zone="UTC")
            saved = 0
            for entry, gap in zip(entries, gaps_h, strict=False):
                clock.set(clock.now() + timedelta(hours=gap))
                try:
                    outcome = screened_session(ctx, me, patient_id, entry)
                except ProgrammePaused:
                    break
                saved += 1
                assert 1 <= outcome.stage_after <= 3
                # never progress after a session in which pain rose during or after
                rose = entry.pain_during > entry.pain_before or entry.pain_after > entry.pain_before
                if rose:
                    assert outcome.decision.decision is not Decision.PROGRESS
                assert outcome.paused == outcome.decision.decision.pauses_programme
            with uow() as work:
                stored = work.sessions.for_patient(patient_id)
                assignment = work.assignments.current_for(patient_id)
                for session in stored:
                    assert session.id is not None
                    assert work.decisions.for_session(session.id) is not None
            assert len(stored) == saved
            assert assignment is not None
            if assignment.status is ProgrammeStatus.PAUSED:
                assert saved >= 1
            assert integrity_ok(engine)
        finally:
            engine.dispose()
