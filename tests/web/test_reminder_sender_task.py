"""The web app sends the reminders due by itself, once a minute, when SMTP is configured;
without SMTP it starts no sender."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI

from spinestep.web.reminder_task import lifespan
from tests.support.own_loop import run_on_own_loop
from tests.support.smtp import SmtpServer, smtp_server
from tests.web.reminder_support import reminder_clinic
from tests.web.support import TestClient, build_clinic

__all__ = ["smtp_server"]

EIGHT = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)  # London's first session time in December


def _senders(app: FastAPI) -> list[str]:
    async def running() -> list[str]:
        async with lifespan(app):
            await asyncio.sleep(0)
            return [
                task.get_coro().__qualname__  # type: ignore[union-attr]
                for task in asyncio.all_tasks()
                if "run_forever" in getattr(task.get_coro(), "__qualname__", "")
            ]

    return run_on_own_loop(running())


def test_the_web_app_sends_due_reminders_by_itself(tmp_path: Path, smtp_server: SmtpServer) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    for rc in reminder_clinic(tmp_path, url, smtp_server, EIGHT):
        rc.turn_on("patient_a")
        assert rc.smtp.messages == []
        with TestClient(rc.clinic.app):  # runs the lifespan: the sender's first run is now
            waited_s = 0.0
            while not rc.smtp.messages and waited_s < 30:
                time.sleep(0.1)
                waited_s += 0.1
        assert rc.to("patient_a") == ["Time for your spinestep session"]
        assert _senders(rc.clinic.app) == ["run_forever"]


def test_without_smtp_the_web_app_starts_no_sender(tmp_path: Path) -> None:
    clinic = build_clinic(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}")
    try:
        assert _senders(clinic.app) == []
    finally:
        clinic.close()
