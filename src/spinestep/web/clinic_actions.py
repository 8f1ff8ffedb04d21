"""The clinician's changes shared by pages and API: prescribe/adjust a plan, invite a patient."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from starlette.datastructures import FormData

from spinestep.domain.model import (
    DirectionalPreference,
    Dose,
    EmergencyNumber,
    Location,
    Phase,
    RuleSettings,
)
from spinestep.errors import InvalidInput
from spinestep.services import accounts, clinician, onboarding
from spinestep.services.accounts import IssuedInvite
from spinestep.services.deciding import current_dose, effective_dose, protocol_of, rule_settings
from spinestep.services.onboarding import OnboardingInput
from spinestep.services.records import OutcomeMeasure, Role
from spinestep.web import forms, links
from spinestep.web.access import PatientScope
from spinestep.web.context import WebContext
from spinestep.web.principal import Principal


@dataclass(frozen=True, slots=True)
class PlanUpdate:
    """What a clinician changes; ``None`` leaves a value as it is. ``reason`` is the
    clinician's own words, kept with the events of the change."""

    protocol: str | None = None
    stage: int | None = None
    dose: Dose | None = None
    progress_after_sessions: int | None = None
    min_days_at_stage: int | None = None
    worsening_points: int | None = None
    progress_max_pain: int | None = None
    progress_max_location: Location | None = None
    maintenance_sessions_per_day: int | None = None
    clearance: bool | None = None
    directional_preference: DirectionalPreference | None = None
    outcome_measure: OutcomeMeasure | None = None
    psfs_enabled: bool | None = None
    phase: Phase | None = None
    reason: str | None = None


def plan_update_from_form(form: FormData) -> PlanUpdate:
    preference = forms.text(form, "directional_preference", max_chars=20)
    if preference not in {p.value for p in DirectionalPreference}:
        raise InvalidInput("directional_preference", "choose flexion, extension or unknown")
    hold_min = forms.integer(form, "hold_min", 0, 600, "shortest hold")
    hold_max = forms.integer(form, "hold_max", 0, 600, "longest hold")
    if hold_min > hold_max:
        raise InvalidInput("hold_min", "the shortest hold must not be longer than the longest")
    measure = forms.text(form, "outcome_measure", max_chars=10) or OutcomeMeasure.ODI.value
    if measure not in {m.value for m in OutcomeMeasure}:
        raise InvalidInput("outcome_measure", "choose ODI or RMDQ")
    after = forms.integer(form, "progress_after_sessions", 1, 50, "qualifying sessions")
    days = forms.integer(form, "min_days_at_stage", 1, 50, "different days needed")
    if days > after:
        raise InvalidInput(
            "min_days_at_stage",
            f"the different days needed must be 1-{after}: no more than the qualifying sessions",
        )
    location = forms.text(form, "progress_max_location", max_chars=20)
    if location and location not in Location.codes():
        raise InvalidInput(
            "progress_max_location",
            f"choose how far symptoms may reach: one of {', '.join(Location.codes())}",
        )
    phase = forms.text(form, "phase", max_chars=20)
    if phase and phase not in {p.value for p in Phase}:
        raise InvalidInput("phase", "choose progression or maintenance")
    return PlanUpdate(
        protocol=forms.text(form, "protocol", max_chars=64) or None,
        stage=forms.integer(form, "current_stage", 1, 20, "stage"),
        dose=Dose(
            reps=forms.integer(form, "reps", 1, 100, "number of repetitions"),
            hold_s_min=hold_min,
            hold_s_max=hold_max,
            sessions_per_day=forms.integer(form, "sessions_per_day", 1, 24, "sessions a day"),
        ),
        progress_after_sessions=after,
        min_days_at_stage=days,
        worsening_points=forms.integer(form, "worsening_points", 1, 10, "worsening points"),
        progress_max_pain=_optional(
            form, "progress_max_pain", 0, 10, "highest pain that still qualifies"
        ),
        progress_max_location=Location.from_code(location) if location else None,
        maintenance_sessions_per_day=_optional(
            form, "maintenance_sessions_per_day", 1, 12, "maintenance sessions a day"
        ),
        clearance=forms.checked(form, "clearance"),
        directional_preference=DirectionalPreference(preference),
        outcome_measure=OutcomeMeasure(measure),
        psfs_enabled=forms.checked(form, "psfs_enabled"),
        phase=Phase(phase) if phase else None,
        reason=forms.text(form, "reason", max_chars=2000) or None,
    )


def _optional(form: FormData, name: str, low: int, high: int, label: str) -> int | None:
    """A number field that may be left out (the current value stays)."""
    if not forms.text(form, name, max_chars=12):
        return None
    return forms.integer(form, name, low, high, label)


def _wanted_settings(current: RuleSettings, update: PlanUpdate) -> RuleSettings:
    """The rule settings after ``update``: each value given replaces the current one."""
    given = {
        setting.name: getattr(update, setting.name)
        for setting in fields(RuleSettings)
        if getattr(update, setting.name) is not None
    }
    return replace(current, **given)


def apply_plan_update(ctx: WebContext, scope: PatientScope, update: PlanUpdate) -> None:
    """Prescribe a new programme when the protocol changes (or none exists), else adjust it."""
    actor = scope.principal.actor
    with ctx.uow() as uow:
        assignment = uow.assignments.current_for(scope.patient_id)
    current = RuleSettings() if assignment is None else rule_settings(assignment)
    wanted = _wanted_settings(current, update)
    if assignment is None or (update.protocol and update.protocol != assignment.protocol_id):
        protocol_id = update.protocol or "lumbar-flexion"
        clinician.prescribe(
            ctx.services,
            actor,
            scope.patient_id,
            protocol_id,
            update.stage or 1,
            directional_preference=update.directional_preference or DirectionalPreference.UNKNOWN,
            clearance=bool(update.clearance),
            settings=wanted,
            outcome_measure=update.outcome_measure or OutcomeMeasure.ODI,
            psfs_enabled=bool(update.psfs_enabled),
            note=update.reason,
        )
        if update.dose is not None:
            clinician.adjust(
                ctx.services,
                actor,
                scope.patient_id,
                doses={update.stage or 1: update.dose},
                note=update.reason,
            )
        return
    phase = update.phase if update.phase is not assignment.phase else None
    maintenance = (phase or assignment.phase) is Phase.MAINTENANCE
    stage = update.stage if update.stage != assignment.current_stage else None
    if maintenance:
        stage = None  # in maintenance the exercise is the protocol's maintenance stage
    doses: dict[int, Dose | None] | None = None
    if update.dose is not None and update.dose != current_dose(assignment):
        if maintenance:
            # Reps and hold belong to the maintenance stage; its sessions a day are the
            # maintenance setting.
            protocol = protocol_of(assignment)
            number = protocol.maintenance_stage
            own = effective_dose(protocol, assignment, number)
            shown = current_dose(assignment)
            if update.dose.sessions_per_day != shown.sessions_per_day:
                wanted = replace(wanted, maintenance_sessions_per_day=update.dose.sessions_per_day)
            dose = replace(update.dose, sessions_per_day=own.sessions_per_day)
            if dose != own:
                doses = {number: dose}
        else:
            doses = {update.stage or assignment.current_stage: update.dose}
    clearance = update.clearance if update.clearance != assignment.clearance else None
    preference = update.directional_preference
    if preference == assignment.directional_preference:
        preference = None
    clinician.adjust(
        ctx.services,
        actor,
        scope.patient_id,
        stage=stage,
        doses=doses,
        settings=wanted if wanted != current else None,
        clearance=clearance,
        directional_preference=preference,
        outcome_measure=update.outcome_measure,
        psfs_enabled=update.psfs_enabled,
        phase=phase,
        note=update.reason,
    )


def invite_patient(
    ctx: WebContext,
    principal: Principal,
    *,
    email: str,
    display_name: str,
    time_zone: str,
    emergency_number: str,
) -> IssuedInvite:
    """Create the patient's profile (not yet cleared) and a one-time link to claim it.

    Refused (``PublicUrlMissing``) before anything is stored when no link that works can
    be made: see ``links.public_base``.
    """
    links.public_base(ctx.settings)
    accounts.normalise_email(email)
    if emergency_number not in {e.value for e in EmergencyNumber}:
        raise InvalidInput("emergency_number", "must be 112, 999 or 911")
    outcome = onboarding.onboard(
        ctx.services,
        principal.actor,
        OnboardingInput(
            display_name=display_name,
            time_zone=time_zone,
            clearance=False,
            emergency_number=EmergencyNumber(emergency_number),
            clinician_id=principal.user_id,
            self_managed=False,
        ),
    )
    return accounts.create_invite(
        ctx.services, principal.actor, email, Role.PATIENT, patient_id=outcome.patient_id
    )
