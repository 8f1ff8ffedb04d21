"""Helpers shared by the service tests."""

from __future__ import annotations

from datetime import timedelta

from spinestep.domain.model import Effort, Location
from spinestep.services import onboarding, screening, sessions
from spinestep.services.context import Actor, FixedClock, ServiceContext
from spinestep.services.sessions import SessionInput
from spinestep.services.views import SessionOutcome


def onboard(
    ctx: ServiceContext,
    actor: Actor,
    time_zone: str = "Pacific/Auckland",
    **changes: object,
) -> int:
    data = onboarding.OnboardingInput(
        display_name="Ann",
        time_zone=time_zone,
        clearance=True,
        **changes,  # type: ignore[arg-type]
    )
    return onboarding.onboard(ctx, actor, data).patient_id


def easy(**changes: object) -> SessionInput:
    """An easy, not aggravating session (it qualifies for progress)."""
    values: dict[str, object] = {
        "effort": Effort.EASY,
        "pain_before": 3,
        "pain_during": 3,
        "pain_after": 2,
        "location_before": Location.THIGH,
        "location_after": Location.BUTTOCK,
        "reps": 10,
    }
    values.update(changes)
    return SessionInput(**values)  # type: ignore[arg-type]


def screen(ctx: ServiceContext, actor: Actor, patient_id: int) -> None:
    """Answer "no" to every safety question due now (a session needs this first, §3.5).

    A check counts only when taken after the previous session was stored; a fixed clock
    that has not moved since then is moved on one second first.
    """
    if isinstance(ctx.clock, FixedClock):
        with ctx.uow() as uow:
            previous = uow.sessions.last_stored_at(patient_id)
        if previous is not None and previous >= ctx.clock.now():
            ctx.clock.set(previous + timedelta(seconds=1))
    due = screening.session_questions(ctx, actor, patient_id)
    screening.record_screening(ctx, actor, patient_id, {flag.code: False for flag in due})


def screened_session(
    ctx: ServiceContext, actor: Actor, patient_id: int, entry: SessionInput, **options: object
) -> SessionOutcome:
    """The safety check, then the session, as the apps do."""
    screen(ctx, actor, patient_id)
    return sessions.record_session(ctx, actor, patient_id, entry, **options)  # type: ignore[arg-type]
