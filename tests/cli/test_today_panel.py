"""The terminal's Today tells the same story as the pages (SPEC §3.5)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from rich.console import Console

from spinestep.cli.coach_render import today_panel
from spinestep.domain.model import Dose, EmergencyNumber, Phase
from spinestep.services import clinician, programme, screening
from spinestep.services.assessment import Assessment
from spinestep.services.context import Actor, FixedClock, ServiceContext
from spinestep.services.views import TodayView
from spinestep.store import open_store
from tests.cli.coach_support import run
from tests.services.support import easy, onboard, screened_session

ME = Actor.local_person()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def ctx(tmp_path: Path, clock: FixedClock) -> Iterator[ServiceContext]:
    engine, uow = open_store(f"sqlite:///{tmp_path / 'coach.db'}")
    yield ServiceContext(uow=uow, clock=clock)
    engine.dispose()


def shown(view: TodayView) -> str:
    console = Console(width=200, record=True, color_system=None)
    console.print(today_panel(view))
    return " ".join(console.export_text().split())


def test_paused_by_an_emergency_shows_only_what_to_do(ctx: ServiceContext) -> None:
    patient_id = onboard(ctx, ME, time_zone="Europe/London", emergency_number=EmergencyNumber.UK)
    screening.record_screening(ctx, ME, patient_id, {"saddle_anaesthesia": True})
    text = shown(programme.today(ctx, ME, patient_id))
    assert "Your programme is paused." in text
    assert "Call 999 now." in text
    assert "See a doctor or physiotherapist" in text
    assert "spinestep resume" in text
    assert "Dose:" not in text and "Bring both knees" not in text
    assert "Adherence" not in text


def test_after_resuming_the_resume_replaces_the_old_message(
    ctx: ServiceContext, clock: FixedClock
) -> None:
    patient_id = onboard(ctx, ME, time_zone="Europe/London")
    screening.record_screening(ctx, ME, patient_id, {"new_bladder_dysfunction": True})
    clock.set(datetime(2026, 12, 3, 10, 2, tzinfo=UTC))
    seen = Assessment("Dr Okoro, A&E", date(2026, 12, 3), "no cauda equina; carry on")
    clinician.resume(ctx, ME, patient_id, assessment=seen)
    clock.set(datetime(2026, 12, 3, 10, 5, tzinfo=UTC))
    text = shown(programme.today(ctx, ME, patient_id))
    assert "You resumed your programme on 3 Dec at 10:02." in text
    assert "Stop exercising now" not in text and "EMERGENCY" not in text
    assert "stage 1 of 3" in text
    # Paused from the moment it started until the resume: only 3 Dec counts, none done.
    assert "Adherence over the last 7 days: 0 %" in text


def test_maintenance_shows_the_maintenance_exercise_and_the_patients_hold(
    ctx: ServiceContext, clock: FixedClock
) -> None:
    patient_id = onboard(ctx, ME, time_zone="Europe/London", start_stage=3)
    clinician.adjust(ctx, ME, patient_id, phase=Phase.MAINTENANCE, doses={1: Dose(10, 4, 6, 5)})
    clock.set(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    screened_session(ctx, ME, patient_id, easy())
    text = shown(programme.today(ctx, ME, patient_id))
    assert "programme complete — maintenance" in text
    assert "Knees to chest" in text
    assert "Hold for 4 to 6 seconds" in text and "1 to 2 seconds" not in text
    assert "Dose: 10 repetitions, hold 4-6 s, 2 sessions a day" in text
    assert "1 of 2 sessions done" in text
    assert "stage 3" not in text.lower() and "Keep doing stage 1" not in text


def test_today_json_tells_the_same_story(ctx: ServiceContext, tmp_path: Path) -> None:
    patient_id = onboard(ctx, ME, time_zone="Europe/London")
    screening.record_screening(ctx, ME, patient_id, {"infection_features": True})
    done = run(f"sqlite:///{tmp_path / 'coach.db'}", "today", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["paused"] is True
    assert data["pause_decision"]["decision"] == "urgent_referral"
    assert data["phase"] == "progression"
    assert data["update"] is None
    assert data["instructions"][2].startswith("Hold for 1 to 2 seconds")
