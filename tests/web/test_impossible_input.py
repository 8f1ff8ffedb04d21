"""Impossible input from a person gets a clear 4xx, never a 500: zones that are no zone,
names and e-mails with control characters, ids past what a database holds, and more
sessions in a day than any plan asks."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

import pytest

from spinestep.domain.redflags import flags_for_onboarding
from spinestep.errors import SessionLimitReached
from spinestep.protocols import load_builtin
from spinestep.services import accounts
from spinestep.services.records import Role
from tests.support.stored import add_easy_session_and_stay
from tests.web.pageflow import form_token
from tests.web.routes import api_routes
from tests.web.support import INSTALLER, PASSWORD, Clinic, TestClient, csrf_token, login

BAD_ZONES = ["Europe", "localtime", "Factory", "posixrules", "US/Eastern", "Mars/Olympus"]
BAD_NAMES = [
    "Eve\x1b[2J\x1b[31mAdmin",  # ANSI: clear the screen, turn red
    "Eve\u202enimdA",  # right-to-left override
    "Eve\r\nAdmin",  # CR/LF
    "Eve\x00",
    "Eve\u200bAdmin",  # zero-width space
]
HUGE_IDS = [2**31, 2**63, 2**64 + 1]
FLAG_ANSWERS = {flag.code: False for flag in flags_for_onboarding()}


def _new_account(clinic: Clinic, email: str) -> TestClient:
    """A signed-in patient account without a profile yet (it onboards itself)."""
    accounts.create_user(clinic.ctx, INSTALLER, email, "New Person", Role.PATIENT, PASSWORD)
    client = TestClient(clinic.app, follow_redirects=False)
    token = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert token.status_code == 201, token.text
    client.headers["authorization"] = f"Bearer {token.json()['token']}"
    return client


def _onboard_api(client: TestClient, **changes: str) -> tuple[int, dict[str, object]]:
    body: dict[str, object] = {
        "display_name": "New Person",
        "time_zone": "Europe/London",
        "clearance_confirmed": True,
        "red_flag_answers": FLAG_ANSWERS,
    }
    body.update(changes)
    answer = client.post("/api/v1/me/onboarding", json=body)
    return answer.status_code, answer.json()


@pytest.mark.parametrize("zone", BAD_ZONES)
def test_the_api_refuses_a_zone_that_is_not_a_canonical_iana_zone(
    clinic: Clinic, zone: str
) -> None:
    status, body = _onboard_api(_new_account(clinic, "new@home.example"), time_zone=zone)
    assert status == 422
    assert body["error"]["path"] == "time_zone"


def test_an_old_zone_name_is_refused_with_its_canonical_name(clinic: Clinic) -> None:
    status, body = _onboard_api(_new_account(clinic, "new@home.example"), time_zone="US/Eastern")
    assert status == 422
    assert "America/New_York" in body["error"]["message"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_the_api_refuses_a_name_with_control_or_format_characters(
    clinic: Clinic, name: str
) -> None:
    status, body = _onboard_api(_new_account(clinic, "new@home.example"), display_name=name)
    assert status == 422
    assert body["error"]["path"] == "display_name"


def test_a_name_is_stored_in_nfc_without_surrounding_spaces(clinic: Clinic) -> None:
    decomposed = "  Zoe\u0301 Ne\u0301ron "
    status, _ = _onboard_api(_new_account(clinic, "new@home.example"), display_name=decomposed)
    assert status == 201
    with clinic.ctx.uow() as uow:
        names = {patient.display_name for patient in uow.patients.list_all()}
    assert unicodedata.normalize("NFC", "Zoe\u0301 Ne\u0301ron") in names
    assert "Zo\u00e9 N\u00e9ron" in names


def _onboard_page(clinic: Clinic, **changes: str) -> tuple[int, str]:
    email = "page@home.example"
    accounts.create_user(clinic.ctx, INSTALLER, email, "New Person", Role.PATIENT, PASSWORD)
    client = TestClient(clinic.app, follow_redirects=False)
    login(client, email)
    form = {
        "csrf_token": csrf_token(client, "/onboarding"),
        "display_name": "New Person",
        "time_zone": "Europe/London",
        "emergency_number": "112",
        "protocol": "lumbar-flexion",
        "clearance": "yes",
        **{f"flag_{code}": "no" for code in FLAG_ANSWERS},
    }
    form.update(changes)
    answer = client.post("/onboarding", data=form)
    return answer.status_code, answer.text


def test_the_onboarding_page_refuses_a_folder_as_a_zone(clinic: Clinic) -> None:
    status, page = _onboard_page(clinic, time_zone="Europe")
    assert status == 422
    assert "time_zone" in page and "is not an IANA time zone" in page


def test_the_onboarding_page_refuses_a_name_with_an_escape(clinic: Clinic) -> None:
    status, page = _onboard_page(clinic, display_name="Eve\x1b[31mAdmin")
    assert status == 422
    assert "control or formatting characters" in page


@pytest.mark.parametrize("email", ["eve\x1b[31m@home.example", "eve@home.example\r\nBcc: x@y"])
def test_an_email_with_control_characters_is_refused(clinic: Clinic, email: str) -> None:
    answer = clinic.api("admin").post(
        "/api/v1/admin/users",
        json={"email": email, "display_name": "Eve", "role": "patient", "password": PASSWORD},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["path"] == "email"


def _with_huge_id(path: str, clinic: Clinic, huge: int) -> list[str]:
    """``path`` once per id parameter: that one ``huge``, every other one a real id."""
    real = {"{patient_id}": str(clinic.patient_a), "{user_id}": str(clinic.patient_b_user)}
    params = re.findall(r"\{\w+_id\}", path)
    urls = []
    for wrong in params:
        url = path
        for param in params:
            url = url.replace(param, str(huge) if param == wrong else real.get(param, "1"))
        urls.append(url)
    return urls


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_an_id_no_database_holds_is_not_found_or_invalid(clinic: Clinic, huge: int) -> None:
    routes = [r for r in api_routes(clinic.app) if re.search(r"\{\w+_id\}", r.path)]
    assert len(routes) >= 10
    api = [clinic.api("clinician_a"), clinic.api("admin")]
    pages = [clinic.client("clinician_a"), clinic.client("admin")]
    tokens = [csrf_token(client, "/account") for client in pages]
    statuses = {}
    for route in routes:
        for url in _with_huge_id(route.path, clinic, huge):
            for index, client in enumerate(api if route.is_api else pages):
                client.raise_server_exceptions = False
                if route.method == "GET":
                    answer = client.get(url)
                elif route.is_api:
                    answer = client.request(route.method, url, json={"outcome": "seen"})
                else:
                    form = {"csrf_token": tokens[index], "outcome": "seen"}
                    answer = client.request(route.method, url, data=form)
                statuses[f"{route.method} {url} {index}"] = answer.status_code
    assert [where for where, status in statuses.items() if status >= 500] == []
    flag = f"POST /clinic/patients/{clinic.patient_a}/red-flags/{huge}/resolve 0"
    assert statuses[flag] == 404


def test_the_api_refuses_a_session_past_the_days_cap_with_429(clinic: Clinic) -> None:
    per_day = load_builtin("lumbar-flexion").stage(1).dose.sessions_per_day
    cap = 3 * per_day + 5
    now = clinic.ctx.clock.now()
    with clinic.ctx.uow() as uow:
        assignment = uow.assignments.current_for(clinic.patient_a)
        assert assignment is not None and assignment.id is not None
        for index in range(cap):
            at = now - timedelta(seconds=cap - index)
            add_easy_session_and_stay(uow, clinic.patient_a, assignment.id, at, (1, 1, 1), "x")
        uow.commit()
    client = clinic.api("patient_a")
    answer = client.post(
        "/api/v1/me/stop-now",
        json={"pain_before": 1, "pain_now": 1, "location_before": "back", "location_now": "back"},
    )
    assert answer.status_code == 201, answer.text  # a stop is still recorded
    due = client.get("/api/v1/me/screening-questions").json()
    client.post("/api/v1/me/screening", json={"answers": {q["code"]: False for q in due}})
    answer = client.post(
        "/api/v1/me/sessions",
        json={
            "pain_before": 1,
            "pain_during": 1,
            "pain_after": 1,
            "location_before": "back",
            "location_after": "back",
            "effort": "easy",
            "reps": 10,
        },
    )
    assert answer.status_code == 429, answer.text
    assert answer.json()["error"]["code"] == "too_many_sessions"
    assert SessionLimitReached.exit_code == 9


def test_the_session_page_says_why_a_stop_past_its_cap_was_refused(clinic: Clinic) -> None:
    per_day = load_builtin("lumbar-flexion").stage(1).dose.sessions_per_day
    stop_cap = 2 * (3 * per_day + 5)
    now = clinic.ctx.clock.now()
    with clinic.ctx.uow() as uow:
        assignment = uow.assignments.current_for(clinic.patient_a)
        assert assignment is not None and assignment.id is not None
        for index in range(stop_cap):
            at = now - timedelta(seconds=stop_cap - index)
            add_easy_session_and_stay(uow, clinic.patient_a, assignment.id, at, (1, 1, 1), "x")
        uow.commit()
    client = clinic.client("patient_a")
    form = {
        "csrf_token": form_token(client.get("/session").text),
        "step": "stop",
        "action": "next",
        "pain_before": "1",
        "pain_now": "1",
        "location_before": "back",
        "location_now": "back",
        "reps": "0",
    }
    refused = client.post("/session", data=form)
    assert refused.status_code == 429
    assert "sessions are already recorded on this day" in refused.text
    with clinic.ctx.uow() as uow:
        assert len(uow.sessions.for_patient(clinic.patient_a)) == stop_cap
