"""After a message is stored: tell the other side by e-mail that a message is waiting
(only when an SMTP server is configured; the notice holds a link and nothing else)."""

from __future__ import annotations

from spinestep.services.messages import SendOutcome
from spinestep.web.context import WebContext


def notify_recipients(ctx: WebContext, outcome: SendOutcome) -> None:
    if ctx.mailer is None or not ctx.mailer.enabled:
        return
    for recipient in outcome.notify:
        ctx.mailer.send_message_waiting(recipient.email, recipient.is_patient)
