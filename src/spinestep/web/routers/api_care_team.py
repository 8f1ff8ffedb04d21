"""API for the care team's contact details: the clinic's (admins), a clinician's own, and
whom a patient contacts (``GET /api/v1/me/care-team``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field, StringConstraints

from spinestep.domain.contacts import ContactDetails
from spinestep.services import care_team
from spinestep.web.access import AdminOnly, ClinicianOnly, Ctx, PatientSelf
from spinestep.web.care_contacts import details_json, team_json
from spinestep.web.schemas import Strict, error_responses

router = APIRouter(tags=["care team"])
#: Long enough for any value the service accepts; the service says what is wrong.
_Given = Annotated[str | None, StringConstraints(max_length=1000)]


class ContactsIn(Strict):
    """Contact details; a missing, null or empty field clears that detail."""

    phone: _Given = Field(None, description="Digits, spaces and + ( ) - . /; 3+ digits, max 40")
    email: _Given = Field(None, description="An e-mail address, max 254 characters")
    hours: _Given = Field(None, description="Free text, max 200 characters")


class ContactsOut(BaseModel):
    phone: str | None
    email: str | None
    hours: str | None


class ClinicianContactOut(ContactsOut):
    name: str


class CareTeamOut(BaseModel):
    """Whom the patient contacts, in this order: emergency number, clinician(s), clinic."""

    emergency_number: str
    clinicians: list[ClinicianContactOut]
    clinic: ContactsOut | None


def _out(details: ContactDetails) -> ContactsOut:
    return ContactsOut(**details_json(details))


@router.get(
    "/api/v1/me/care-team", response_model=CareTeamOut, responses=error_responses(401, 403, 404)
)
def my_care_team(scope: PatientSelf, ctx: Ctx) -> CareTeamOut:
    team = care_team.care_team(ctx.services, scope.principal.actor, scope.patient_id)
    return CareTeamOut.model_validate(team_json(team))


@router.get(
    "/api/v1/admin/clinic-contacts", response_model=ContactsOut, responses=error_responses(401, 403)
)
def get_clinic_contacts(principal: AdminOnly, ctx: Ctx) -> ContactsOut:
    return _out(care_team.clinic_contacts(ctx.services, principal.actor))


@router.put(
    "/api/v1/admin/clinic-contacts",
    response_model=ContactsOut,
    responses=error_responses(401, 403, 422),
)
def put_clinic_contacts(body: ContactsIn, principal: AdminOnly, ctx: Ctx) -> ContactsOut:
    """Replace the clinic's phone, e-mail and hours (audited)."""
    saved = care_team.set_clinic_contacts(
        ctx.services, principal.actor, body.phone, body.email, body.hours
    )
    return _out(saved)


@router.get(
    "/api/v1/account/contacts", response_model=ContactsOut, responses=error_responses(401, 403)
)
def get_own_contacts(principal: ClinicianOnly, ctx: Ctx) -> ContactsOut:
    return _out(care_team.own_contacts(ctx.services, principal.actor))


@router.put(
    "/api/v1/account/contacts",
    response_model=ContactsOut,
    responses=error_responses(401, 403, 422),
)
def put_own_contacts(body: ContactsIn, principal: ClinicianOnly, ctx: Ctx) -> ContactsOut:
    """Replace the signed-in clinician's own phone, e-mail and hours (audited)."""
    saved = care_team.set_own_contacts(
        ctx.services, principal.actor, body.phone, body.email, body.hours
    )
    return _out(saved)
