"""E-mail reminders end to end: the patient turns them on (API and page), a sender finds
the ones due and sends them to a local SMTP server, and the one-click link stops them.
On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from spinestep.domain.model import Effort, Location
from spinestep.services import privacy
from spinestep.services.context import Actor
from spinestep.services.deciding import protocol_of
from spinestep.services.login_throttle import ThrottlePolicy
from spinestep.services.record_exports import reminder_plan
from spinestep.services.records import (
    FlagSource,
    ProgrammeStatus,
    RedFlagReport,
    Role,
    StoredSession,
)
from tests.support.smtp import SmtpServer, smtp_server
from tests.web.reminder_support import PUBLIC_URL, ReminderClinic, reminder_clinic
from tests.web.support import add_patient, csrf_token

__all__ = ["smtp_server"]

# London in December is UTC+0; stage 1 has five sessions a day: 08:00, 11:00, 14:00,
# 17:00 and 20:00 (every three hours from 08:00, docs/web.md).
DAY = datetime(2026, 12, 3, tzinfo=UTC)
SESSION_TIMES = ["08:00", "11:00", "14:00", "17:00", "20:00"]
UNSUBSCRIBE = re.compile(re.escape(PUBLIC_URL) + r"/reminders/unsubscribe/([A-Za-z0-9_-]{43})")


def at(hour: int, minute: int = 0, day: datetime = DAY) -> datetime:
    return day.replace(hour=hour, minute=minute)


@pytest.fixture
def rc(tmp_path: Path, database_url: str, smtp_server: SmtpServer) -> Iterator[ReminderClinic]:
    yield from reminder_clinic(tmp_path, database_url, smtp_server, at(7))


def _unsubscribe_path(message: EmailMessage) -> str:
    header = str(message["List-Unsubscribe"])
    found = UNSUBSCRIBE.fullmatch(header.strip("<>"))
    assert found, header
    return f"/reminders/unsubscribe/{found.group(1)}"


def _audit_actions(rc: ReminderClinic, patient_id: int) -> list[str]:
    with rc.clinic.ctx.uow() as uow:
        return [entry.action for entry in uow.audit.for_patient(patient_id)]


def test_reminders_are_off_until_the_patient_turns_them_on(rc: ReminderClinic) -> None:
    client = rc.clinic.api("patient_a")
    shown = client.get("/api/v1/me/reminders").json()
    assert shown["mode"] == "off"
    assert (shown["quiet_start"], shown["quiet_end"]) == ("21:00", "08:00")
    assert shown["email"] == rc.clinic.emails["patient_a"]
    assert shown["time_zone"] == "Europe/London"
    assert shown["session_times"] == SESSION_TIMES
    assert shown["active"] is True and shown["sending"] is True
    rc.sweep(at(7), at(21))
    assert rc.smtp.messages == []

    saved = rc.turn_on("patient_a", quiet_start="22:30", quiet_end="07:15")
    assert (saved["mode"], saved["quiet_start"], saved["quiet_end"]) == (
        "each_session",
        "22:30",
        "07:15",
    )
    assert client.get("/api/v1/me/reminders").json() == saved
    assert "reminders.update" in _audit_actions(rc, rc.clinic.patient_a)


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"mode": "hourly"}, "mode"),
        ({"mode": "each_session", "quiet_start": "25:00"}, "quiet_start"),
        ({"mode": "each_session", "quiet_end": "8:00"}, "quiet_end"),
        ({"mode": "each_session", "email": "x@y.example"}, "email"),
    ],
)
def test_wrong_settings_are_refused_naming_the_field(
    rc: ReminderClinic, body: dict[str, str], path: str
) -> None:
    response = rc.clinic.api("patient_a").put("/api/v1/me/reminders", json=body)
    assert response.status_code == 422
    assert path in response.json()["error"].get("path", "") + response.json()["error"]["message"]
    shown = rc.clinic.api("patient_a").get("/api/v1/me/reminders").json()
    assert shown["mode"] == "off"


def test_a_clinician_cannot_sign_a_patient_up_for_e_mail(rc: ReminderClinic) -> None:
    response = rc.clinic.api("clinician_a").put(
        "/api/v1/me/reminders", json={"mode": "each_session"}
    )
    assert response.status_code == 403


def test_the_mail_follows_the_times_the_calendar_publishes(rc: ReminderClinic) -> None:
    actor = Actor(role=Role.PATIENT, user_id=rc.clinic.patient_a_user)
    plan = reminder_plan(rc.clinic.ctx, actor, rc.clinic.patient_a)
    calendar = [event.at.strftime("%H:%M") for event in plan.events if not event.cancelled]
    shown = rc.clinic.api("patient_a").get("/api/v1/me/reminders").json()
    assert shown["session_times"] == calendar


def test_one_reminder_at_each_session_time_in_the_patients_time_zone(rc: ReminderClinic) -> None:
    rc.turn_on("patient_a", quiet_start="23:00", quiet_end="06:00")
    rc.send(at(7, 59))
    assert rc.to("patient_a") == []
    rc.send(at(8, 0))
    assert rc.to("patient_a") == ["Time for your spinestep session"]
    rc.send(at(8, 1))
    rc.send(at(8, 29))
    assert len(rc.to("patient_a")) == 1  # claimed: never twice
    rc.sweep(at(8, 30), at(23, 59))
    assert len(rc.to("patient_a")) == len(SESSION_TIMES)
    assert rc.to("patient_b") == []


def test_the_mail_carries_one_click_unsubscribe_and_no_health_details(
    rc: ReminderClinic,
) -> None:
    rc.turn_on("patient_a")
    rc.send(at(8))
    (message,) = rc.smtp.messages
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = _unsubscribe_path(message)
    body = message.get_content()
    assert PUBLIC_URL + path in body
    assert f"{PUBLIC_URL}/today" in body
    with rc.clinic.ctx.uow() as uow:
        patient = uow.patients.get(rc.clinic.patient_a)
        assignment = uow.assignments.current_for(rc.clinic.patient_a)
    assert patient is not None and assignment is not None
    protocol = protocol_of(assignment)
    stage = protocol.stage(assignment.current_stage)
    text = (str(message["Subject"]) + "\n" + body).casefold()
    forbidden = [
        *patient.display_name.split(),
        protocol.title,
        stage.title,
        "pain",
        "stage",
        "flexion",
        "repetition",
        "back",
        "symptom",
    ]
    assert [word for word in forbidden if word.casefold() in text] == []


def test_no_reminder_in_the_quiet_period(rc: ReminderClinic) -> None:
    rc.turn_on("patient_a", quiet_start="07:30", quiet_end="15:00")
    rc.sweep(at(7), at(16))
    assert rc.to("patient_a") == []  # 08:00, 11:00 and 14:00 are quiet
    rc.sweep(at(16), at(21))
    assert len(rc.to("patient_a")) == 2  # 17:00 and 20:00


def test_the_daily_summary_comes_once_a_day(rc: ReminderClinic) -> None:
    rc.turn_on("patient_a", mode="daily_summary")
    rc.sweep(at(7), at(23, 55))
    assert rc.to("patient_a") == ["Your spinestep sessions today"]
    rc.sweep(at(7, day=DAY + timedelta(days=1)), at(23, 55, day=DAY + timedelta(days=1)))
    assert len(rc.to("patient_a")) == 2


def test_a_paused_programme_gets_no_reminders(rc: ReminderClinic) -> None:
    rc.turn_on("patient_a")
    rc.set_status(rc.clinic.patient_a, ProgrammeStatus.PAUSED)
    assert rc.clinic.api("patient_a").get("/api/v1/me/reminders").json()["active"] is False
    rc.sweep(at(7), at(21))
    assert rc.to("patient_a") == []
    rc.set_status(rc.clinic.patient_a, ProgrammeStatus.ACTIVE)
    rc.send(at(8, day=DAY + timedelta(days=1)))
    assert len(rc.to("patient_a")) == 1


def test_an_unresolved_red_flag_or_a_deactivated_account_gets_no_reminders(
    rc: ReminderClinic,
) -> None:
    rc.turn_on("patient_a")
    rc.turn_on("patient_b")
    with rc.clinic.ctx.uow() as uow:
        uow.red_flags.add(
            RedFlagReport(rc.clinic.patient_a, "major_trauma", at(7), FlagSource.SESSION)
        )
        user = uow.users.get(rc.clinic.patient_b_user)
        assert user is not None
        user.active = False
        uow.users.update(user)
        uow.commit()
    rc.sweep(at(7), at(21))
    assert rc.smtp.messages == []


def test_a_session_already_done_needs_no_reminder(rc: ReminderClinic) -> None:
    rc.turn_on("patient_a")
    rc.send(at(8))
    with rc.clinic.ctx.uow() as uow:
        assignment = uow.assignments.current_for(rc.clinic.patient_a)
        assert assignment is not None and assignment.id is not None
        for minute in (10, 40):  # two sessions done before the second time (11:00)
            done = at(9, minute)
            uow.sessions.add(
                StoredSession(
                    rc.clinic.patient_a, assignment.id, done, 1, True, Effort.EASY, 1, 1, 1,
                    Location.BACK, Location.BACK, done, reps=10,
                )
            )  # fmt: skip
        uow.commit()
    rc.send(at(11))
    assert len(rc.to("patient_a")) == 1
    rc.send(at(14))
    assert len(rc.to("patient_a")) == 2  # the third session is not done yet


def test_one_click_unsubscribe_stops_further_mail(rc: ReminderClinic) -> None:
    rc.turn_on("patient_a")
    rc.send(at(8))
    path = _unsubscribe_path(rc.smtp.messages[0])
    anonymous = rc.clinic.client(None)
    page = anonymous.get(path)
    assert page.status_code == 200
    assert f'action="{path}"' in page.text
    assert page.headers["referrer-policy"].startswith("no-referrer")  # the token stays here
    shown = rc.clinic.api("patient_a").get("/api/v1/me/reminders").json()
    assert shown["mode"] == "each_session"  # opening the link changes nothing

    mail_program = rc.clinic.client(None)  # RFC 8058: a POST without any session
    done = mail_program.post(
        path,
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200
    assert "no more e-mail reminders" in done.text
    shown = rc.clinic.api("patient_a").get("/api/v1/me/reminders").json()
    assert shown["mode"] == "off"
    assert "reminders.unsubscribe" in _audit_actions(rc, rc.clinic.patient_a)
    rc.sweep(at(8, 30), at(21))
    assert len(rc.to("patient_a")) == 1
    assert mail_program.post(path).status_code == 200  # again: still off, no error


@pytest.mark.parametrize("token", ["x" * 20, "A" * 43, "A" * 44, "%2e%2e"])
def test_an_unknown_unsubscribe_link_is_refused(rc: ReminderClinic, token: str) -> None:
    client = rc.clinic.client(None)
    assert client.get(f"/reminders/unsubscribe/{token}").status_code == 404
    assert client.post(f"/reminders/unsubscribe/{token}").status_code == 404


def test_the_settings_page_turns_reminders_on_and_names_a_wrong_time(rc: ReminderClinic) -> None:
    client = rc.clinic.client("patient_a")
    account = client.get("/account")
    assert 'href="/account/reminders"' in account.text
    page = client.get("/account/reminders")
    assert page.status_code == 200
    assert rc.clinic.emails["patient_a"] in page.text
    token = csrf_token(client, "/account/reminders")
    wrong = client.post(
        "/account/reminders",
        data={"csrf_token": token, "mode": "daily_summary", "quiet_start": "9pm",
              "quiet_end": "08:00"},
    )  # fmt: skip
    assert wrong.status_code == 422
    assert "Quiet from: must be a time HH:MM" in wrong.text
    assert 'value="daily_summary" checked' in wrong.text
    saved = client.post(
        "/account/reminders",
        data={"csrf_token": token, "mode": "daily_summary", "quiet_start": "21:00",
              "quiet_end": "08:00"},
    )  # fmt: skip
    assert saved.status_code == 303
    shown = rc.clinic.api("patient_a").get("/api/v1/me/reminders").json()
    assert shown["mode"] == "daily_summary"


def test_the_clinicians_account_page_has_no_reminders(rc: ReminderClinic) -> None:
    page = rc.clinic.client("clinician_a").get("/account")
    assert "/account/reminders" not in page.text


def test_guessing_unsubscribe_links_is_slowed_down(
    tmp_path: Path, database_url: str, smtp_server: SmtpServer
) -> None:
    policy = ThrottlePolicy(free_attempts=3, first_delay_s=600.0)
    for rc in reminder_clinic(tmp_path, database_url, smtp_server, at(7), login_policy=policy):
        client = rc.clinic.client(None)
        statuses = [client.post(f"/reminders/unsubscribe/{'B' * 42}{n}").status_code
                    for n in range(5)]  # fmt: skip
        assert statuses == [404, 404, 404, 404, 429]
        assert client.get(f"/reminders/unsubscribe/{'C' * 43}").status_code == 429


def test_the_quiet_period_defaults_keep_the_night_free(rc: ReminderClinic) -> None:
    # The default quiet period (21:00-08:00) ends at 08:00: the first time is sent.
    rc.turn_on("patient_a")
    rc.sweep(at(0), at(23, 55))
    assert len(rc.to("patient_a")) == len(SESSION_TIMES)  # 08:00 to 20:00, none at night


def test_the_export_shows_the_reminders_and_deleting_the_account_removes_them(
    rc: ReminderClinic,
) -> None:
    email = "self.managed@home.example"
    user_id, patient_id = add_patient(rc.clinic.ctx, None, email, "Sam Self")
    rc.clinic.emails["self"] = email
    rc.turn_on("self", mode="daily_summary")
    rc.send(at(8))
    assert rc.to("self") == ["Your spinestep sessions today"]
    actor = Actor(role=Role.PATIENT, user_id=user_id)
    data = privacy.export_patient_data(rc.clinic.ctx, actor, patient_id)
    assert data["email_reminders"]["mode"] == "daily_summary"
    assert data["email_reminders_sent"] == [
        {"local_date": "2026-12-03", "slot": "summary", "claimed_at": at(8).isoformat(),
         "outcome": "sent"}
    ]  # fmt: skip
    assert "hash" not in str(data["email_reminders_sent"])

    assert privacy.delete_account(rc.clinic.ctx, actor, patient_id).deleted
    with rc.clinic.ctx.uow() as uow:
        assert uow.reminders.choice_for(patient_id) is None
        assert uow.reminders.sent_for(patient_id) == []
