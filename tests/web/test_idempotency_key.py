"""Idempotency keys on sessions and stop-now (SPEC §3.5): the API header and the page field."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.pageflow import flag_fields, post_step
from tests.web.support import Clinic, TestClient

STEADY_STOP = {"pain_before": 2, "pain_now": 2, "location_before": "back", "location_now": "back"}
SESSION = {
    "pain_before": 2,
    "pain_during": 2,
    "pain_after": 2,
    "location_before": "back",
    "location_after": "back",
    "effort": "easy",
    "reps": 10,
}


def _screen(client: TestClient) -> None:
    questions = client.get("/api/v1/me/screening-questions").json()
    answers = {question["code"]: False for question in questions}
    response = client.post("/api/v1/me/screening", json={"answers": answers})
    assert response.status_code == 201, response.text


def _sessions(client: TestClient) -> list[dict[str, Any]]:
    sessions: list[dict[str, Any]] = client.get("/api/v1/me/history").json()["sessions"]
    return sessions


def test_a_repeated_stop_now_key_returns_the_first_answer_and_stores_nothing(
    clinic: Clinic,
) -> None:
    client = clinic.api("patient_a")
    headers = {"Idempotency-Key": "stop-2026-12-03T10:15:00Z#1"}
    first = client.post("/api/v1/me/stop-now", json=STEADY_STOP, headers=headers)
    again = client.post("/api/v1/me/stop-now", json=STEADY_STOP, headers=headers)
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()
    assert len(_sessions(client)) == 1
    other = client.post("/api/v1/me/stop-now", json=STEADY_STOP, headers={"Idempotency-Key": "2"})
    assert other.status_code == 201
    assert other.json()["session"]["id"] != first.json()["session"]["id"]
    assert len(_sessions(client)) == 2


def test_a_retried_session_gets_its_first_answer_even_once_a_new_check_would_be_due(
    clinic: Clinic,
) -> None:
    client = clinic.api("patient_a")
    _screen(client)
    headers = {"Idempotency-Key": "session-1"}
    first = client.post("/api/v1/me/sessions", json=SESSION, headers=headers)
    assert first.status_code == 201, first.text
    # Without the key a second session now needs a new safety check; with it, the retry
    # is the same request and gets the same answer.
    again = client.post("/api/v1/me/sessions", json=SESSION, headers=headers)
    assert again.status_code == 201, again.text
    assert again.json()["session"]["id"] == first.json()["session"]["id"]
    assert again.json()["decision"] == first.json()["decision"]
    assert len(_sessions(client)) == 1


def test_keys_belong_to_one_patient(clinic: Clinic) -> None:
    headers = {"Idempotency-Key": "same-key"}
    for who in ("patient_a", "patient_b"):
        client = clinic.api(who)
        response = client.post("/api/v1/me/stop-now", json=STEADY_STOP, headers=headers)
        assert response.status_code == 201, response.text
        assert len(_sessions(client)) == 1


@pytest.mark.parametrize(
    "key",
    ["", "k" * 101, "clé".encode("latin-1"), b"tab\there"],
    ids=["empty", "101-chars", "not-ascii", "control-char"],
)
def test_a_malformed_key_is_refused_naming_the_header(clinic: Clinic, key: str | bytes) -> None:
    client = clinic.api("patient_a")
    for route, body in (("/api/v1/me/stop-now", STEADY_STOP), ("/api/v1/me/sessions", SESSION)):
        response = client.post(route, json=body, headers={"Idempotency-Key": key})
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert "Idempotency-Key" in error["message"]
        assert "1-100 printable ASCII" in error["message"]
    assert _sessions(client) == []


def test_the_longest_key_and_spaces_inside_are_accepted(clinic: Clinic) -> None:
    client = clinic.api("patient_a")
    for key in ("~" * 100, "a key with spaces"):
        response = client.post(
            "/api/v1/me/stop-now", json=STEADY_STOP, headers={"Idempotency-Key": key}
        )
        assert response.status_code == 201, response.text


def test_the_session_page_sent_twice_stores_one_session(clinic: Clinic) -> None:
    client = clinic.client("patient_a")
    html = client.get("/session").text
    step = post_step(client, html, action="next", **{f: "no" for f in flag_fields(html)})
    assert step is not None
    step = post_step(client, step, action="next", pain_before="2", location_before="back")
    assert step is not None
    after = post_step(client, step, action="next", reps="10")
    assert after is not None and "How was it?" in after
    keys = re.findall(r'name="idempotency_key" value="([^"]+)"', after)
    assert len(keys) == 1 and len(keys[0]) >= 16
    answers = {
        "action": "next",
        "pain_during": "2",
        "pain_after": "2",
        "location_after": "back",
        "effort": "easy",
    }
    assert post_step(client, after, **answers) is None  # saved: on to the decision
    assert post_step(client, after, **answers) is None  # the same page again: same answer
    assert len(_sessions(clinic.api("patient_a"))) == 1


def test_every_render_of_the_session_page_has_a_new_key(clinic: Clinic) -> None:
    client = clinic.client("patient_a")
    keys = {
        re.findall(r'name="idempotency_key" value="([^"]+)"', client.get("/session").text)[0]
        for _ in range(3)
    }
    assert len(keys) == 3
