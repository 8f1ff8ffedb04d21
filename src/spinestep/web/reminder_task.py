"""The web app's reminder sender: one run of ``reminders.send_due`` a minute.

Started by the app's lifespan only when SMTP is configured. Every process of the app
may run it: each reminder is claimed in the database before it is sent, so two
processes never send one twice (``services.reminders``). A run that fails is logged
(the error's type, nothing about anyone) and the next minute tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import anyio.to_thread
from fastapi import FastAPI

from spinestep.services import reminders
from spinestep.web.context import WebContext
from spinestep.web.reminder_mail import ReminderMailer

logger = logging.getLogger("spinestep.web.reminder_task")

TICK_S = 60.0


async def run_forever(ctx: WebContext, mailer: ReminderMailer, tick_s: float = TICK_S) -> None:
    while True:
        try:
            await anyio.to_thread.run_sync(reminders.send_due, ctx.services, mailer)
        except Exception as error:  # noqa: BLE001 - the sender must outlive one bad run
            logger.warning("reminder run failed: %s", type(error).__name__)
        await asyncio.sleep(tick_s)


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    ctx: WebContext = app.state.ctx
    mailer = ReminderMailer(ctx.settings)
    if not mailer.enabled:
        yield
        return
    task = asyncio.create_task(run_forever(ctx, mailer))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
