"""Secure messages (``services.messages``) on SQLite and PostgreSQL: who takes part,
unread counts per reader, bounds, the hourly limit, decisions, and deletion."""

from __future__ import annotations

from datetime import timedelta

import pytest

from spinestep.domain.model import Decision, Urgency
from spinestep.errors import (
    Conflict,
    InvalidInput,
    MessageLimitReached,
    NotFound,
    PermissionDenied,
)
from spinestep.services import messages, privacy
from spinestep.services.context import Actor, FixedClock, ServiceContext
from spinestep.services.records import StoredDecision
from tests.services.message_support import Clinic, make_clinic


@pytest.fixture
def clinic(ctx: ServiceContext) -> Clinic:
    return make_clinic(ctx)


def test_patient_and_their_clinician_write_and_read_one_thread(
    ctx: ServiceContext, clinic: Clinic
) -> None:
    sent = messages.start_thread(ctx, clinic.patient, clinic.patient_id, "My knee", "It aches.")
    assert messages.unread_count(ctx, clinic.clinician, clinic.patient_id) == 1
    assert messages.unread_count(ctx, clinic.patient, clinic.patient_id) == 0
    messages.reply(ctx, clinic.clinician, clinic.patient_id, sent.thread_id, "Rest today.")
    seen = messages.open_thread(ctx, clinic.patient, clinic.patient_id, sent.thread_id)
    assert [(m.body, m.from_patient, m.mine) for m in seen.messages] == [
        ("It aches.", True, True),
        ("Rest today.", False, False),
    ]
    assert seen.messages[1].author_name == "Dr Lee"
    assert seen.thread.subject == "My knee"
    assert messages.unread_count(ctx, clinic.patient, clinic.patient_id) == 0
    # Replying counts as having seen the thread up to one's own message.
    summaries = messages.threads(ctx, clinic.clinician, clinic.patient_id)
    assert [(s.messages, s.unread) for s in summaries] == [(2, 0)]


def test_unread_counts_follow_each_reader_and_each_thread(
    ctx: ServiceContext, clinic: Clinic, clock: FixedClock
) -> None:
    first = messages.start_thread(ctx, clinic.patient, clinic.patient_id, "One", "a")
    clock.set(clock.now() + timedelta(minutes=1))
    second = messages.start_thread(ctx, clinic.patient, clinic.patient_id, "Two", "b")
    messages.reply(ctx, clinic.patient, clinic.patient_id, second.thread_id, "c")
    assert messages.unread_count(ctx, clinic.clinician, clinic.patient_id) == 3
    messages.open_thread(ctx, clinic.clinician, clinic.patient_id, second.thread_id)
    assert messages.unread_count(ctx, clinic.clinician, clinic.patient_id) == 1
    listed = messages.threads(ctx, clinic.clinician, clinic.patient_id)
    assert [(s.thread.id, s.unread) for s in listed] == [
        (second.thread_id, 0),
        (first.thread_id, 1),
    ]
    with ctx.uow() as uow:
        assert messages.caseload_unread(uow, clinic.clinician.user_id or 0) == {
            clinic.patient_id: 1
        }
        assert messages.caseload_unread(uow, clinic.other_clinician.user_id or 0) == {}
    inbox = messages.inbox(ctx, clinic.clinician)
    assert [(e.patient_name, e.summary.thread.id, e.summary.unread) for e in inbox] == [
        ("Pat Example", first.thread_id, 1),
        ("Pat Example", second.thread_id, 0),
    ]


def test_only_the_patient_and_their_clinician_take_part(
    ctx: ServiceContext, clinic: Clinic
) -> None:
    sent = messages.start_thread(ctx, clinic.patient, clinic.patient_id, "Hello", "Hi")
    with pytest.raises(NotFound):
        messages.threads(ctx, clinic.other_clinician, clinic.patient_id)
    with pytest.raises(NotFound):
        messages.open_thread(ctx, clinic.other_clinician, clinic.patient_id, sent.thread_id)
    with pytest.raises(NotFound):
        messages.reply(ctx, clinic.other_clinician, clinic.patient_id, sent.thread_id, "x")
    with pytest.raises(NotFound):
        messages.threads(ctx, clinic.alone, clinic.patient_id)
    with pytest.raises(PermissionDenied):
        messages.open_thread(ctx, clinic.admin, clinic.patient_id, sent.thread_id)
    with pytest.raises(PermissionDenied):
        messages.threads(ctx, Actor.local_person(), clinic.patient_id)
    # A thread is reached only through its own patient.
    with pytest.raises(NotFound):
        messages.open_thread(ctx, clinic.alone, clinic.alone_id, sent.thread_id)
    with pytest.raises(PermissionDenied):
        messages.inbox(ctx, clinic.patient)
    assert messages.unread_count(ctx, clinic.admin, clinic.patient_id) == 0


def test_a_patient_without_a_clinician_has_no_one_to_write_to(
    ctx: ServiceContext, clinic: Clinic
) -> None:
    with pytest.raises(Conflict, match="no clinician"):
        messages.start_thread(ctx, clinic.alone, clinic.alone_id, "Hello", "Hi")


@pytest.mark.parametrize(
    ("subject", "body", "path"),
    [
        ("", "text", "subject"),
        ("x" * (messages.SUBJECT_MAX_CHARS + 1), "text", "subject"),
        ("Two\nlines", "text", "subject"),
        ("Fine", "   ", "text"),
        ("Fine", "y" * (messages.BODY_MAX_CHARS + 1), "text"),
        ("Fine", "bell \x07", "text"),
        ("Fine", "escape \x1b[31m", "text"),
        ("Fine", "override \u202e", "text"),
    ],
)
def test_subject_and_body_are_bounded_and_printable(
    ctx: ServiceContext, clinic: Clinic, subject: str, body: str, path: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        messages.start_thread(ctx, clinic.patient, clinic.patient_id, subject, body)
    assert refused.value.path == path
    assert messages.threads(ctx, clinic.patient, clinic.patient_id) == []


def test_text_is_stored_in_nfc_with_line_breaks_kept(ctx: ServiceContext, clinic: Clinic) -> None:
    body = "Cafe\u0301\r\nsecond line\tend " * 1
    sent = messages.start_thread(ctx, clinic.patient, clinic.patient_id, " Cafe\u0301 ", body)
    seen = messages.open_thread(ctx, clinic.patient, clinic.patient_id, sent.thread_id)
    assert seen.thread.subject == "Caf\u00e9"
    assert seen.messages[0].body == "Caf\u00e9\nsecond line\tend"


def test_an_author_sends_at_most_the_hourly_limit(
    ctx: ServiceContext, clinic: Clinic, clock: FixedClock
) -> None:
    sent = messages.start_thread(ctx, clinic.patient, clinic.patient_id, "S", "1", per_hour=3)
    for n in (2, 3):
        messages.reply(ctx, clinic.patient, clinic.patient_id, sent.thread_id, str(n), per_hour=3)
    with pytest.raises(MessageLimitReached, match="at most 3 messages an hour"):
        messages.reply(ctx, clinic.patient, clinic.patient_id, sent.thread_id, "4", per_hour=3)
    # Another author has their own count; the next clock hour starts a new one.
    messages.reply(ctx, clinic.clinician, clinic.patient_id, sent.thread_id, "ok", per_hour=3)
    clock.set(clock.now().replace(minute=0) + timedelta(hours=1))
    messages.reply(ctx, clinic.patient, clinic.patient_id, sent.thread_id, "5", per_hour=3)
    seen = messages.open_thread(ctx, clinic.patient, clinic.patient_id, sent.thread_id)
    assert [m.body for m in seen.messages] == ["1", "2", "3", "ok", "5"]


def _decision(ctx: ServiceContext, patient_id: int, clock: FixedClock) -> int:
    with ctx.uow() as uow:
        stored = uow.decisions.add(
            StoredDecision(
                session_id=None,
                patient_id=patient_id,
                assignment_id=None,
                made_at=clock.now(),
                decision=Decision.STAY,
                urgency=Urgency.NONE,
                current_stage=1,
                next_stage=1,
                reasons=[],
                message="Stay at this stage.",
                dose=None,
                responses=None,
                inputs={},
                rules_version="test",
            )
        )
        uow.commit()
    assert stored.id is not None
    return stored.id


def test_a_clinician_attaches_a_message_to_a_decision_of_their_patient(
    ctx: ServiceContext, clinic: Clinic, clock: FixedClock
) -> None:
    decision_id = _decision(ctx, clinic.patient_id, clock)
    other_id = _decision(ctx, clinic.alone_id, clock)
    sent = messages.start_thread(
        ctx,
        clinic.clinician,
        clinic.patient_id,
        "Your stage",
        "Well done.",
        decision_id=decision_id,
    )
    assert sent.message.decision_id == decision_id
    with pytest.raises(NotFound):
        messages.reply(
            ctx, clinic.clinician, clinic.patient_id, sent.thread_id, "x", decision_id=other_id
        )
    with pytest.raises(PermissionDenied):
        messages.reply(
            ctx, clinic.patient, clinic.patient_id, sent.thread_id, "x", decision_id=decision_id
        )
    with ctx.uow() as uow:
        attached = uow.messages.for_decisions([decision_id])
    assert [m.body for m in attached] == ["Well done."]


def test_a_notice_goes_to_the_other_side_once_per_unseen_burst(
    ctx: ServiceContext, clinic: Clinic
) -> None:
    sent = messages.start_thread(ctx, clinic.patient, clinic.patient_id, "S", "1")
    assert [(r.email, r.is_patient) for r in sent.notify] == [("dr.lee@example.org", False)]
    again = messages.reply(ctx, clinic.patient, clinic.patient_id, sent.thread_id, "2")
    assert again.notify == ()
    answer = messages.reply(ctx, clinic.clinician, clinic.patient_id, sent.thread_id, "3")
    assert [(r.email, r.is_patient) for r in answer.notify] == [("pat@example.org", True)]
    messages.open_thread(ctx, clinic.clinician, clinic.patient_id, sent.thread_id)
    later = messages.reply(ctx, clinic.patient, clinic.patient_id, sent.thread_id, "4")
    assert len(later.notify) == 1


def test_messages_are_exported_and_deleted_with_the_account(
    ctx: ServiceContext, clinic: Clinic
) -> None:
    sent = messages.start_thread(ctx, clinic.patient, clinic.patient_id, "Subject", "Body text")
    messages.reply(ctx, clinic.clinician, clinic.patient_id, sent.thread_id, "Answer")
    exported = privacy.export_patient_data(ctx, clinic.patient, clinic.patient_id)
    assert [t["subject"] for t in exported["message_threads"]] == ["Subject"]
    assert [(m["body"], m["author_role"]) for m in exported["messages"]] == [
        ("Body text", "patient"),
        ("Answer", "clinician"),
    ]
    outcome = privacy.delete_account(ctx, clinic.patient, clinic.patient_id)
    assert outcome.request_id is not None
    privacy.carry_out_deletion(ctx, clinic.admin, outcome.request_id)
    with ctx.uow() as uow:
        assert uow.messages.for_patient(clinic.patient_id) == []
        assert uow.messages.threads_for_patient(clinic.patient_id) == []
        assert uow.messages.unread_by_patient(clinic.clinician.user_id or 0) == {}
