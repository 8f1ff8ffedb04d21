"""The patient's onboarding, shared by the page and the API."""

from __future__ import annotations

from dataclasses import dataclass

from spinestep.domain.model import EmergencyNumber
from spinestep.domain.redflags import flags_for_onboarding
from spinestep.errors import Conflict, InvalidInput
from spinestep.protocols import builtin_protocols
from spinestep.services import onboarding, portal, programme, screening
from spinestep.services.onboarding import OnboardingInput
from spinestep.services.records import FlagSource
from spinestep.services.screening import ScreeningOutcome
from spinestep.services.views import TodayView
from spinestep.web.access import PatientScope
from spinestep.web.context import WebContext
from spinestep.web.principal import Principal


@dataclass(frozen=True, slots=True)
class NewProfile:
    """What a self-managed person tells about themself when no clinician set them up."""

    display_name: str
    time_zone: str
    emergency_number: str
    protocol: str
    clearance_confirmed: bool


def onboard_account(
    ctx: WebContext,
    principal: Principal,
    profile_id: int | None,
    answers: dict[str, bool],
    profile: NewProfile | None,
) -> ScreeningOutcome | None:
    """Store the onboarding answers; create the profile first when the account has none."""
    expected = {flag.code for flag in flags_for_onboarding()}
    missing = sorted(expected - answers.keys())
    if missing:
        raise InvalidInput(f"red_flag_answers.{missing[0]}", "answer every onboarding question")
    if profile_id is not None:
        if portal.onboarding_screened(ctx.services, principal.actor, profile_id):
            raise Conflict("the onboarding questions have already been answered")
        return screening.record_screening(
            ctx.services, principal.actor, profile_id, answers, FlagSource.ONBOARDING
        )
    if profile is None:
        raise InvalidInput("display_name", "is required to create your profile")
    if profile.protocol not in builtin_protocols():
        raise InvalidInput("protocol", "choose one of the programmes")
    if profile.emergency_number not in {e.value for e in EmergencyNumber}:
        raise InvalidInput("emergency_number", "must be 112, 999 or 911")
    outcome = onboarding.onboard(
        ctx.services,
        principal.actor,
        OnboardingInput(
            display_name=profile.display_name,
            time_zone=profile.time_zone,
            clearance=profile.clearance_confirmed,
            emergency_number=EmergencyNumber(profile.emergency_number),
            protocol_id=profile.protocol,
            red_flag_answers=answers,
            user_id=principal.user_id,
            self_managed=True,
        ),
    )
    return outcome.screening


def own_today(ctx: WebContext, scope: PatientScope) -> TodayView:
    """The patient's own Today view (NotFound without a programme)."""
    return programme.today(ctx.services, scope.principal.actor, scope.patient_id)


def onboarded(ctx: WebContext, scope: PatientScope) -> bool:
    """Whether the onboarding questions were answered (read with the account if it was)."""
    if scope.onboarded is not None:
        return scope.onboarded
    return portal.onboarding_screened(ctx.services, scope.principal.actor, scope.patient_id)
