"""``spinestep send-reminders``: send the e-mail reminders due now (for cron).

``spinestep serve`` already sends them each minute when SMTP is configured; this command
is for installations that prefer a scheduled job, and it is safe to run beside the web
app: each reminder is claimed in the database before it is sent.
"""

from __future__ import annotations

import typer

from spinestep.errors import InvalidInput


def send_reminders(
    database_url: str = typer.Option(
        None, "--database-url", help="SQLAlchemy URL of the database (default: the settings)."
    ),
) -> None:
    """Send the e-mail reminders due now (run it every few minutes from cron).

    Exit status 2 when SPINESTEP_SMTP_HOST is not set, 1 when the mail server refused
    or could not take a reminder (it is not tried again).
    """
    from spinestep.services.context import ServiceContext, SystemClock
    from spinestep.services.reminders import send_due
    from spinestep.settings import load_settings
    from spinestep.store.uow import open_store
    from spinestep.web.reminder_mail import ReminderMailer

    settings = load_settings()
    if database_url:
        settings = settings.replace(database_url=database_url)
    mailer = ReminderMailer(settings)
    if not mailer.enabled:
        raise InvalidInput("SPINESTEP_SMTP_HOST", "must name the mail server to send reminders")
    engine, uow = open_store(settings.resolved_database_url())
    try:
        report = send_due(ServiceContext(uow=uow, clock=SystemClock()), mailer)
    finally:
        engine.dispose()
    typer.echo(
        f"reminders: {report.sent} sent, {report.failed} failed, "
        f"{report.taken} already sent, {report.done} not needed (session done)"
    )
    if report.failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the application."""
    app.command("send-reminders")(send_reminders)
