"""A patient's calendar subscription: a secret link that serves their current reminders.

The link's token is the only credential, so it is long and random, shown once, and only
its SHA-256 is stored. A patient has at most one: making a new one replaces the old
(which stops working at once), and revoking it removes it. Whoever holds a valid token
reads that patient's reminders and nothing else; any other token reads nothing.
"""

from __future__ import annotations

import re

from spinestep.errors import NotFound, PermissionDenied
from spinestep.services.access import audit, load_patient
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.passwords import new_token, token_hash
from spinestep.services.record_exports import reminder_plan
from spinestep.services.record_types import ReminderPlan
from spinestep.services.records import CalendarFeedRecord, Role

#: What ``passwords.new_token`` makes (32 random bytes): 43 URL-safe characters.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def _require_self(actor: Actor) -> None:
    if actor.is_clinical:
        raise PermissionDenied("only the patient may manage their calendar subscription")


def create_feed(ctx: ServiceContext, actor: Actor, patient_id: int) -> str:
    """A new secret token for the patient's subscription, replacing any earlier one."""
    _require_self(actor)
    token = new_token()
    with ctx.uow() as uow:
        uow.lock_patient(patient_id)
        load_patient(uow, actor, patient_id)
        uow.calendar_feeds.remove(patient_id)
        uow.calendar_feeds.add(CalendarFeedRecord(patient_id, token_hash(token), ctx.clock.now()))
        audit(uow, ctx.clock, actor, "calendar_feed.create", patient_id)
        uow.commit()
    return token


def revoke_feed(ctx: ServiceContext, actor: Actor, patient_id: int) -> bool:
    """Stop the patient's subscription; False when there was none."""
    _require_self(actor)
    with ctx.uow() as uow:
        uow.lock_patient(patient_id)
        load_patient(uow, actor, patient_id)
        removed = uow.calendar_feeds.remove(patient_id)
        if removed:
            audit(uow, ctx.clock, actor, "calendar_feed.revoke", patient_id)
        uow.commit()
    return removed


def has_feed(ctx: ServiceContext, actor: Actor, patient_id: int) -> bool:
    with ctx.uow() as uow:
        load_patient(uow, actor, patient_id)
        return uow.calendar_feeds.for_patient(patient_id) is not None


def feed_reminders(ctx: ServiceContext, token: str) -> ReminderPlan:
    """The current reminders of the patient whose subscription ``token`` is; else NotFound."""
    missing = NotFound("no such calendar")
    if not _TOKEN_SHAPE.fullmatch(token):
        raise missing
    with ctx.uow() as uow:
        feed = uow.calendar_feeds.by_hash(token_hash(token))
        patient = None if feed is None else uow.patients.get(feed.patient_id)
        user = (
            None if patient is None or patient.user_id is None else uow.users.get(patient.user_id)
        )
    if feed is None or user is None or not user.active or user.role is not Role.PATIENT:
        raise missing
    try:
        return reminder_plan(ctx, Actor.for_user(user), feed.patient_id)
    except NotFound:
        raise missing from None
