"""The clinician's patient timeline: grouped by the patient's local day, routine sessions
summed up per day, filtered, and paged 14 days at a time so a 3-year history opens like a
new one. Rows are written straight through the repositories."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from spinestep.domain.model import Decision, Effort, Location, Urgency
from spinestep.services.records import (
    EventKind,
    FlagSource,
    ProgrammeEvent,
    RedFlagReport,
    StoredDecision,
    StoredSession,
)
from spinestep.store.tables import SessionRow
from spinestep.web.views_history import motion_summary
from tests.web.support import Clinic, TestClient, build_clinic

LONDON = ZoneInfo("Europe/London")
DAY_HEADING = re.compile(r'<h3 id="day-(\d{4}-\d\d-\d\d)">')
OLDER = re.compile(r'<a rel="next" href="([^"]+)"')


@pytest.fixture
def clinic(tmp_path: Path, database_url: str) -> Iterator[Clinic]:
    built = build_clinic(tmp_path, database_url)
    yield built
    built.close()


def _noon(days_ago: int) -> datetime:
    today = datetime.now(LONDON).date() - timedelta(days=days_ago)
    return datetime(today.year, today.month, today.day, 12, 0, tzinfo=LONDON)


def _programme(clinic: Clinic, patient_id: int) -> int:
    with clinic.ctx.uow() as uow:
        assignment = uow.assignments.current_for(patient_id)
    assert assignment is not None and assignment.id is not None
    return assignment.id


def _session(
    uow: Any,
    patient_id: int,
    programme: int,
    at: datetime,
    *,
    completed: bool = True,
    decision: Decision = Decision.STAY,
    motion: dict[str, Any] | None = None,
) -> None:
    session = uow.sessions.add(
        StoredSession(
            patient_id=patient_id,
            assignment_id=programme,
            at=at,
            stage=1,
            completed=completed,
            effort=Effort.EASY if completed else Effort.HARD,
            pain_before=2,
            pain_during=3 if completed else 6,
            pain_after=1 if completed else 5,
            location_before=Location.BACK,
            location_after=Location.BACK if completed else Location.THIGH,
            stopped_early=not completed,
            created_at=at,
            reps=10,
            motion=motion,
        )
    )
    stopped = decision is Decision.STOP
    uow.decisions.add(
        StoredDecision(
            patient_id=patient_id,
            made_at=at,
            decision=decision,
            urgency=Urgency.URGENT if stopped else Urgency.NONE,
            current_stage=1,
            next_stage=1,
            reasons=[{"rule": "R2" if stopped else "R9", "text": f"because {decision.value}"}],
            message=f"Decision {decision.value}.",
            dose=None,
            inputs={},
            rules_version="test",
            assignment_id=programme,
            session_id=session.id,
        )
    )


def _days(html: str) -> list[date]:
    return [date.fromisoformat(d) for d in DAY_HEADING.findall(html)]


def _older(html: str) -> str | None:
    found = OLDER.search(html)
    return None if found is None else found.group(1).replace("&amp;", "&")


def _statements(clinic: Clinic, client: TestClient, url: str) -> tuple[int, str]:
    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    assert client.get(url).status_code == 200  # warm
    sa.event.listen(clinic.engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        sa.event.remove(clinic.engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.text
    return len(seen), response.text


def test_a_day_sums_up_its_routine_sessions_and_lists_what_needs_a_look(clinic: Clinic) -> None:
    programme = _programme(clinic, clinic.patient_a)
    with clinic.ctx.uow() as uow:
        for hour in range(5):
            _session(uow, clinic.patient_a, programme, _noon(1) - timedelta(hours=hour))
        _session(
            uow,
            clinic.patient_a,
            programme,
            _noon(1) + timedelta(hours=3),
            completed=False,
            decision=Decision.STOP,
        )
        uow.commit()

    html = clinic.client("clinician_a").get(f"/clinic/patients/{clinic.patient_a}").text

    day = html.split(f'id="day-{_noon(1).date().isoformat()}"', 1)[1].split("</section>", 1)[0]
    assert (
        "<summary>5 sessions completed at stage 1: pain before 2, after 1; effort 5 easy; "
        "5 decisions to stay</summary>"
    ) in day
    assert day.count("session at stage 1") == 6  # five in the summary, the stopped one alone
    single = day.split("</details>", 1)[1]
    assert re.search(r"<strong>15:00</strong> —\s*session at stage 1", single)
    assert "<em>stopped early</em>" in single
    assert '<span class="badge stop">stop</span> Decision stop.' in single
    assert "Decision stay." not in day  # stays are summed up, not listed


def test_a_long_history_opens_14_days_at_a_time_and_pages_back_to_its_first_day(
    clinic: Clinic,
) -> None:
    programme = _programme(clinic, clinic.patient_a)
    session_days = set()
    with clinic.ctx.uow() as uow:
        for days_ago in range(1, 365, 3):  # every third day for a year
            _session(uow, clinic.patient_a, programme, _noon(days_ago))
            session_days.add(_noon(days_ago).date())
        uow.commit()
    doctor = clinic.client("clinician_a")
    url: str | None = f"/clinic/patients/{clinic.patient_a}"
    pages: list[list[date]] = []
    while url is not None:
        html = doctor.get(url).text
        pages.append(_days(html))
        url = _older(html)
        assert len(pages) < 60
    shown = [d for page in pages for d in page]
    assert len(shown) == len(set(shown))  # no day twice
    assert set(shown) >= session_days  # every day with a session, up to the first one
    for page in pages:
        assert page == sorted(page, reverse=True)
        assert (page[0] - page[-1]).days < 14  # at most 14 local days a page
    # The onboarding day is the oldest one (its prescription and first decision).
    assert min(shown) <= min(session_days)


def test_a_page_of_a_3_year_history_costs_what_a_page_of_a_new_one_costs(
    clinic: Clinic,
) -> None:
    programme = _programme(clinic, clinic.patient_a)
    with clinic.ctx.uow() as uow:
        for days_ago in range(1, 3 * 365, 2):  # every other day for three years
            _session(uow, clinic.patient_a, programme, _noon(days_ago))
        uow.commit()
    long, long_html = _statements(
        clinic, clinic.client("clinician_a"), f"/clinic/patients/{clinic.patient_a}"
    )
    new, new_html = _statements(
        clinic, clinic.client("clinician_b"), f"/clinic/patients/{clinic.patient_b}"
    )
    assert long == new
    # The newest 14 days, not three years: today (the onboarding) and 13 days before it,
    # 7 of them with a session.
    assert len(_days(long_html)) == 8
    assert long_html.count("session at stage 1") == 7
    assert _older(long_html) is not None and _older(new_html) is None


def _mixed_history(clinic: Clinic) -> None:
    programme = _programme(clinic, clinic.patient_a)
    with clinic.ctx.uow() as uow:
        _session(uow, clinic.patient_a, programme, _noon(3))
        _session(
            uow,
            clinic.patient_a,
            programme,
            _noon(3) + timedelta(hours=1),
            decision=Decision.REGRESS,
        )
        _session(
            uow,
            clinic.patient_a,
            programme,
            _noon(2),
            completed=False,
            decision=Decision.STOP,
        )
        uow.events.add(
            ProgrammeEvent(
                clinic.patient_a, programme, EventKind.PAUSE, _noon(2), "paused by a stop"
            )
        )
        uow.red_flags.add(
            RedFlagReport(clinic.patient_a, "saddle_anaesthesia", _noon(1), FlagSource.SESSION)
        )
        uow.events.add(
            ProgrammeEvent(
                clinic.patient_a,
                programme,
                EventKind.STAGE_CHANGE,
                _noon(1) + timedelta(hours=1),
                "moved to stage 2 by the physio",
            )
        )
        uow.commit()


@pytest.mark.parametrize(
    ("show", "present", "absent"),
    [
        (
            "decisions",
            ["Decision stay.", "Decision regress.", "Decision stop."],
            ["session at stage", "paused by a stop", "red flag:", "moved to stage 2"],
        ),
        (
            "stops",
            ["Decision stop.", "<em>stopped early</em>", "paused by a stop"],
            ["Decision stay.", "Decision regress.", "red flag:", "moved to stage 2"],
        ),
        (
            "flags",
            ["red flag: emergency"],
            [
                "Decision st",
                "Decision regress.",
                "session at stage",
                "paused by a stop",
                "moved to",
            ],
        ),
        (
            "plan",
            ["paused by a stop", "moved to stage 2 by the physio"],
            ["Decision st", "Decision regress.", "session at stage", "red flag:"],
        ),
    ],
)
def test_a_filter_shows_only_its_kind(
    clinic: Clinic, show: str, present: list[str], absent: list[str]
) -> None:
    _mixed_history(clinic)
    html = clinic.client("clinician_a").get(f"/clinic/patients/{clinic.patient_a}?show={show}")
    assert html.status_code == 200
    timeline = html.text.split('id="timeline"', 1)[1]
    for text in present:
        assert text in timeline, text
    for text in absent:
        assert text not in timeline, text
    assert '<strong aria-current="page">' in timeline


def test_showing_everything_lists_each_kind_and_sums_up_the_routine(clinic: Clinic) -> None:
    _mixed_history(clinic)
    timeline = (
        clinic.client("clinician_a")
        .get(f"/clinic/patients/{clinic.patient_a}")
        .text.split('id="timeline"', 1)[1]
    )
    for text in (
        "2 sessions completed at stage 1",
        "1 decision to stay</summary>",
        "Decision regress.",
        "Decision stop.",
        "paused by a stop",
        "red flag: emergency",
        "moved to stage 2 by the physio",
    ):
        assert text in timeline, text
    assert "Decision stay." not in timeline


def test_a_filter_skips_to_the_newest_item_of_its_kind_and_pages_on(clinic: Clinic) -> None:
    programme = _programme(clinic, clinic.patient_a)
    with clinic.ctx.uow() as uow:
        for days_ago in (200, 60):
            _session(
                uow,
                clinic.patient_a,
                programme,
                _noon(days_ago),
                completed=False,
                decision=Decision.STOP,
            )
        for days_ago in range(1, 30):
            _session(uow, clinic.patient_a, programme, _noon(days_ago))
        uow.commit()
    doctor = clinic.client("clinician_a")
    first = doctor.get(f"/clinic/patients/{clinic.patient_a}?show=stops").text
    assert _days(first) == [_noon(60).date()]
    older = _older(first)
    assert older is not None and "show=stops" in older
    second = doctor.get(older).text
    assert _days(second) == [_noon(200).date()]
    assert _older(second) is None


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ("before=yesterday", "before"),
        ("before=2026-13-01", "before"),
        ("before=20261201", "before"),
        ("show=messages", "show"),
    ],
)
def test_a_bad_timeline_query_re_renders_the_page_with_what_is_wrong(
    clinic: Clinic, query: str, path: str
) -> None:
    page = clinic.client("clinician_a").get(f"/clinic/patients/{clinic.patient_a}?{query}")
    assert page.status_code == 422
    assert f"{path}: must be" in page.text
    assert 'id="timeline"' in page.text


@pytest.mark.parametrize("before", ["0001-01-01", "0001-01-15", "9999-12-31"])
def test_a_timeline_page_at_the_calendars_ends_opens(clinic: Clinic, before: str) -> None:
    programme = _programme(clinic, clinic.patient_a)
    with clinic.engine.begin() as connection:  # as restored from a backup of before the checks
        connection.execute(
            sa.insert(SessionRow).values(
                uuid=str(uuid.uuid4()),
                patient_id=clinic.patient_a,
                assignment_id=programme,
                at_utc=datetime(1, 1, 1, tzinfo=UTC),
                at_offset_min=0,
                stage=1,
                completed=True,
                reps=10,
                effort=Effort.EASY,
                pain_before=1,
                pain_during=1,
                pain_after=1,
                location_before=Location.BACK,
                location_after=Location.BACK,
                stopped_early=False,
                created_at=datetime(1, 1, 1, tzinfo=UTC),
            )
        )
    doctor = clinic.client("clinician_a")
    page = doctor.get(f"/clinic/patients/{clinic.patient_a}?before={before}")
    assert page.status_code == 200
    oldest = doctor.get(f"/clinic/patients/{clinic.patient_a}?before=0001-01-20")
    assert oldest.status_code == 200
    assert "session at stage 1: pain 1 → 1 → 1" in oldest.text
    assert _older(oldest.text) is None


def test_messages_are_not_a_filter_yet(clinic: Clinic) -> None:
    html = clinic.client("clinician_a").get(f"/clinic/patients/{clinic.patient_a}").text
    nav = html.split('class="timeline-filters"', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r">([A-Z][a-z ]+)<", nav) == [
        "Everything",
        "Decisions",
        "Stops",
        "Red flags",
        "Plan changes",
    ]


REFUSED = {
    "stage": "supine",
    "measure": "hip_flexion",
    "reps": 0,
    "held_count": 0,
    "rom_deg": [],
    "rom_deg_median": None,
    "detected_fraction": 0.95,
    "visibility_mean": 0.8,
    "side_view": False,
}


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({}, "the patient was not filmed side-on"),
        (
            {"detected_fraction": 0.456},
            "a person was in view in only 45 % of the frames (70 % needed); "
            "the patient was not filmed side-on",
        ),
        ({"side_view": True}, "no repetition was seen"),
        (
            {"side_view": True, "reps": 2, "rom_deg": [None, None]},
            "no range of motion could be measured",
        ),
    ],
)
def test_the_camera_that_could_not_count_says_why(changes: dict[str, Any], reason: str) -> None:
    summary = motion_summary({**REFUSED, **changes})
    assert summary is not None and summary["uncounted"] == reason


def test_a_counted_camera_session_has_no_refusal() -> None:
    counted = {**REFUSED, "reps": 2, "held_count": 1, "rom_deg": [80.0, 90.0], "side_view": True}
    counted["rom_deg_median"] = 85.0
    summary = motion_summary(counted)
    assert summary is not None and summary["uncounted"] is None
    assert summary["rom_deg"] == ["80.0", "90.0"]


def test_a_refused_camera_session_reads_camera_could_not_count(clinic: Clinic) -> None:
    programme = _programme(clinic, clinic.patient_a)
    with clinic.ctx.uow() as uow:
        _session(uow, clinic.patient_a, programme, _noon(1), motion=dict(REFUSED))
        uow.commit()
    html = clinic.client("clinician_a").get(f"/clinic/patients/{clinic.patient_a}").text
    assert "Camera could not count: the patient was not filmed side-on." in html
    assert "ROM per rep" not in html
    assert "0 of 0 held" not in html
