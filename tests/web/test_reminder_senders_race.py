"""Several senders at once (two app processes, or the app and the cron command) send each
reminder exactly once: each claims it in the database first. On SQLite and PostgreSQL.

Each sender has its own engine (its own connections), as separate processes would.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from spinestep.services.context import ServiceContext
from spinestep.services.reminders import SendReport, send_due
from spinestep.store.uow import open_store
from spinestep.web.reminder_mail import ReminderMailer
from tests.support.smtp import SmtpServer, smtp_server
from tests.web.reminder_support import reminder_clinic
from tests.web.support import CheapArgon2id, add_patient

__all__ = ["smtp_server"]

SENDERS = 2
EXTRA_PATIENTS = 4
DAYS = 3
# Stage 1's times in London in December (UTC+0): five a day.
HOURS = (8, 11, 14, 17, 20)


def _race(
    contexts: list[ServiceContext],
    mailer: ReminderMailer,
    now: datetime,
    reports: list[SendReport],
    errors: list[BaseException],
) -> None:
    """One round: every sender runs ``send_due(now)`` at the same moment."""
    barrier = threading.Barrier(len(contexts))

    def run(ctx: ServiceContext) -> None:
        try:
            barrier.wait()
            reports.append(send_due(ctx, mailer, now))
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    threads = [threading.Thread(target=run, args=(ctx,)) for ctx in contexts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_racing_senders_send_each_reminder_exactly_once(
    tmp_path: Path, database_url: str, smtp_server: SmtpServer
) -> None:
    start = datetime(2026, 12, 3, 7, tzinfo=UTC)
    for rc in reminder_clinic(tmp_path, database_url, smtp_server, start):
        who = ["patient_a", "patient_b"]
        for n in range(EXTRA_PATIENTS):
            email = f"extra{n}@home.example"
            add_patient(rc.clinic.ctx, rc.clinic.clinician_a, email, f"Extra {n}")
            rc.clinic.emails[f"extra{n}"] = email
            who.append(f"extra{n}")
        for name in who:
            rc.turn_on(name)

        engines, contexts = [], []
        for _ in range(SENDERS):
            engine, uow = open_store(database_url)
            engines.append(engine)
            contexts.append(ServiceContext(uow=uow, clock=rc.clock, hasher=CheapArgon2id()))
        rounds = [
            start.replace(hour=hour, minute=1) + timedelta(days=day)
            for day in range(DAYS)
            for hour in HOURS
        ]
        reports: list[SendReport] = []
        errors: list[BaseException] = []
        try:
            for now in rounds:
                _race(contexts, rc.mailer, now, reports, errors)
        finally:
            for engine in engines:
                engine.dispose()

        assert errors == []
        per_person = Counter(str(m["To"]) for m in rc.smtp.messages)
        assert per_person == {rc.clinic.emails[name]: len(rounds) for name in who}
        assert sum(r.sent for r in reports) == len(who) * len(rounds)
        tokens = [str(m["List-Unsubscribe"]) for m in rc.smtp.messages]
        assert len(set(tokens)) == len(tokens)
