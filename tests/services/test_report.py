"""The report's adherence window, worked out by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from spinestep.services.record_types import ProgrammeStatus
from spinestep.services.report import build_report
from tests.interop.sample_records import sample_records

NOW = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)


def test_an_active_programme_counts_the_last_14_local_days() -> None:
    records = sample_records()
    assert records.programme is not None
    active = replace(records, programme=replace(records.programme, status=ProgrammeStatus.ACTIVE))
    adherence = build_report(active, NOW).adherence
    assert adherence is not None
    # 3-16 Nov at 4 a day (stage 2) = 56; completed on 3 and 4 Nov = 2; 5 Nov stopped early.
    assert (adherence.first_day, adherence.last_day) == (date(2026, 11, 3), date(2026, 11, 16))
    assert (adherence.planned, adherence.completed, adherence.not_completed) == (56, 2, 1)
    assert adherence.percent == 4  # 3.57 % rounds to 4


def test_a_paused_programme_is_counted_up_to_its_last_session() -> None:
    adherence = build_report(sample_records(), NOW).adherence
    assert adherence is not None
    assert (adherence.first_day, adherence.last_day) == (date(2026, 11, 2), date(2026, 11, 5))
    assert (adherence.planned, adherence.completed) == (16, 4)


def test_stops_are_the_pausing_decisions_in_time_order() -> None:
    report = build_report(sample_records(), NOW)
    assert [d.rules for d in report.stops] == [("R4",)]
    assert [s.sessions for s in report.stages] == [3, 2, 0]
