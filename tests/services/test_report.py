"""The report's 7-day adherence (SPEC §3.5) from exported records, worked out by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from spinestep.services.record_types import ProgrammeStatus
from spinestep.services.report import build_report
from tests.interop.sample_records import sample_records

NOW = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)


def test_an_active_programme_counts_the_days_since_it_started() -> None:
    records = sample_records()
    assert records.programme is not None
    active = replace(records, programme=replace(records.programme, status=ProgrammeStatus.ACTIVE))
    adherence = build_report(active, datetime(2026, 11, 6, 12, 0, tzinfo=UTC)).adherence
    assert adherence is not None
    # 31 Oct - 6 Nov (Berlin); started 2 Nov: 2-6 Nov count, 5 days x 4 (stage 2) = 20.
    # Completed: 2 on 2 Nov, 1 on 3 Nov, 1 on 4 Nov; the one of 5 Nov stopped early.
    assert (adherence.first_day, adherence.last_day) == (date(2026, 10, 31), date(2026, 11, 6))
    assert (adherence.planned, adherence.completed, adherence.not_completed) == (20, 4, 1)
    assert adherence.percent == 20


def test_a_paused_programme_counts_up_to_the_day_it_stopped() -> None:
    adherence = build_report(sample_records(), datetime(2026, 11, 6, 12, 0, tzinfo=UTC)).adherence
    assert adherence is not None
    # Stopped at 10:40 on 5 Nov (Berlin): 2-5 Nov count, 4 x 4 = 16; 4 completed.
    assert adherence.active_days == 4
    assert (adherence.planned, adherence.completed) == (16, 4)
    assert adherence.percent == 25


def test_no_day_counts_when_the_whole_week_was_paused() -> None:
    adherence = build_report(sample_records(), NOW).adherence
    assert adherence is not None
    assert adherence.percent is None
    assert adherence.text == "—"


def test_stops_are_the_pausing_decisions_in_time_order() -> None:
    report = build_report(sample_records(), NOW)
    assert [d.rules for d in report.stops] == [("R4",)]
    assert [s.sessions for s in report.stages] == [3, 2, 0]
