"""Secure messages through the API and the pages, on SQLite and PostgreSQL: the shapes,
who may read and write, unread counts on Today and the dashboard, the timeline's
decision messages, refusals with the app's error shape (never a 500), and that no
message text or subject reaches the logs."""

from __future__ import annotations

import logging
import re

import pytest

from spinestep.domain.model import Decision, Urgency
from spinestep.services import messages
from spinestep.services.records import StoredDecision
from tests.web.support import Clinic, csrf_token

SUBJECT = "Stiff in the mornings"
BODY = "Is it normal that my back is stiff after waking?\nIt eases by noon."


def _start(clinic: Clinic, who: str = "patient_a") -> dict[str, object]:
    api = clinic.api(who)
    sent = api.post("/api/v1/me/messages", json={"subject": SUBJECT, "text": BODY})
    assert sent.status_code == 201, sent.text
    body: dict[str, object] = sent.json()
    return body


def test_patient_and_clinician_converse_through_the_api(clinic: Clinic) -> None:
    first = _start(clinic)
    assert first["from_patient"] is True and first["mine"] is True
    assert first["text"] == BODY
    doctor = clinic.api("clinician_a")
    base = f"/api/v1/clinic/patients/{clinic.patient_a}/messages"
    listed = doctor.get(base).json()
    assert listed["unread"] == 1
    (thread,) = listed["threads"]
    assert (thread["subject"], thread["messages"], thread["unread"]) == (SUBJECT, 1, 1)
    patients = {p["id"]: p for p in doctor.get("/api/v1/patients").json()}
    assert patients[clinic.patient_a]["unread_messages"] == 1
    assert patients[clinic.patient_a]["attention"]["level"] == "message"

    opened = doctor.get(f"{base}/{thread['id']}").json()
    assert [m["text"] for m in opened["messages"]] == [BODY]
    answer = doctor.post(f"{base}/{thread['id']}", json={"text": "Yes, that is common."})
    assert answer.status_code == 201, answer.text
    assert answer.json()["from_patient"] is False
    assert doctor.get(base).json()["unread"] == 0

    mine = clinic.api("patient_a").get("/api/v1/me/messages").json()
    assert mine["unread"] == 1
    detail = clinic.api("patient_a").get(f"/api/v1/me/messages/{thread['id']}").json()
    assert [(m["author_name"], m["mine"]) for m in detail["messages"]] == [
        ("You", True),
        ("Anna Physio", False),
    ]
    assert clinic.api("patient_a").get("/api/v1/me/messages").json()["unread"] == 0


def test_others_cannot_reach_a_patients_messages(clinic: Clinic) -> None:
    thread_id = _start(clinic)["thread_id"]
    other = clinic.api("clinician_b")
    base = f"/api/v1/clinic/patients/{clinic.patient_a}/messages"
    for response in (
        other.get(base),
        other.get(f"{base}/{thread_id}"),
        other.post(f"{base}/{thread_id}", json={"text": "hi"}),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "not_found"
    # The other patient cannot open it through their own messages either.
    assert clinic.api("patient_b").get(f"/api/v1/me/messages/{thread_id}").status_code == 404
    assert clinic.api("admin").get(base).status_code == 403
    assert clinic.api("patient_a").get(base).status_code == 403


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({"subject": "", "text": "x"}, "subject"),
        ({"subject": "s" * 121, "text": "x"}, "subject"),
        ({"subject": "ok", "text": "x" * 4001}, "text"),
        ({"subject": "ok", "text": "bad \u0000 byte"}, "text"),
        ({"subject": "ok", "text": "\u202egnirts"}, "text"),
        ({"subject": "ok", "text": 5}, "text"),
        ({"subject": "ok"}, "text"),
        ({"subject": "ok", "text": "x", "extra": 1}, "extra"),
    ],
)
def test_bad_messages_are_refused_with_the_error_shape(
    clinic: Clinic, payload: dict[str, object], path: str
) -> None:
    response = clinic.api("patient_a").post("/api/v1/me/messages", json=payload)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input" and error["path"] == path
    assert clinic.api("patient_a").get("/api/v1/me/messages").json()["threads"] == []


def test_the_hourly_limit_answers_429(clinic: Clinic) -> None:
    api = clinic.api("patient_a")
    thread_id = _start(clinic)["thread_id"]
    for _ in range(messages.MESSAGES_PER_HOUR - 1):
        assert (
            api.post(f"/api/v1/me/messages/{thread_id}", json={"text": "again"}).status_code == 201
        )
    refused = api.post(f"/api/v1/me/messages/{thread_id}", json={"text": "one more"})
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_messages"


def test_a_decision_id_of_another_patient_is_not_found(clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        theirs = uow.decisions.add(
            StoredDecision(
                clinic.patient_b, clinic.ctx.clock.now(), Decision.STAY, Urgency.NONE, 1, None,
                [], "", None, {}, "test",
            )
        )  # fmt: skip
        uow.commit()
    response = clinic.api("clinician_a").post(
        f"/api/v1/clinic/patients/{clinic.patient_a}/messages",
        json={"subject": "About it", "text": "x", "decision_id": theirs.id},
    )
    assert response.status_code == 404
    assert "such decision" in response.json()["error"]["message"]


def test_pages_show_unread_counts_and_let_both_sides_write(
    clinic: Clinic, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    patient = clinic.client("patient_a")
    form = csrf_token(patient, "/messages/new")
    sent = patient.post(
        "/messages", data={"csrf_token": form, "subject": SUBJECT, "text": BODY},
        follow_redirects=False,
    )  # fmt: skip
    assert sent.status_code == 303
    thread_url = sent.headers["location"].split("#")[0]
    thread_id = int(thread_url.rsplit("/", 1)[1])

    doctor = clinic.client("clinician_a")
    listing = doctor.get("/clinic")
    assert re.search(r'id="unread-total".*?>1</span> unread message', listing.text, re.S)
    assert (
        f"/clinic/patients/{clinic.patient_a}/messages"
        in doctor.get(f"/clinic/patients/{clinic.patient_a}").text
    )
    inbox = doctor.get("/clinic/messages")
    assert SUBJECT in inbox.text and "1 unread" in inbox.text
    page = f"/clinic/patients/{clinic.patient_a}/messages/{thread_id}"
    shown = doctor.get(page)
    assert "It eases by noon." in shown.text
    token = csrf_token(doctor, page)
    replied = doctor.post(
        page, data={"csrf_token": token, "text": "Gentle walks help."}, follow_redirects=False
    )
    assert replied.status_code == 303
    assert 'id="unread-total"' in doctor.get("/clinic").text
    assert "nothing unread" in doctor.get("/clinic").text

    today = patient.get("/today")
    assert "You have 1 unread message from your care team" in today.text
    assert "Gentle walks help." in patient.get(thread_url).text
    assert "unread message" not in patient.get("/today").text

    # A reply past the bound shows the thread again with the reason, nothing stored.
    token = csrf_token(patient, thread_url)
    too_long = patient.post(thread_url, data={"csrf_token": token, "text": "x" * 4001})
    assert too_long.status_code == 422
    assert "text: must be 1-4000 characters" in too_long.text
    for record in caplog.records:
        text = record.getMessage()
        assert SUBJECT not in text and "eases by noon" not in text and "Gentle" not in text


def test_a_clinician_message_about_a_decision_shows_in_the_timeline(clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        decision = uow.decisions.add(
            StoredDecision(
                clinic.patient_a, clinic.ctx.clock.now(), Decision.STAY, Urgency.NONE, 1, None,
                [], "Stay at this stage.", None, {}, "test",
            )
        )  # fmt: skip
        uow.commit()
    doctor = clinic.client("clinician_a")
    new = f"/clinic/patients/{clinic.patient_a}/messages/new?decision={decision.id}"
    form = doctor.get(new)
    assert f'name="decision_id" value="{decision.id}"' in form.text
    token = csrf_token(doctor, new)
    sent = doctor.post(
        f"/clinic/patients/{clinic.patient_a}/messages",
        data={
            "csrf_token": token,
            "subject": "Your last session",
            "text": "Well done on staying steady.",
            "decision_id": str(decision.id),
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    timeline = doctor.get(f"/clinic/patients/{clinic.patient_a}").text
    assert "Your message" in timeline and "Well done on staying steady." in timeline
    bad = doctor.get(f"/clinic/patients/{clinic.patient_a}/messages/new?decision=abc")
    assert bad.status_code == 422
