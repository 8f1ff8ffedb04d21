"""One router per resource; ``ROUTERS`` is the order they are mounted in."""

from __future__ import annotations

from fastapi import APIRouter

from spinestep.web.routers import (
    account_pages,
    admin_pages,
    api_admin,
    api_auth,
    api_care_team,
    api_clinic,
    api_demonstration,
    api_me,
    api_messages,
    api_outcomes,
    auth_pages,
    calendar_feed,
    care_team_pages,
    clinic_pages,
    download_pages,
    message_pages,
    offline_pages,
    patient_account_pages,
    patient_pages,
    questionnaire_pages,
    reminders,
    wording_packs,
)

# The patient's everyday routes first: routes are matched in this order.
ROUTERS: tuple[APIRouter, ...] = (
    patient_pages.router,
    api_me.router,
    api_demonstration.router,
    api_outcomes.router,
    api_auth.router,
    api_clinic.router,
    api_admin.router,
    auth_pages.router,
    patient_account_pages.router,
    clinic_pages.router,
    admin_pages.router,
    account_pages.router,
    questionnaire_pages.router,
    download_pages.router,
    calendar_feed.router,
    api_messages.router,
    message_pages.router,
    offline_pages.router,
    api_care_team.router,
    care_team_pages.router,
    wording_packs.router,
    reminders.router,
)
