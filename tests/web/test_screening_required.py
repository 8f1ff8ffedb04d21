"""Screening enforced by the server, on the pages and the API (SPEC §3.5, §4).

The clinic is built at 09:00 London time on a fixed clock; moving it on three hours makes
the onboarding answers too old to count as the check before a session.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from spinestep.domain.redflags import flags_for_onboarding
from spinestep.services.context import FixedClock
from tests.support.flags import EVERY_SESSION_CODES
from tests.web.pageflow import complete_session, flag_fields, form_token, post_step
from tests.web.support import Clinic, build_clinic

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # 09:00 in London (GMT)
EVERY_SESSION = list(EVERY_SESSION_CODES)
NIGHT_PAIN = "Is there constant pain at night that no position eases?"
COMBINED = "Has any of these started since your last check?"
SESSION = {
    "pain_before": 3,
    "pain_during": 2,
    "pain_after": 2,
    "location_before": "thigh",
    "location_after": "buttock",
    "effort": "easy",
    "reps": 10,
}
STOP_NOW = {
    "pain_before": 3,
    "pain_now": 6,
    "location_before": "back",
    "location_now": "foot",
    "reps": 2,
}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def clinic(tmp_path: Path, database_url: str, clock: FixedClock) -> Iterator[Clinic]:
    built = build_clinic(tmp_path, database_url, clock=clock)
    clock.set(START + timedelta(hours=3))  # the onboarding answers no longer count
    yield built
    built.close()


def _sessions_stored(clinic: Clinic) -> int:
    with clinic.ctx.uow() as uow:
        return len(uow.sessions.for_patient(clinic.patient_a))


def _screenings(clinic: Clinic) -> list[dict[str, bool]]:
    with clinic.ctx.uow() as uow:
        return [s.answers for s in uow.screenings.for_patient(clinic.patient_a)]


def _checked(html: str) -> set[str]:
    """The radio answers shown as chosen: {"flag_code=no", ...}."""
    found = re.findall(r'name="([a-z_]+)" value="(yes|no)" required checked', html)
    return {f"{name}={value}" for name, value in found}


# --- pages ------------------------------------------------------------------------------


def test_posting_the_last_step_without_a_check_goes_back_to_the_check(clinic: Clinic) -> None:
    client = clinic.client("patient_a")
    html = client.get("/session").text
    fields = {k: str(v) for k, v in SESSION.items()}
    form = {"csrf_token": form_token(html), "step": "after", "action": "next", **fields}
    refused = client.post("/session", data=form)
    assert refused.status_code == 303
    assert refused.headers["location"] == "/session?screening=required"
    assert _sessions_stored(clinic) == 0
    check = client.get(refused.headers["location"])
    assert check.status_code == 200
    assert "Please answer the safety questions first" in check.text
    assert "Nothing was saved" in check.text
    assert len(flag_fields(check.text)) == len(EVERY_SESSION)


def test_one_unanswered_question_keeps_the_answers_and_names_the_question(
    clinic: Clinic,
) -> None:
    client = clinic.client("patient_a")
    html = client.get("/session").text
    answers = {field: "no" for field in flag_fields(html)}
    del answers["flag_night_pain_unremitting"]
    again = post_step(client, html, action="next", **answers)
    assert again is not None
    error = again.split('id="form-error">', 1)[1].split("</div>", 1)[0]
    assert NIGHT_PAIN in error
    assert "night_pain_unremitting" not in error
    assert _checked(again) == {f"{field}=no" for field in answers}
    assert 'id="check-night_pain_unremitting" class="missing" aria-invalid="true"' in again
    assert _screenings(clinic) == [{flag.code: False for flag in flags_for_onboarding()}]
    # a browser sends the kept answers again with the one now given
    kept = dict(answer.split("=") for answer in _checked(again))
    step = post_step(client, again, action="next", flag_night_pain_unremitting="no", **kept)
    assert step is not None and "Before you start" in step


def test_a_yes_is_stored_at_once_even_with_questions_unanswered(clinic: Clinic) -> None:
    client = clinic.client("patient_a")
    html = client.get("/session").text
    assert post_step(client, html, action="next", flag_infection_features="yes") is None
    assert _screenings(clinic)[-1] == {"infection_features": True}
    assert 'class="badge urgent_referral"' in client.get("/decision").text


def test_a_later_session_the_same_day_asks_one_question_for_the_flags(
    clinic: Clinic, clock: FixedClock
) -> None:
    client = clinic.client("patient_a")
    first = client.get("/session").text
    assert COMBINED not in first  # the first session of the day: each question on its own
    complete_session(client)
    clock.set(clock.now() + timedelta(hours=2))
    html = client.get("/session").text
    assert COMBINED in html
    assert flag_fields(html) == []  # no flag asked on its own now
    for code in EVERY_SESSION:
        assert f'name="flag_{code}"' not in html
    step = post_step(client, html, action="next", combined="no")
    assert step is not None and "Before you start" in step
    assert _screenings(clinic)[-1] == dict.fromkeys(EVERY_SESSION, False)


def test_a_yes_to_the_combined_question_opens_the_full_list(
    clinic: Clinic, clock: FixedClock
) -> None:
    client = clinic.client("patient_a")
    complete_session(client)
    clock.set(clock.now() + timedelta(minutes=30))
    html = client.get("/session").text
    opened = post_step(client, html, action="next", combined="yes")
    assert opened is not None
    assert "Please answer each question to say which" in opened
    assert [f.removeprefix("flag_") for f in flag_fields(opened)] == EVERY_SESSION
    screened = len(_screenings(clinic))
    assert post_step(client, opened, action="next", flag_saddle_anaesthesia="yes") is None
    assert len(_screenings(clinic)) == screened + 1
    assert 'class="badge emergency"' in client.get("/decision").text


def test_the_combined_question_unanswered_is_named(clinic: Clinic, clock: FixedClock) -> None:
    client = clinic.client("patient_a")
    complete_session(client)
    clock.set(clock.now() + timedelta(minutes=30))
    html = client.get("/session").text
    again = post_step(client, html, action="next")
    assert again is not None
    assert f"Please answer this question: “{COMBINED}”" in again


def test_stop_now_on_the_page_needs_no_check(clinic: Clinic) -> None:
    client = clinic.client("patient_a")
    html = client.get("/session").text
    fields = {k: str(v) for k, v in STOP_NOW.items()}
    form = {"csrf_token": form_token(html), "step": "stop", "action": "next", **fields}
    stopped = client.post("/session", data=form)
    assert stopped.status_code == 303 and stopped.headers["location"] == "/decision"
    assert _sessions_stored(clinic) == 1


# --- API --------------------------------------------------------------------------------


def test_api_session_without_a_check_is_409_and_stores_nothing(clinic: Clinic) -> None:
    client = clinic.api("patient_a")
    refused = client.post("/api/v1/me/sessions", json=SESSION)
    assert refused.status_code == 409
    body = refused.json()
    assert body["error"]["code"] == "screening_required"
    assert "safety" in body["error"]["message"]
    assert _sessions_stored(clinic) == 0
    assert client.get("/api/v1/me/history").json()["sessions"] == []


def test_api_empty_answers_are_refused_naming_the_questions(clinic: Clinic) -> None:
    client = clinic.api("patient_a")
    refused = client.post("/api/v1/me/screening", json={"answers": {}})
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["path"] == "answers"
    for code in EVERY_SESSION:
        assert code in error["message"]
    assert client.post("/api/v1/me/sessions", json=SESSION).status_code == 409


def test_api_says_which_form_is_due_and_takes_the_combined_no(
    clinic: Clinic, clock: FixedClock
) -> None:
    client = clinic.api("patient_a")
    due = client.get("/api/v1/me/screening").json()
    assert due["form"] == "full"
    assert due["combined_question"] is None and due["combined_codes"] == []
    assert [q["code"] for q in due["questions"]] == EVERY_SESSION
    too_early = client.post("/api/v1/me/screening", json={"answers": {}, "none_started": True})
    assert too_early.status_code == 422
    assert too_early.json()["error"]["path"] == "none_started"

    answers = dict.fromkeys(EVERY_SESSION, False)
    assert client.post("/api/v1/me/screening", json={"answers": answers}).status_code == 201
    assert client.post("/api/v1/me/sessions", json=SESSION).status_code == 201
    assert client.post("/api/v1/me/sessions", json=SESSION).status_code == 409  # one per check

    clock.set(clock.now() + timedelta(minutes=45))
    due = client.get("/api/v1/me/screening").json()
    assert due["form"] == "combined"
    assert due["combined_question"] == COMBINED
    assert due["combined_codes"] == EVERY_SESSION
    taken = client.post("/api/v1/me/screening", json={"answers": {}, "none_started": True})
    assert taken.status_code == 201 and taken.json()["flagged"] == []
    assert client.post("/api/v1/me/sessions", json=SESSION).status_code == 201
    assert _sessions_stored(clinic) == 2


def test_api_check_older_than_two_hours_does_not_count(clinic: Clinic, clock: FixedClock) -> None:
    client = clinic.api("patient_a")
    answers = dict.fromkeys(EVERY_SESSION, False)
    assert client.post("/api/v1/me/screening", json={"answers": answers}).status_code == 201
    clock.set(clock.now() + timedelta(hours=2, seconds=1))
    assert client.post("/api/v1/me/sessions", json=SESSION).status_code == 409
    assert _sessions_stored(clinic) == 0


def test_api_stop_now_needs_no_check(clinic: Clinic) -> None:
    client = clinic.api("patient_a")
    stopped = client.post("/api/v1/me/stop-now", json=STOP_NOW)
    assert stopped.status_code == 201, stopped.text
    assert stopped.json()["session"]["completed"] is False
    assert _sessions_stored(clinic) == 1
