"""Optional e-mail through the configured SMTP server: alerts, message notices and
password reset links.

An alert says only that an alert is waiting and where to look; a message notice says
only that a secure message is waiting and links to the messages page: no names,
scores, subjects or message text leave the installation by e-mail. A reset link goes
to the account's own address, so that the admin who made it never sees it. Without
``SPINESTEP_SMTP_HOST`` nothing is sent.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from email.message import EmailMessage

from spinestep.settings import Settings
from spinestep.web import links

logger = logging.getLogger("spinestep.web.mail")


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.sender = settings.smtp_from
        try:
            self.base_url = links.public_base(settings)
        except links.PublicUrlMissing:  # the alert still says where to look
            self.base_url = f"http://{settings.host}:{settings.port}"

    @property
    def enabled(self) -> bool:
        return bool(self.host)

    def alert_message(self, to: str, urgency: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = (
            f"spinestep: a patient needs your attention (urgency: {urgency.replace('_', ' ')})"
        )
        message.set_content(
            "A patient of yours has a new alert in spinestep that needs your attention.\n"
            f"Open the alert list: {self.base_url}/clinic/alerts\n"
        )
        return message

    def send_alert(self, to: str, urgency: str) -> None:
        """Send in the background; a failure is logged (without the address), never raised."""
        if not self.enabled:
            return
        message = self.alert_message(to, urgency)
        threading.Thread(target=self._send, args=(message,), daemon=True).start()

    def _send(self, message: EmailMessage, what: str = "alert") -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            logger.warning("%s e-mail not sent: %s", what, type(error).__name__)

    def message_waiting_message(self, to: str, for_patient: bool) -> EmailMessage:
        """The notice of a waiting secure message: the fact and a link, nothing else."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = "spinestep: you have a new message"
        page = "/messages" if for_patient else "/clinic/messages"
        message.set_content(
            "A new secure message is waiting for you in spinestep.\n"
            f"Sign in to read it: {self.base_url}{page}\n"
        )
        return message

    def send_message_waiting(self, to: str, for_patient: bool) -> None:
        """Send in the background; a failure is logged (without the address), never raised."""
        if not self.enabled:
            return
        message = self.message_waiting_message(to, for_patient)
        threading.Thread(target=self._send, args=(message, "message notice"), daemon=True).start()

    def password_reset_message(self, to: str, link: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = "spinestep: choose a new password"
        message.set_content(
            "An admin of your spinestep installation reset your account.\n"
            f"Choose your new password with this link (it works once, for 24 hours):\n{link}\n"
            "If you did not expect this, tell your clinic's admin.\n"
        )
        return message

    def send_password_reset(self, to: str, link: str) -> bool:
        """Send the reset link now; False (logged without the address) if it was not sent."""
        if not self.enabled:
            return False
        try:
            with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
                smtp.send_message(self.password_reset_message(to, link))
        except (OSError, smtplib.SMTPException) as error:
            logger.warning("password reset e-mail not sent: %s", type(error).__name__)
            return False
        return True
