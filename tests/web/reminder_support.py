"""Helpers of the e-mail reminder tests: a clinic whose app sends to a local SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from spinestep.services.context import FixedClock
from spinestep.services.records import ProgrammeStatus
from spinestep.services.reminders import SendReport, send_due
from spinestep.settings import Settings
from spinestep.web.reminder_mail import ReminderMailer
from tests.support.smtp import SmtpServer
from tests.web.support import Clinic, build_clinic

# http: the page tests sign in over plain HTTP, where a Secure cookie would not be sent.
PUBLIC_URL = "http://spine.example-clinic.org"


@dataclass
class ReminderClinic:
    clinic: Clinic
    clock: FixedClock
    smtp: SmtpServer
    mailer: ReminderMailer

    def send(self, at: datetime) -> SendReport:
        self.clock.set(at)
        return send_due(self.clinic.ctx, self.mailer, at)

    def sweep(self, start: datetime, end: datetime, step_min: int = 15) -> None:
        """Run the sender every ``step_min`` minutes from ``start`` up to ``end``."""
        at = start
        while at < end:
            self.send(at)
            at += timedelta(minutes=step_min)

    def turn_on(self, who: str, **body: Any) -> dict[str, Any]:
        response = self.clinic.api(who).put(
            "/api/v1/me/reminders", json={"mode": "each_session", **body}
        )
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    def set_status(self, patient_id: int, status: ProgrammeStatus) -> None:
        with self.clinic.ctx.uow() as uow:
            assignment = uow.assignments.current_for(patient_id)
            assert assignment is not None
            assignment.status = status
            uow.assignments.update(assignment)
            uow.commit()

    def to(self, who: str) -> list[str]:
        """The subjects of the messages sent to ``who`` so far."""
        address = self.clinic.emails[who]
        return [str(m["Subject"]) for m in self.smtp.messages if m["To"] == address]


def reminder_settings(tmp_path: Path, smtp: SmtpServer) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        secret_key="test-secret-key",
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        public_url=PUBLIC_URL,
    )


def reminder_clinic(
    tmp_path: Path, database_url: str, smtp: SmtpServer, start: datetime, **kwargs: Any
) -> Iterator[ReminderClinic]:
    clock = FixedClock(start)
    settings = {"smtp_host": smtp.host, "smtp_port": smtp.port, "public_url": PUBLIC_URL}
    clinic = build_clinic(tmp_path, database_url, clock=clock, settings=settings, **kwargs)
    try:
        yield ReminderClinic(clinic, clock, smtp, ReminderMailer(reminder_settings(tmp_path, smtp)))
    finally:
        clinic.close()
