"""Rows stored before instants, zones and ids were checked (e.g. restored from an old
backup) never make a page or an API route answer 500."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from spinestep.domain.model import Effort, Location
from spinestep.store.tables import AssignmentRow, PatientRow, SessionRow
from tests.web.routes import RouteInfo, api_routes
from tests.web.support import Clinic

WHO = ("patient_a", "clinician_a", "admin")


def _url(route: RouteInfo, clinic: Clinic) -> str:
    return (
        route.path.replace("{patient_id}", str(clinic.patient_a))
        .replace("{flag_id}", "1")
        .replace("{request_id}", "1")
        .replace("{user_id}", str(clinic.patient_a_user))
        .replace("{token}", "x" * 20)
        .replace("{instrument}", "odi")
    )


def _server_errors(clinic: Clinic) -> list[str]:
    """Every GET route, as each kind of account, that does not answer below 500."""
    failing = []
    for who in WHO:
        web, api = clinic.client(who), clinic.api(who)
        web.raise_server_exceptions = api.raise_server_exceptions = False
        for route in api_routes(clinic.app):
            if route.method == "GET":
                client = api if route.is_api else web
                status = client.get(_url(route, clinic)).status_code
                if status >= 500:
                    failing.append(f"{who} {route} {status}")
    return failing


def _store_session_at(clinic: Clinic, at_utc: datetime, offset_min: int) -> None:
    with clinic.engine.begin() as connection:
        assignment_id = connection.execute(
            sa.select(AssignmentRow.id).where(AssignmentRow.patient_id == clinic.patient_a)
        ).scalar_one()
        connection.execute(
            sa.insert(SessionRow).values(
                patient_id=clinic.patient_a,
                assignment_id=assignment_id,
                at_utc=at_utc,
                at_offset_min=offset_min,
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
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
                uuid=str(uuid.uuid4()),
            )
        )


@pytest.mark.parametrize("offset_min", [0, -1439, 1439])
def test_a_stored_year_1_session_breaks_no_route(clinic: Clinic, offset_min: int) -> None:
    _store_session_at(clinic, datetime(1, 1, 1, tzinfo=UTC), offset_min)
    assert _server_errors(clinic) == []


def test_a_stored_year_9999_session_breaks_no_route(clinic: Clinic) -> None:
    _store_session_at(clinic, datetime(9999, 12, 31, 23, 0, tzinfo=UTC), 600)
    assert _server_errors(clinic) == []


@pytest.mark.parametrize("zone", ["Europe", "Not/A_Zone", "../../etc/passwd"])
def test_a_stored_zone_that_is_no_zone_breaks_no_route(clinic: Clinic, zone: str) -> None:
    with clinic.engine.begin() as connection:
        connection.execute(sa.update(PatientRow).values(time_zone=zone))
    assert _server_errors(clinic) == []


def test_a_stored_zone_that_is_no_zone_reads_as_utc_until_changed(clinic: Clinic) -> None:
    with clinic.engine.begin() as connection:
        connection.execute(sa.update(PatientRow).values(time_zone="Europe"))
    answer = clinic.api("patient_a").get("/api/v1/me/plan")
    assert answer.status_code == 200, answer.text
    assert answer.json()["time_zone"] == "UTC"
