"""Optional alert e-mail to a clinician through the configured SMTP server.

The message says only that an alert is waiting and where to look: no names, scores or
free text leave the installation by e-mail. Without ``SPINESTEP_SMTP_HOST`` nothing is sent.
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

    def _send(self, message: EmailMessage) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            logger.warning("alert e-mail not sent: %s", type(error).__name__)
