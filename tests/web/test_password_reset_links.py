"""An admin resets an account with a one-time link; the person chooses their own password.

The admin never learns the password: they get a link (shown once, or e-mailed to the
account when SMTP is set up). Making it ends the account's password, sessions, API
tokens and earlier links; the link works once, for 24 hours. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from spinestep.services.context import FixedClock
from spinestep.services.passwords import token_hash
from spinestep.services.records import AuditEntry
from spinestep.settings import Settings
from spinestep.web.mail import Mailer
from tests.web.support import PASSWORD, Clinic, TestClient, build_clinic, csrf_token

NEW_PASSWORD = "my-own-new-passphrase"
LINK = re.compile(r'value="(http://127\.0\.0\.1:8000/reset/([A-Za-z0-9_\-]+))"')


def _token_status(clinic: Clinic, who: str, password: str) -> int:
    response = TestClient(clinic.app).post(
        "/api/v1/auth/token", json={"email": clinic.emails[who], "password": password}
    )
    return response.status_code


def _page_reset(clinic: Clinic, user_id: int) -> tuple[TestClient, str]:
    """The admin resets ``user_id`` on the Accounts page; the link shown."""
    admin = clinic.client("admin")
    response = admin.post(
        f"/admin/users/{user_id}/reset", data={"csrf_token": csrf_token(admin, "/admin")}
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    found = LINK.search(response.text)
    assert found, response.text
    return admin, found.group(1)


def _use(clinic: Clinic, link: str, password: str, again: str | None = None) -> TestClient:
    """A fresh browser opens the link and sends the form; returns the browser."""
    browser = clinic.client(None)
    path = link.removeprefix("http://127.0.0.1:8000")
    page = browser.get(path)
    assert page.status_code == 200, page.text
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token is not None
    browser.post(
        "/reset",
        data={
            "csrf_token": csrf_token(browser, path),
            "token": token.group(1),
            "password": password,
            "password_again": password if again is None else again,
        },
    )
    return browser


def _audit(clinic: Clinic) -> list[AuditEntry]:
    with clinic.ctx.uow() as uow:
        return uow.audit.recent(100)


def test_a_page_reset_ends_everything_and_the_person_sets_their_own_password(
    clinic: Clinic,
) -> None:
    browser = clinic.client("clinician_b")
    token = clinic.api("clinician_b")
    assert browser.get("/clinic").status_code == 200

    admin, link = _page_reset(clinic, clinic.clinician_b)

    assert link not in admin.get("/admin").text  # shown once, in that answer only
    assert browser.get("/clinic").status_code == 303
    assert token.get("/api/v1/patients").status_code == 401
    assert _token_status(clinic, "clinician_b", PASSWORD) == 401  # the old password is gone

    person = clinic.client(None)
    path = link.removeprefix("http://127.0.0.1:8000")
    form = person.get(path)
    assert form.status_code == 200
    assert "Choose a new password" in form.text
    done = person.post(
        "/reset",
        data={
            "csrf_token": csrf_token(person, path),
            "token": path.removeprefix("/reset/"),
            "password": NEW_PASSWORD,
            "password_again": NEW_PASSWORD,
        },
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/clinic"
    assert person.get("/clinic").status_code == 200  # signed in by the link
    assert _token_status(clinic, "clinician_b", NEW_PASSWORD) == 201
    # Used once: the link is now refused.
    assert clinic.client(None).get(path).status_code == 404


def test_the_audit_trail_names_whose_account_was_reset_and_by_whom(clinic: Clinic) -> None:
    _admin, link = _page_reset(clinic, clinic.patient_a_user)
    _use(clinic, link, NEW_PASSWORD)
    api = clinic.api("admin")
    api.patch(f"/api/v1/admin/users/{clinic.patient_b_user}", json={"active": False})
    api.patch(f"/api/v1/admin/users/{clinic.patient_b_user}", json={"active": True})

    entries = {(e.action, e.actor_user_id, e.subject_user_id) for e in _audit(clinic)}

    assert ("account.password_reset", clinic.admin_id, clinic.patient_a_user) in entries
    assert (
        "account.password_set_by_link",
        clinic.patient_a_user,
        clinic.patient_a_user,
    ) in entries
    assert ("account.deactivate", clinic.admin_id, clinic.patient_b_user) in entries
    assert ("account.activate", clinic.admin_id, clinic.patient_b_user) in entries


def test_an_api_reset_shows_the_link_once_and_it_is_stored_only_as_a_hash(clinic: Clinic) -> None:
    api = clinic.api("admin")
    before = datetime.now(UTC)

    response = api.post(f"/api/v1/admin/users/{clinic.patient_b_user}/reset-link")

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["emailed"] is False
    assert body["link"].startswith("http://127.0.0.1:8000/reset/")
    expires = datetime.fromisoformat(body["expires_at"])
    assert before + timedelta(hours=24) <= expires <= datetime.now(UTC) + timedelta(hours=24)
    secret = body["link"].rsplit("/", 1)[1]
    with clinic.ctx.uow() as uow:
        stored = uow.password_resets.by_hash(token_hash(secret))
    assert stored is not None and stored.user_id == clinic.patient_b_user
    assert stored.token_hash != secret
    browser = _use(clinic, body["link"], NEW_PASSWORD)
    assert browser.get("/today").status_code == 200


def test_a_new_link_voids_the_earlier_one(clinic: Clinic) -> None:
    api = clinic.api("admin")
    url = f"/api/v1/admin/users/{clinic.patient_a_user}/reset-link"
    first = api.post(url).json()["link"]
    second = api.post(url).json()["link"]
    first_path = first.removeprefix("http://127.0.0.1:8000")
    assert clinic.client(None).get(first_path).status_code == 404
    assert _use(clinic, second, NEW_PASSWORD).get("/today").status_code == 200


def test_a_link_expires_after_24_hours(tmp_path: Path, database_url: str) -> None:
    start = datetime.now(UTC).replace(microsecond=0)
    clock = FixedClock(start)
    clinic = build_clinic(tmp_path, database_url, clock=clock)
    try:
        link = (
            clinic.api("admin")
            .post(f"/api/v1/admin/users/{clinic.patient_a_user}/reset-link")
            .json()["link"]
        )
        path = link.removeprefix("http://127.0.0.1:8000")
        clock.set(start + timedelta(hours=23, minutes=59))
        assert clinic.client(None).get(path).status_code == 200
        clock.set(start + timedelta(hours=24))
        expired = clinic.client(None).get(path)
        assert expired.status_code == 404
        assert "unknown, used or expired" in expired.text
        browser = clinic.client(None)
        late = browser.post(
            "/reset",
            data={
                "csrf_token": csrf_token(browser, "/login"),
                "token": path.removeprefix("/reset/"),
                "password": NEW_PASSWORD,
                "password_again": NEW_PASSWORD,
            },
        )
        assert late.status_code == 404
        assert _token_status(clinic, "patient_a", NEW_PASSWORD) == 401
    finally:
        clinic.close()


@pytest.mark.parametrize("token", ["nope", "x" * 43, "x" * 300, "%00", "a b"])
def test_unknown_or_garbled_links_get_a_404_page_never_a_500(clinic: Clinic, token: str) -> None:
    browser = clinic.client(None)
    page = browser.get(f"/reset/{token}")
    assert page.status_code == 404
    assert "unknown, used or expired" in page.text
    sent = browser.post(
        "/reset",
        data={
            "csrf_token": csrf_token(browser, "/login"),
            "token": token,
            "password": NEW_PASSWORD,
            "password_again": NEW_PASSWORD,
        },
    )
    assert sent.status_code in (404, 422)


def test_a_weak_or_mismatched_new_password_keeps_the_link_usable(clinic: Clinic) -> None:
    _admin, link = _page_reset(clinic, clinic.patient_b_user)
    path = link.removeprefix("http://127.0.0.1:8000")
    browser = clinic.client(None)
    token = path.removeprefix("/reset/")
    for password, again, problem in (
        ("short", "short", "password:"),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "does not match"),
    ):
        refused = browser.post(
            "/reset",
            data={
                "csrf_token": csrf_token(browser, path),
                "token": token,
                "password": password,
                "password_again": again,
            },
        )
        assert refused.status_code == 422
        assert problem in refused.text
    assert _use(clinic, link, NEW_PASSWORD).get("/today").status_code == 200


def test_admins_cannot_reset_themselves_nor_a_deactivated_account(clinic: Clinic) -> None:
    api = clinic.api("admin")
    own = api.post(f"/api/v1/admin/users/{clinic.admin_id}/reset-link")
    assert own.status_code == 409
    assert "Account page" in own.json()["error"]["message"]
    api.patch(f"/api/v1/admin/users/{clinic.patient_a_user}", json={"active": False})
    inactive = api.post(f"/api/v1/admin/users/{clinic.patient_a_user}/reset-link")
    assert inactive.status_code == 409
    assert "deactivated" in inactive.json()["error"]["message"]
    assert _token_status(clinic, "admin", PASSWORD) == 201


def test_deactivating_an_account_voids_its_unused_link(clinic: Clinic) -> None:
    api = clinic.api("admin")
    url = f"/api/v1/admin/users/{clinic.patient_a_user}"
    link = api.post(f"{url}/reset-link").json()["link"]
    api.patch(url, json={"active": False})
    api.patch(url, json={"active": True})
    assert clinic.client(None).get(link.removeprefix("http://127.0.0.1:8000")).status_code == 404


def test_without_a_public_url_on_a_network_address_no_account_is_reset(
    tmp_path: Path, database_url: str
) -> None:
    clinic = build_clinic(tmp_path, database_url, settings={"host": "0.0.0.0"})
    try:
        response = clinic.api("admin").post(
            f"/api/v1/admin/users/{clinic.patient_a_user}/reset-link"
        )
        assert response.status_code == 409
        assert "SPINESTEP_PUBLIC_URL" in response.json()["error"]["message"]
        assert _token_status(clinic, "patient_a", PASSWORD) == 201  # nothing changed
    finally:
        clinic.close()


def test_the_link_is_built_from_the_public_url(tmp_path: Path, database_url: str) -> None:
    clinic = build_clinic(
        tmp_path, database_url, settings={"public_url": "https://spine.clinic.example"}
    )
    try:
        api = clinic.api("admin")
        api.headers["host"] = "evil.example"
        link = api.post(f"/api/v1/admin/users/{clinic.patient_a_user}/reset-link").json()["link"]
        assert link.startswith("https://spine.clinic.example/reset/")
    finally:
        clinic.close()


@dataclass
class RecordingMailer:
    """Stands in for the SMTP mailer: keeps what would have been sent."""

    works: bool = True
    sent: list[tuple[str, str]] = field(default_factory=list)
    enabled: bool = True

    def send_password_reset(self, to: str, link: str) -> bool:
        if self.works:
            self.sent.append((to, link))
        return self.works

    def send_alert(self, to: str, urgency: str) -> None:
        """Alerts are not looked at here."""


@pytest.fixture
def mailer(clinic: Clinic) -> Iterator[RecordingMailer]:
    recording = RecordingMailer()
    clinic.app.state.ctx.mailer = recording
    yield recording


def test_with_e_mail_set_up_the_link_goes_to_the_person_and_the_admin_never_sees_it(
    clinic: Clinic, mailer: RecordingMailer
) -> None:
    response = clinic.api("admin").post(f"/api/v1/admin/users/{clinic.clinician_a}/reset-link")
    assert response.status_code == 201
    assert response.json()["link"] is None
    assert response.json()["emailed"] is True
    admin = clinic.client("admin")
    page = admin.post(
        f"/admin/users/{clinic.patient_b_user}/reset",
        data={"csrf_token": csrf_token(admin, "/admin")},
    )
    assert page.status_code == 303
    assert "e-mailed" in admin.get(page.headers["location"]).text
    assert [to for to, _ in mailer.sent] == [
        clinic.emails["clinician_a"],
        clinic.emails["patient_b"],
    ]
    for _to, link in mailer.sent:
        assert link not in response.text
    assert _use(clinic, mailer.sent[0][1], NEW_PASSWORD).get("/clinic").status_code == 200


def test_a_failed_e_mail_is_reported_and_the_account_stays_reset(
    clinic: Clinic, mailer: RecordingMailer
) -> None:
    mailer.works = False
    response = clinic.api("admin").post(f"/api/v1/admin/users/{clinic.clinician_a}/reset-link")
    assert response.status_code == 409
    assert "could not be sent" in response.json()["error"]["message"]
    assert _token_status(clinic, "clinician_a", PASSWORD) == 401


def test_the_reset_e_mail_carries_the_link_and_nothing_about_the_person() -> None:
    mail = Mailer(Settings(smtp_host="mail.example", smtp_from="clinic@example.org"))
    message = mail.password_reset_message("anna@clinic.example", "https://x.example/reset/abc")
    assert message["To"] == "anna@clinic.example"
    body = message.get_content()
    assert "https://x.example/reset/abc" in body
    assert "24 hours" in body
    assert "anna" not in body


def test_reset_links_stay_out_of_the_logs(clinic: Clinic, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    link = (
        clinic.api("admin")
        .post(f"/api/v1/admin/users/{clinic.patient_a_user}/reset-link")
        .json()["link"]
    )
    _use(clinic, link, NEW_PASSWORD)
    secret = link.rsplit("/", 1)[1]
    text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert secret not in text
    assert "GET /reset/{token} 200" in text
