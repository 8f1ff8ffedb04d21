"""The care team's contact details as the pages and the API show them.

``team_values`` gives the ``care_contacts`` macro (``templates/patient/_contacts.html``)
what it shows, in order: the emergency number, the patient's clinician, the clinic.
"""

from __future__ import annotations

from typing import Any

from spinestep.domain.contacts import ContactDetails
from spinestep.services.care_team import CareTeam, care_team
from spinestep.web.access import PatientScope
from spinestep.web.context import WebContext


def details_json(details: ContactDetails) -> dict[str, str | None]:
    return {"phone": details.phone, "email": details.email, "hours": details.hours}


def _details_values(details: ContactDetails) -> dict[str, Any]:
    return {**details_json(details), "phone_link": details.phone_link}


def team_values(team: CareTeam) -> dict[str, Any]:
    """What the ``care_contacts`` macro shows; ``any_details`` is False when nobody set
    any contact details (the pages then say whom to contact as they always did)."""
    clinicians = [{"name": c.name, **_details_values(c.details)} for c in team.clinicians]
    return {
        "emergency_number": team.emergency_number.value,
        "clinicians": clinicians,
        "clinic": None if team.clinic.empty else _details_values(team.clinic),
        "any_details": not team.clinic.empty or any(not c.details.empty for c in team.clinicians),
    }


def team_json(team: CareTeam) -> dict[str, Any]:
    return {
        "emergency_number": team.emergency_number.value,
        "clinicians": [{"name": c.name, **details_json(c.details)} for c in team.clinicians],
        "clinic": None if team.clinic.empty else details_json(team.clinic),
    }


def patient_team(ctx: WebContext, scope: PatientScope) -> dict[str, Any]:
    """The ``team`` value of a patient's page: whom this patient contacts."""
    return team_values(care_team(ctx.services, scope.principal.actor, scope.patient_id))
