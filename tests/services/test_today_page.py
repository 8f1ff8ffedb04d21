"""The Today page's one read (``portal.today_page``) gives what its separate use cases give:
the questionnaires due (``questionnaire_tracking.questionnaires_due``), the care team
(``care_team.care_team``) and the unread messages
(``messages.unread_count``); the Today view's part is checked by the Today tests and the
statement counts (``tests/web/test_query_counts.py``). Each step
below changes one input of the page and compares, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from spinestep.services import (
    accounts,
    care_team,
    messages,
    portal,
    programme,
    questionnaire_tracking,
)
from spinestep.services.context import Actor, FixedClock, ServiceContext, identified
from tests.services.message_support import Clinic, make_clinic


def _same_as_the_use_cases(ctx: ServiceContext, actor: Actor, patient_id: int) -> int:
    """Check the page against the use cases one by one; the page's unread count."""
    page = portal.today_page(ctx, identified(actor, patient_id))
    assert page.team == care_team.care_team(ctx, actor, patient_id)
    assert page.unread == messages.unread_count(ctx, actor, patient_id)
    assert page.due == questionnaire_tracking.questionnaires_due(ctx, actor, patient_id)
    assert page.today is None  # these patients have no programme yet
    return page.unread


def test_the_page_follows_contacts_messages_and_the_clinicians_account(
    ctx: ServiceContext, clock: FixedClock
) -> None:
    clinic: Clinic = make_clinic(ctx)
    patient, pid = clinic.patient, clinic.patient_id

    # Nothing set: emergency number and the clinician's name, nothing unread.
    assert _same_as_the_use_cases(ctx, patient, pid) == 0
    page = portal.today_page(ctx, identified(patient, pid))
    assert [c.name for c in page.team.clinicians] == ["Dr Lee"]
    assert page.team.clinic.empty and page.team.clinicians[0].details.empty

    # Contact details of the clinic and of the clinician (another clinician's not shown).
    care_team.set_clinic_contacts(ctx, clinic.admin, "+44 20 7946 0000", None, "8-18")
    care_team.set_own_contacts(ctx, clinic.clinician, None, "lee@example.org", None)
    care_team.set_own_contacts(ctx, clinic.other_clinician, "+44 20 7946 0009", None, None)
    _same_as_the_use_cases(ctx, patient, pid)
    page = portal.today_page(ctx, identified(patient, pid))
    assert page.team.clinic.phone == "+44 20 7946 0000"
    assert page.team.clinicians[0].details.email == "lee@example.org"
    assert page.team.clinicians[0].details.phone is None

    # Messages: the clinician writes twice in one thread and once in another; the
    # patient's own message is never unread to them; reading one thread clears it.
    first = messages.start_thread(ctx, clinic.clinician, pid, "Check-in", "How is it?")
    clock.set(clock.now() + timedelta(minutes=1))
    messages.reply(ctx, clinic.clinician, pid, first.thread_id, "And the pain?")
    second = messages.start_thread(ctx, clinic.clinician, pid, "Plan", "Next week: stage 2.")
    messages.reply(ctx, patient, pid, second.thread_id, "Thanks")
    assert _same_as_the_use_cases(ctx, patient, pid) == 2  # the reply marks `second` read
    messages.open_thread(ctx, patient, pid, first.thread_id)
    assert _same_as_the_use_cases(ctx, patient, pid) == 0
    # The other patient's page does not count this patient's messages.
    assert _same_as_the_use_cases(ctx, clinic.alone, clinic.alone_id) == 0

    # The clinician's account deactivated: no longer shown, the clinic still is.
    accounts.set_active(ctx, clinic.admin, clinic.clinician.user_id or 0, False)
    _same_as_the_use_cases(ctx, patient, pid)
    page = portal.today_page(ctx, identified(patient, pid))
    assert page.team.clinicians == () and page.team.clinic.phone == "+44 20 7946 0000"


def test_who_takes_no_part_in_conversations_sees_no_unread_count(ctx: ServiceContext) -> None:
    clinic = make_clinic(ctx)
    messages.start_thread(ctx, clinic.patient, clinic.patient_id, "Knee", "It aches.")
    # The clinician has one unread; an admin is shown none (the rule of unread_count).
    assert _same_as_the_use_cases(ctx, clinic.clinician, clinic.patient_id) == 1
    assert portal.today_page(ctx, identified(clinic.admin, clinic.patient_id)).unread == 0
    assert messages.message_reader(clinic.admin) is None
    # The hot read counts only the reader it is given: none without one.
    with ctx.uow() as uow:
        day = programme.read_day(uow, clinic.clinician, clinic.patient_id, ctx.clock.now())
    assert day.unread == 0
