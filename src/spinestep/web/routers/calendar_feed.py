"""The patient's calendar subscription: the feed itself, and making and revoking its link.

- ``GET /calendar/{token}.ics``: public, because a calendar app cannot sign in; the
  secret token is the credential. An unknown, malformed or revoked token is 404.
- ``POST`` / ``DELETE /api/v1/me/calendar-feed``: make (or replace) and revoke the link.
- ``/my-data/calendar``: the same from the patient's pages.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from spinestep.errors import NotFound
from spinestep.interop.ical import reminders_ics
from spinestep.services import calendar_feed
from spinestep.settings import Settings
from spinestep.web.access import Anyone, Ctx, PatientScope, PatientSelf
from spinestep.web.links import PublicUrlMissing, absolute_url
from spinestep.web.pages import CheckedForm, PagesDep, redirect
from spinestep.web.schemas import error_responses

router = APIRouter()
FEED_PREFIX = "/calendar/"


class CalendarFeedOut(BaseModel):
    url: str = Field(
        description="The subscription link, shown once: whoever has it sees the reminders"
    )


def _feed_url(settings: Settings, token: str) -> str:
    return absolute_url(settings, f"{FEED_PREFIX}{token}.ics")


@router.get("/calendar/{token}.ics", include_in_schema=False)
def calendar(token: str, _: Anyone, ctx: Ctx) -> Response:
    plan = calendar_feed.feed_reminders(ctx.services, token)
    return Response(
        reminders_ics(plan, ctx.clock.now()),
        media_type="text/calendar; charset=utf-8",
    )


@router.post(
    "/api/v1/me/calendar-feed",
    status_code=201,
    responses=error_responses(401, 403, 404, 409),
    tags=["patient"],
)
def make_calendar_feed(scope: PatientSelf, ctx: Ctx) -> CalendarFeedOut:
    """A new subscription link for the patient's reminders; any earlier link stops working."""
    absolute_url(ctx.settings, FEED_PREFIX)  # no link can be made: refuse before storing
    token = calendar_feed.create_feed(ctx.services, scope.principal.actor, scope.patient_id)
    return CalendarFeedOut(url=_feed_url(ctx.settings, token))


@router.delete(
    "/api/v1/me/calendar-feed",
    status_code=204,
    responses=error_responses(401, 403, 404),
    tags=["patient"],
)
def revoke_calendar_feed(scope: PatientSelf, ctx: Ctx) -> Response:
    """Stop the subscription link; 404 when there is none."""
    if not calendar_feed.revoke_feed(ctx.services, scope.principal.actor, scope.patient_id):
        raise NotFound("there is no calendar subscription")
    return Response(status_code=204)


def _page(
    request: Request,
    scope: PatientScope,
    ctx: Ctx,
    pages: PagesDep,
    *,
    url: str | None = None,
    error: str | None = None,
) -> Response:
    active = calendar_feed.has_feed(ctx.services, scope.principal.actor, scope.patient_id)
    return pages.render(request, "patient/calendar_feed.html", active=active, url=url, error=error)


@router.get("/my-data/calendar", include_in_schema=False)
def calendar_page(request: Request, scope: PatientSelf, ctx: Ctx, pages: PagesDep) -> Response:
    return _page(request, scope, ctx, pages)


@router.post("/my-data/calendar", include_in_schema=False)
def calendar_make(
    request: Request, scope: PatientSelf, ctx: Ctx, pages: PagesDep, form: CheckedForm
) -> Response:
    try:
        absolute_url(ctx.settings, FEED_PREFIX)
    except PublicUrlMissing:
        message = "This server has no public address yet, so no link can be made."
        return _page(request, scope, ctx, pages, error=message)
    token = calendar_feed.create_feed(ctx.services, scope.principal.actor, scope.patient_id)
    return _page(request, scope, ctx, pages, url=_feed_url(ctx.settings, token))


@router.post("/my-data/calendar/revoke", include_in_schema=False)
def calendar_revoke(scope: PatientSelf, ctx: Ctx, form: CheckedForm) -> Response:
    calendar_feed.revoke_feed(ctx.services, scope.principal.actor, scope.patient_id)
    return redirect("/my-data/calendar")
