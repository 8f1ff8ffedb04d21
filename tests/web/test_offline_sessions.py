"""POST /session/offline: a session done without a connection, sent later (web/offline.py).

The server treats it like any late-arriving session: its own time, the rules run, one
session however often it is sent, and its safety check judged at the session's time.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from spinestep.domain.redflags import flags_for_session
from spinestep.services.context import FixedClock
from tests.web.support import Clinic, TestClient, build_clinic

SESSION = {
    "pain_before": "3",
    "pain_during": "3",
    "pain_after": "2",
    "location_before": "back",
    "location_after": "back",
    "effort": "easy",
    "reps": "10",
}
HOME = timezone(timedelta(hours=1))  # the phone's offset, kept with the times


def iso(at: datetime) -> str:
    return at.astimezone(HOME).isoformat(timespec="seconds")


def page_values(client: TestClient) -> tuple[str, str]:
    """The CSRF token and the account tag of a signed-in patient's page."""
    html = client.get("/today").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    tag = re.search(r'<meta name="spinestep-account" content="([0-9a-f]+)">', html)
    assert token and tag, "the page lacks its token or account tag"
    return token.group(1), tag.group(1)


def offline_form(
    client: TestClient, finished: datetime, checked: datetime | None, key: str, **extra: str
) -> dict[str, str]:
    token, tag = page_values(client)
    form = {"csrf_token": token, "account_tag": tag, "idempotency_key": key, "kind": "session"}
    form.update(SESSION, finished_at=iso(finished))
    if checked is not None:
        form["checked_at"] = iso(checked)
        form.update({f"flag_{flag.code}": "no" for flag in flags_for_session()})
    form.update(extra)
    return form


def stored_sessions(clinic: Clinic) -> list[Any]:
    with clinic.ctx.uow() as uow:
        return uow.sessions.for_patient(clinic.patient_a)


def stored_screenings(clinic: Clinic) -> list[Any]:
    with clinic.ctx.uow() as uow:
        return uow.screenings.for_patient(clinic.patient_a)


def test_a_session_done_offline_is_stored_at_its_own_time_with_its_check(clinic: Clinic) -> None:
    client = clinic.client("patient_a")
    finished = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    checked = finished - timedelta(minutes=20)
    before = len(stored_screenings(clinic))

    answer = client.post("/session/offline", data=offline_form(client, finished, checked, "k1"))

    assert answer.status_code == 201, answer.text
    assert answer.json() == {"decision_url": "/decision", "replayed": False}
    (session,) = stored_sessions(clinic)
    assert session.at == finished
    assert session.at.utcoffset() == timedelta(hours=1)  # the phone's offset is kept
    assert session.reps == 10 and session.completed
    screenings = stored_screenings(clinic)
    assert len(screenings) == before + 1
    (kept,) = [screening for screening in screenings if screening.at == checked]
    assert kept.answers and not any(kept.answers.values())
    decision = client.get("/decision")
    assert 'id="decision"' in decision.text


def test_sending_the_same_offline_session_twice_stores_one(clinic: Clinic) -> None:
    client = clinic.client("patient_a")
    finished = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    form = offline_form(client, finished, finished - timedelta(minutes=10), "same-key")
    first = client.post("/session/offline", data=form)
    again = client.post("/session/offline", data=form)
    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert again.json()["replayed"] is True
    assert len(stored_sessions(clinic)) == 1


def send_together(clients: list[TestClient], forms: list[dict[str, str]]) -> list[int]:
    """Each client sends its form at the same moment; the status codes, sorted."""
    start = threading.Barrier(len(clients))
    codes: list[int] = []

    def send(client: TestClient, form: dict[str, str]) -> None:
        start.wait()
        codes.append(client.post("/session/offline", data=form).status_code)

    threads = [
        threading.Thread(target=send, args=pair) for pair in zip(clients, forms, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(codes)


def test_racing_sends_of_one_offline_session_store_it_once(clinic: Clinic) -> None:
    finished = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    clients = [clinic.client("patient_a") for _ in range(4)]
    for round_number in range(3):  # each round a later session, its check after the last
        at = finished + timedelta(minutes=20 * round_number)
        key = f"race-{round_number}"
        forms = [offline_form(c, at, at - timedelta(minutes=5), key) for c in clients]
        assert send_together(clients, forms) == [200, 200, 200, 201]
        assert len(stored_sessions(clinic)) == round_number + 1
    assert len([s for s in stored_screenings(clinic) if s.source.value == "session"]) == 3


def test_two_sessions_of_one_offline_stretch_are_both_accepted(clinic: Clinic) -> None:
    """Each is judged by its own check and time, not by when the other arrived."""
    client = clinic.client("patient_a")
    first = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=6)
    second = first + timedelta(hours=4)
    for at, key in ((first, "a"), (second, "b")):
        answer = client.post(
            "/session/offline", data=offline_form(client, at, at - timedelta(minutes=15), key)
        )
        assert answer.status_code == 201, answer.text
    assert [s.at for s in stored_sessions(clinic)] == [first, second]


def test_a_check_stored_online_counts_for_the_offline_session_after_it(
    tmp_path: Path, database_url: str
) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=8)
    clock = FixedClock(start)
    clinic = build_clinic(tmp_path, database_url, clock=clock)
    try:
        client = clinic.client("patient_a")
        due = client.get("/session").text
        token, _ = page_values(client)
        fields = dict.fromkeys(re.findall(r'name="(flag_[a-z_]+)" value="no"', due), "no")
        checked = client.post(
            "/session", data={"csrf_token": token, "step": "check", "check_form": "full", **fields}
        )
        assert checked.status_code == 200, checked.text  # the next step: the check is stored
        clock.set(start + timedelta(hours=5))  # the connection returns hours later
        finished = start + timedelta(minutes=25)
        form = offline_form(client, finished, None, "late", check_stored="yes")
        form["checked_at"] = iso(start)
        answer = client.post("/session/offline", data=form)
        assert answer.status_code == 201, answer.text
        assert [s.at for s in stored_sessions(clinic)] == [finished]
    finally:
        clinic.close()


@pytest.mark.parametrize(
    ("change", "status", "code", "named"),
    [
        ({"checked_at": None}, 422, "invalid_input", "checked_at"),
        ({"finished_at": "1999-12-31T23:00:00+00:00"}, 422, "invalid_input", "finished_at"),
        ({"finished_at": "2999-01-01T00:00:00+00:00"}, 422, "invalid_input", "finished_at"),
        ({"finished_at": "2026-12-03T10:00:00"}, 422, "invalid_input", "finished_at"),
        ({"finished_at": "yesterday"}, 422, "invalid_input", "finished_at"),
        ({"idempotency_key": ""}, 422, "invalid_input", "idempotency_key"),
        ({"pain_after": "11"}, 422, "invalid_input", "pain_after"),
        ({"flag_saddle_anaesthesia": "yes"}, 422, "invalid_input", "answers"),
        ({"check_late": "yes"}, 409, "screening_required", None),
        ({"account_tag": "0123456789abcdef012345"}, 409, "conflict", None),
    ],
)
def test_an_offline_session_that_cannot_be_stored_is_refused_with_a_reason(
    clinic: Clinic, change: dict[str, str | None], status: int, code: str, named: str | None
) -> None:
    client = clinic.client("patient_a")
    finished = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    form = offline_form(client, finished, finished - timedelta(minutes=10), "bad")
    for name, value in change.items():
        if name == "check_late":
            form["checked_at"] = iso(finished - timedelta(hours=2, minutes=1))
        elif value is None:
            form.pop(name)
        else:
            form[name] = value
    answer = client.post("/session/offline", data=form)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code
    if named is not None:
        assert error.get("path") == named
    assert stored_sessions(clinic) == []


def test_an_offline_session_needs_the_form_token(clinic: Clinic) -> None:
    client = clinic.client("patient_a")
    finished = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    form = offline_form(client, finished, finished - timedelta(minutes=10), "no-token")
    form.pop("csrf_token")
    assert client.post("/session/offline", data=form).status_code == 403
    assert stored_sessions(clinic) == []


def test_a_stop_now_done_offline_is_stored_as_stopped_at_its_time(clinic: Clinic) -> None:
    client = clinic.client("patient_a")
    finished = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    token, tag = page_values(client)
    form = {
        "csrf_token": token,
        "account_tag": tag,
        "idempotency_key": "stop-1",
        "kind": "stop",
        "finished_at": iso(finished),
        "pain_before": "2",
        "pain_now": "6",
        "location_before": "back",
        "location_now": "thigh",
        "reps": "3",
    }
    answer = client.post("/session/offline", data=form)
    assert answer.status_code == 201, answer.text
    (session,) = stored_sessions(clinic)
    assert session.at == finished and session.stopped_early and not session.completed


def test_another_patients_tag_cannot_send_into_this_account(clinic: Clinic) -> None:
    other = clinic.client("patient_b")
    _, other_tag = page_values(other)
    client = clinic.client("patient_a")
    finished = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    form = offline_form(
        client, finished, finished - timedelta(minutes=5), "x", account_tag=other_tag
    )
    assert client.post("/session/offline", data=form).status_code == 409
    assert stored_sessions(clinic) == []


def check_form(client: TestClient, checked: datetime, **answers: str) -> dict[str, str]:
    token, tag = page_values(client)
    form = {"csrf_token": token, "account_tag": tag, "kind": "check", "checked_at": iso(checked)}
    form.update({f"flag_{code}": value for code, value in answers.items()})
    return form


def test_a_red_flag_answered_offline_is_stored_at_its_time_and_acted_on(clinic: Clinic) -> None:
    client = clinic.client("patient_a")
    checked = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=40)
    form = check_form(client, checked, saddle_anaesthesia="yes", new_bowel_dysfunction="no")
    first = client.post("/session/offline", data=form)
    again = client.post("/session/offline", data=form)
    assert (first.status_code, again.status_code) == (201, 200), first.text
    assert again.json()["replayed"] is True
    kept = [s for s in stored_screenings(clinic) if s.at == checked]
    assert len(kept) == 1 and kept[0].answers["saddle_anaesthesia"] is True
    with clinic.ctx.uow() as uow:
        (flag,) = uow.red_flags.unresolved_for(clinic.patient_a)
    assert flag.code == "saddle_anaesthesia" and flag.reported_at == checked
    decision = client.get("/decision").text
    assert "emergency" in decision and "Call 112" in decision
    today = client.get("/today").text
    assert "Your programme is paused." in today


@pytest.mark.parametrize("answers", [{}, {"flag_not_a_flag": "yes"}])
def test_an_offline_check_without_known_answers_is_refused(
    clinic: Clinic, answers: dict[str, str]
) -> None:
    client = clinic.client("patient_a")
    checked = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    form = check_form(client, checked)
    form.update(answers)
    answer = client.post("/session/offline", data=form)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["path"] == "answers"
    with clinic.ctx.uow() as uow:
        assert uow.red_flags.unresolved_for(clinic.patient_a) == []
