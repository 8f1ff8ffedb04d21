"""One router per resource; ``ROUTERS`` is the order they are mounted in."""

from __future__ import annotations

from fastapi import APIRouter

from spinestep.web.routers import (
    admin_pages,
    api_admin,
    api_auth,
    api_clinic,
    api_me,
    auth_pages,
    clinic_pages,
    patient_account_pages,
    patient_pages,
)

# The patient's everyday routes first: routes are matched in this order.
ROUTERS: tuple[APIRouter, ...] = (
    patient_pages.router,
    api_me.router,
    api_auth.router,
    api_clinic.router,
    api_admin.router,
    auth_pages.router,
    patient_account_pages.router,
    clinic_pages.router,
    admin_pages.router,
)
