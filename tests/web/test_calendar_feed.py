"""The calendar subscription: a secret, revocable link to the patient's own reminders."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import sqlalchemy as sa
from icalendar import Calendar

from spinestep.domain.model import Dose
from spinestep.services.clinician import adjust
from spinestep.services.context import Actor
from spinestep.services.records import Role
from tests.web.support import Clinic, TestClient, build_clinic, csrf_token

FEED = "/api/v1/me/calendar-feed"


def make_feed(client: TestClient) -> str:
    response = client.post(FEED)
    assert response.status_code == 201, response.text
    url: str = response.json()["url"]
    found = re.fullmatch(r"http://[^/]+(/calendar/[A-Za-z0-9_-]{43}\.ics)", url)
    assert found, url
    return found.group(1)


def statuses(data: bytes) -> list[str]:
    return sorted(str(event["STATUS"]) for event in Calendar.from_ical(data).walk("VEVENT"))


def test_the_link_serves_the_patients_reminders_without_signing_in(clinic: Clinic) -> None:
    path = make_feed(clinic.api("patient_a"))
    response = TestClient(clinic.app).get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert response.headers["cache-control"] == "no-store"
    with clinic.ctx.uow() as uow:
        patient = uow.patients.get(clinic.patient_a)
    assert patient is not None
    uids = {str(e["UID"]) for e in Calendar.from_ical(response.content).walk("VEVENT")}
    assert uids and all(patient.uuid in uid for uid in uids)
    assert b"BEGIN:VTIMEZONE\r\nTZID:Europe/London" in response.content


def test_only_the_hash_of_the_token_is_stored(clinic: Clinic) -> None:
    path = make_feed(clinic.api("patient_a"))
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    with clinic.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT * FROM calendar_feeds")).all()
    assert len(rows) == 1
    assert hashlib.sha256(token.encode()).hexdigest() in rows[0]
    assert all(token not in str(value) for value in rows[0])


def test_a_new_link_replaces_the_old_and_revoking_ends_it(clinic: Clinic) -> None:
    api = clinic.api("patient_a")
    anyone = TestClient(clinic.app)
    first = make_feed(api)
    second = make_feed(api)
    assert first != second
    assert anyone.get(first).status_code == 404
    assert anyone.get(second).status_code == 200
    assert api.delete(FEED).status_code == 204
    assert anyone.get(second).status_code == 404
    missing = api.delete(FEED)
    assert missing.status_code == 404
    assert "error" in missing.json()


def test_unknown_and_malformed_tokens_are_not_found(clinic: Clinic) -> None:
    make_feed(clinic.api("patient_a"))
    anyone = TestClient(clinic.app)
    for token in ("x" * 43, "short", "A" * 44, "%00" * 10, "../../etc"):
        assert anyone.get(f"/calendar/{token}.ics").status_code == 404, token


def test_each_link_serves_only_its_own_patient(clinic: Clinic) -> None:
    path_a = make_feed(clinic.api("patient_a"))
    path_b = make_feed(clinic.api("patient_b"))
    anyone = TestClient(clinic.app)
    with clinic.ctx.uow() as uow:
        a = uow.patients.get(clinic.patient_a)
        b = uow.patients.get(clinic.patient_b)
    assert a is not None and b is not None
    feed_a = anyone.get(path_a).content.decode()
    feed_b = anyone.get(path_b).content.decode()
    assert a.uuid in feed_a and b.uuid not in feed_a
    assert b.uuid in feed_b and a.uuid not in feed_b


def test_a_deactivated_account_ends_the_feed(clinic: Clinic) -> None:
    path = make_feed(clinic.api("patient_a"))
    with clinic.ctx.uow() as uow:
        user = uow.users.get(clinic.patient_a_user)
        assert user is not None
        user.active = False
        uow.users.update(user)
        uow.commit()
    assert TestClient(clinic.app).get(path).status_code == 404


def test_the_feed_follows_a_dose_change_and_cancels_dropped_sessions(clinic: Clinic) -> None:
    path = make_feed(clinic.api("patient_a"))
    anyone = TestClient(clinic.app)
    before = anyone.get(path).content
    count = len(statuses(before))
    assert count >= 3 and statuses(before) == ["CONFIRMED"] * count
    clinician = Actor(role=Role.CLINICIAN, user_id=clinic.clinician_a)
    with clinic.ctx.uow() as uow:
        assignment = uow.assignments.current_for(clinic.patient_a)
    assert assignment is not None
    stage = assignment.current_stage
    adjust(clinic.ctx, clinician, clinic.patient_a, doses={stage: Dose(10, 1, 2, 2)})
    after = anyone.get(path).content
    assert statuses(after) == ["CANCELLED"] * (count - 2) + ["CONFIRMED"] * 2
    uids = [{str(e["UID"]) for e in Calendar.from_ical(d).walk("VEVENT")} for d in (before, after)]
    assert uids[0] == uids[1]


def test_the_page_makes_shows_once_and_revokes_the_link(clinic: Clinic) -> None:
    browser = clinic.client("patient_a")
    page = browser.get("/my-data/calendar")
    assert page.status_code == 200 and "You have no subscription link" in page.text
    assert 'href="/my-data/calendar"' in browser.get("/my-data").text
    made = browser.post("/my-data/calendar", data={"csrf_token": csrf_token(browser, "/my-data")})
    assert made.status_code == 200
    found = re.search(r'value="http://[^/"]+(/calendar/[A-Za-z0-9_-]{43}\.ics)"', made.text)
    assert found, made.text
    anyone = TestClient(clinic.app)
    assert anyone.get(found.group(1)).status_code == 200
    shown_again = browser.get("/my-data/calendar")
    assert "A subscription link is active" in shown_again.text
    assert found.group(1) not in shown_again.text
    revoked = browser.post(
        "/my-data/calendar/revoke", data={"csrf_token": csrf_token(browser, "/my-data")}
    )
    assert revoked.status_code == 303
    assert anyone.get(found.group(1)).status_code == 404
    assert "You have no subscription link" in browser.get("/my-data/calendar").text


def test_without_a_public_address_no_link_is_made(tmp_path: Path) -> None:
    clinic = build_clinic(
        tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", settings={"host": "0.0.0.0"}
    )
    try:
        refused = clinic.api("patient_a").post(FEED)
        assert refused.status_code == 409
        assert "SPINESTEP_PUBLIC_URL" in refused.json()["error"]["message"]
        browser = clinic.client("patient_a")
        page = browser.post(
            "/my-data/calendar", data={"csrf_token": csrf_token(browser, "/my-data")}
        )
        assert page.status_code == 200 and "no public address" in page.text
        with clinic.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM calendar_feeds")).scalar() == 0
    finally:
        clinic.close()


def test_with_a_public_address_the_link_uses_it(tmp_path: Path) -> None:
    public = {"host": "0.0.0.0", "public_url": "https://spine.example-clinic.org"}
    clinic = build_clinic(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", settings=public)
    try:
        url = clinic.api("patient_a").post(FEED).json()["url"]
        assert re.fullmatch(
            r"https://spine\.example-clinic\.org/calendar/[A-Za-z0-9_-]{43}\.ics", url
        )
    finally:
        clinic.close()
