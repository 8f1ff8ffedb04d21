"""After a patient's session or safety check: e-mail their clinician about emergencies, urgent
flags and stops (only when an SMTP server is configured)."""

from __future__ import annotations

from spinestep.domain.model import Decision
from spinestep.services import dashboard
from spinestep.services.views import DecisionView
from spinestep.web.context import WebContext

_ALERTING = frozenset({Decision.EMERGENCY, Decision.URGENT_REFERRAL, Decision.STOP})


def notify_clinician(ctx: WebContext, patient_id: int, decision: DecisionView | None) -> None:
    if decision is None or decision.decision not in _ALERTING:
        return
    if ctx.mailer is None or not ctx.mailer.enabled:
        return
    address = dashboard.clinician_email(ctx.services, patient_id)
    if address is not None:
        ctx.mailer.send_alert(address, decision.urgency.value)
