"""Reminder e-mails through the configured SMTP server (``SPINESTEP_SMTP_*``).

A reminder says only that it is time for a spinestep session and where to go: no
stage, exercise, pain, condition or name. Every reminder carries its own unsubscribe
link, in the body and as ``List-Unsubscribe`` with ``List-Unsubscribe-Post:
List-Unsubscribe=One-Click`` (RFC 8058), so a mail program can stop the reminders
with one click, without signing in.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from spinestep.services.reminder_ports import ReminderMode
from spinestep.services.reminders import ReminderMail
from spinestep.settings import Settings
from spinestep.web import links

logger = logging.getLogger("spinestep.web.reminder_mail")

UNSUBSCRIBE_PREFIX = "/reminders/unsubscribe/"
SETTINGS_PATH = "/account/reminders"


def base_url(settings: Settings) -> str:
    """The public address for links; without one, the address the server listens on."""
    try:
        return links.public_base(settings)
    except links.PublicUrlMissing:
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        return f"http://{host}:{settings.port}"


class ReminderMailer:
    """Sends reminder e-mails now (the caller is a background task or a command)."""

    def __init__(self, settings: Settings) -> None:
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.sender = settings.smtp_from
        self.base_url = base_url(settings)

    @property
    def enabled(self) -> bool:
        return bool(self.host)

    def unsubscribe_url(self, token: str) -> str:
        return f"{self.base_url}{UNSUBSCRIBE_PREFIX}{token}"

    def message(self, mail: ReminderMail) -> EmailMessage:
        unsubscribe = self.unsubscribe_url(mail.unsubscribe_token)
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain="spinestep.invalid")
        message["Auto-Submitted"] = "auto-generated"
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        if mail.mode is ReminderMode.DAILY_SUMMARY:
            message["Subject"] = "Your spinestep sessions today"
            opening = "This is your daily reminder of today's spinestep sessions."
        else:
            message["Subject"] = "Time for your spinestep session"
            opening = "It is time for your spinestep session."
        message.set_content(
            f"{opening}\n"
            f"Open spinestep: {self.base_url}/today\n"
            "\n"
            "You get this e-mail because you turned on e-mail reminders.\n"
            f"Change them: {self.base_url}{SETTINGS_PATH}\n"
            f"Stop them: {unsubscribe}\n"
        )
        return message

    def send_reminder(self, mail: ReminderMail) -> bool:
        """Send now; False (logged without the address) when it was not sent."""
        if not self.enabled:
            return False
        try:
            with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
                smtp.send_message(self.message(mail))
        except (OSError, smtplib.SMTPException) as error:
            logger.warning("reminder e-mail not sent: %s", type(error).__name__)
            return False
        return True
