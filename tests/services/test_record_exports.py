"""Reminder plans and the report's content, worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from spinestep.errors import InvalidInput
from spinestep.services import programme
from spinestep.services.record_exports import clinician_report, default_times, reminder_plan
from tests.services.history_builder import LOCAL, Store, build_history, store

__all__ = ["store"]


def test_five_sessions_are_three_hours_apart_from_eight() -> None:
    assert default_times(5) == (time(8), time(11), time(14), time(17), time(20))


def test_more_sessions_come_closer_so_the_day_ends_by_nine_pm() -> None:
    # 8 sessions: 13 h / 7 gaps = 111 min apart; the last at 08:00 + 777 min = 20:57.
    times = default_times(8)
    assert times[1] == time(9, 51) and times[-1] == time(20, 57)
    assert default_times(1) == (time(8),)
    with pytest.raises(InvalidInput):
        default_times(0)


def test_plan_uses_the_current_stage_dose_and_time_zone(store: Store) -> None:
    patient_id = build_history(store)
    plan = reminder_plan(store.ctx, LOCAL, patient_id, start=date(2026, 12, 1), days=7)
    assert plan.time_zone == "Europe/Berlin"
    assert plan.until == date(2026, 12, 7)
    assert len(plan.times) == 5
    assert plan.title == "Lumbar flexion (bending forward): Bend forward, sitting"
    assert plan.description.startswith("10 repetitions, hold 1-2 s.")


def test_report_content_counts_sessions_per_stage_and_the_stop(store: Store) -> None:
    patient_id = build_history(store)
    report = clinician_report(store.ctx, LOCAL, patient_id)
    assert [(s.number, s.sessions) for s in report.stages] == [(1, 3), (2, 2), (3, 0)]
    assert [s.rules for s in report.stops] == [("R4",)]
    assert report.adherence is not None
    # Made on 16 Nov: paused since 4 Nov, so no day of the last 7 counts.
    assert report.adherence.percent is None


def test_report_adherence_is_the_one_seven_day_definition(store: Store) -> None:
    patient_id = build_history(store)
    store.clock.set(datetime(2026, 11, 5, 12, 0, tzinfo=UTC))
    report = clinician_report(store.ctx, LOCAL, patient_id)
    assert report.adherence is not None
    # 30 Oct - 5 Nov (Berlin); started 2 Nov, stopped at 12:00 on 4 Nov: 2, 3 and 4 Nov
    # count at 5 a day = 15 planned; all 5 sessions were completed: 33 %.
    assert report.adherence.active_days == 3
    assert (report.adherence.planned, report.adherence.completed) == (15, 5)
    assert report.adherence.percent == 33
    today = programme.today(store.ctx, LOCAL, patient_id)
    assert today.adherence == report.adherence
