"""Helpers shared by the service tests."""

from __future__ import annotations

from spinestep.domain.model import Effort, Location
from spinestep.services import onboarding
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.sessions import SessionInput


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
