"""A new secure message e-mails the other side that a message is waiting: a link and
nothing else (no subject, text, names or ids). Sent to a local SMTP server
(``aiosmtpd``) started by the test; without SMTP settings nothing is sent."""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.support.smtp import SmtpServer, smtp_server
from tests.web.support import Clinic, build_clinic

__all__ = ["smtp_server"]

SUBJECT = "Numb toes since Tuesday"
TEXT = "My toes tingle after the exercise."


def _wait_for(server: SmtpServer, count: int) -> list[EmailMessage]:
    deadline = time.monotonic() + 10
    while len(server.messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return server.messages


@pytest.fixture
def mailing_clinic(tmp_path: Path, smtp_server: SmtpServer) -> Iterator[Clinic]:
    clinic = build_clinic(
        tmp_path,
        f"sqlite:///{tmp_path / 'mail.db'}",
        settings={
            "smtp_host": smtp_server.host,
            "smtp_port": smtp_server.port,
            "public_url": "https://spine.example.org",
        },
    )
    yield clinic
    clinic.close()


def _assert_says_nothing_else(clinic: Clinic, mail: EmailMessage) -> None:
    content = mail.as_string()
    for secret in (SUBJECT, TEXT, "Zebulon", "Quillfeather", "Anna", "Physio"):
        assert secret not in content
    assert str(clinic.patient_a) not in mail.get_content()


def test_each_side_hears_only_that_a_message_is_waiting(
    mailing_clinic: Clinic, smtp_server: SmtpServer
) -> None:
    clinic = mailing_clinic
    patient = clinic.api("patient_a")
    sent = patient.post("/api/v1/me/messages", json={"subject": SUBJECT, "text": TEXT})
    assert sent.status_code == 201
    (to_clinician,) = _wait_for(smtp_server, 1)
    assert to_clinician["To"] == clinic.emails["clinician_a"]
    assert to_clinician["Subject"] == "spinestep: you have a new message"
    assert "https://spine.example.org/clinic/messages" in to_clinician.get_content()
    _assert_says_nothing_else(clinic, to_clinician)

    # A second message before the clinician has read the first: no second e-mail.
    thread = sent.json()["thread_id"]
    assert patient.post(f"/api/v1/me/messages/{thread}", json={"text": "Also"}).status_code == 201
    doctor = clinic.api("clinician_a")
    answer = doctor.post(
        f"/api/v1/clinic/patients/{clinic.patient_a}/messages/{thread}",
        json={"text": "Please stop and call me."},
    )
    assert answer.status_code == 201
    mails = _wait_for(smtp_server, 2)
    assert [m["To"] for m in mails] == [clinic.emails["clinician_a"], clinic.emails["patient_a"]]
    to_patient = mails[1]
    assert "https://spine.example.org/messages" in to_patient.get_content()
    assert "Please stop" not in to_patient.as_string()
    _assert_says_nothing_else(clinic, to_patient)


def test_without_smtp_nothing_is_sent(tmp_path: Path, smtp_server: SmtpServer) -> None:
    clinic = build_clinic(tmp_path, f"sqlite:///{tmp_path / 'quiet.db'}")
    try:
        sent = clinic.api("patient_a").post(
            "/api/v1/me/messages", json={"subject": SUBJECT, "text": TEXT}
        )
        assert sent.status_code == 201
        time.sleep(0.3)
        assert smtp_server.messages == []
    finally:
        clinic.close()
