"""The patient's Today page and plan send a fixed number of SQL statements, whatever the history.

Every request reads the database (the app keeps nothing between requests). The SQL
statements of one request are counted (a SQLAlchemy cursor event) for a patient with 5
sessions and one with 500 (each session with its red-flag check and its decision, as
the app stores them): the counts must be equal, so no statement per session (N+1) can
creep back, and at most the reads listed below by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from spinestep.services import portal
from spinestep.services.context import Actor, identified
from spinestep.services.records import (
    FlagSource,
    Role,
    ScreeningRecord,
)
from tests.support.stored import add_easy_session_and_stay
from tests.web.support import Clinic, TestClient, build_clinic

# The patient's hot read: one statement for the credential (the cookie's stored browser
# session, or the token, joined with the account, its patient profile and, for a cookie,
# whether the onboarding questions were answered); then one statement for the Today
# view (store/patient_day.py: the patient, the programme, the clinician's name, the
# last 8 days of sessions, the latest decision, the red flags, the programme's events,
# the last 30 days of screenings and the questionnaires, as one UNION ALL).
HOT_READ = 2
# /me/plan is the hot read alone.
ME_PLAN_MAX = HOT_READ
# The Today page is the same two: the hot read also holds the care team's contact details
# and the patient's unread messages.
TODAY_PAGE_MAX = HOT_READ


@pytest.fixture
def clinic(tmp_path: Path, database_url: str) -> Iterator[Clinic]:
    built = build_clinic(tmp_path, database_url)
    yield built
    built.close()


def _add_history(clinic: Clinic, patient_id: int, count: int) -> None:
    """``count`` completed sessions two hours apart back from now, each checked and decided."""
    now = clinic.ctx.clock.now()
    with clinic.ctx.uow() as uow:
        assignment = uow.assignments.current_for(patient_id)
        assert assignment is not None and assignment.id is not None
        for number in range(count):
            at = now - timedelta(minutes=5) - timedelta(hours=2 * number)
            uow.screenings.add(
                ScreeningRecord(patient_id, at, FlagSource.SESSION, {"saddle_anaesthesia": False})
            )
            add_easy_session_and_stay(
                uow, patient_id, assignment.id, at, (2, 2, 1), "Not enough easy sessions yet."
            )
        uow.commit()


@dataclass
class _Seen:
    """Statements sent and transactions begun on an engine while counting."""

    statements: int = 0
    transactions: int = 0


@contextmanager
def _counting(engine: sa.Engine) -> Iterator[_Seen]:
    seen = _Seen()

    def statement(*args: object) -> None:
        seen.statements += 1

    def begin(*args: object) -> None:
        seen.transactions += 1

    sa.event.listen(engine, "before_cursor_execute", statement)
    sa.event.listen(engine, "begin", begin)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", statement)
        sa.event.remove(engine, "begin", begin)


def _statements(clinic: Clinic, client: TestClient, url: str) -> tuple[int, int]:
    """Statements sent to the database, and transactions begun, while answering one GET of
    ``url`` (200 expected)."""
    assert client.get(url).status_code == 200  # warm: pools and compiled statements
    with _counting(clinic.engine) as seen:
        response = client.get(url)
    assert response.status_code == 200, response.text
    return seen.statements, seen.transactions


def test_today_page_and_plan_cost_the_same_for_a_short_and_a_long_history(
    clinic: Clinic,
) -> None:
    """Each is its two statements in one transaction: the credential is read in the unit
    of work of the patient's day."""
    _add_history(clinic, clinic.patient_a, 5)
    _add_history(clinic, clinic.patient_b, 500)
    page = {
        who: _statements(clinic, clinic.client(who), "/today") for who in ("patient_a", "patient_b")
    }
    plan = {
        who: _statements(clinic, clinic.api(who), "/api/v1/me/plan")
        for who in ("patient_a", "patient_b")
    }
    assert page["patient_a"] == page["patient_b"] == (TODAY_PAGE_MAX, 1)
    assert plan["patient_a"] == plan["patient_b"] == (ME_PLAN_MAX, 1)


def _today_read(clinic: Clinic, actor: Actor, patient_id: int) -> tuple[int, int, bool]:
    """Statements and transactions of one ``portal.today_page``; whether it answered."""
    with _counting(clinic.engine) as seen:
        page = portal.today_page(clinic.ctx, identified(actor, patient_id))
    view = page.today
    answered = view is not None and view.patient_id == patient_id and bool(page.due)
    return seen.statements, seen.transactions, answered


def test_the_today_read_is_one_statement_in_one_transaction(clinic: Clinic) -> None:
    """The Today view and the questionnaires due: one statement, between one BEGIN and its
    end, for a short and a long history."""
    _add_history(clinic, clinic.patient_a, 5)
    _add_history(clinic, clinic.patient_b, 500)
    for user_id, patient_id in (
        (clinic.patient_a_user, clinic.patient_a),
        (clinic.patient_b_user, clinic.patient_b),
    ):
        actor = Actor(role=Role.PATIENT, user_id=user_id)
        portal.today_page(clinic.ctx, identified(actor, patient_id))  # warm
        assert _today_read(clinic, actor, patient_id) == (1, 1, True)


def test_the_plan_counts_only_todays_sessions_of_a_long_history(clinic: Clinic) -> None:
    """The bounded reads still give the right answer (sessions every two hours: those of
    the patient's local day so far, worked out here from the clock)."""
    _add_history(clinic, clinic.patient_b, 500)
    now = clinic.ctx.clock.now()
    local = now.astimezone(ZoneInfo("Europe/London"))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    expected = sum(
        1
        for number in range(500)
        if now - timedelta(minutes=5) - timedelta(hours=2 * number) >= midnight
    )
    plan = clinic.api("patient_b").get("/api/v1/me/plan").json()
    assert plan["sessions_today"] == expected
