"""Recording an exercise session, and "stop now" (SPEC §3.1, §3.5).

One unit of work per saved session: the session row, its decision (with inputs and
rules version) and the programme's new stage or pause state are committed together,
so an interrupted write leaves nothing half-saved. The unit of work first takes the
patient's write lock and then reads the programme, so concurrent sessions, stop-nows,
resumes and plan changes end as some one-at-a-time order would (SPEC §3.5).

An idempotency key (1-100 printable ASCII characters, per patient) makes a retry safe:
a key seen before returns the first answer and stores nothing new.

A local day holds at most ``3 × sessions_per_day + 5`` sessions (the dose of now): far
more than any plan asks, yet a bound on what one account can store. Stop now, the safety
exit, is never refused for the ordinary cap; it has its own cap, twice as large, so a
real stop is always recorded while a flood of stops is still bounded. The count is taken
under the patient's lock, so racing sessions cannot pass it together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from spinestep.domain.instants import check_instant
from spinestep.domain.model import Effort, Location
from spinestep.errors import Conflict, InvalidInput, ProgrammePaused, SessionLimitReached
from spinestep.services.access import audit, load_patient
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.deciding import current_dose, protocol_of, run_rules
from spinestep.services.late_checks import LateCheck, store_late_check, validate_late_check
from spinestep.services.local_days import local_day_bounds
from spinestep.services.motion_metrics import check_motion_metrics, check_stage_matches
from spinestep.services.ports import UnitOfWork
from spinestep.services.records import (
    AssignmentRecord,
    IdempotencyRecord,
    PatientRecord,
    ProgrammeStatus,
    StoredSession,
)
from spinestep.services.screening import require_fresh_screening
from spinestep.services.views import DecisionView, SessionOutcome, SessionView

MAX_REPS = 1000
FUTURE_TOLERANCE = timedelta(minutes=5)
MAX_IDEMPOTENCY_KEY_CHARS = 100


@dataclass(frozen=True, slots=True)
class SessionInput:
    """What the person reports about one session. ``at`` defaults to now.

    Pain is NPRS 0-10; locations are the most distant place symptoms reach.
    """

    effort: Effort
    pain_before: int
    pain_during: int
    pain_after: int
    location_before: Location
    location_after: Location
    completed: bool = True
    reps: int | None = None
    at: datetime | None = None
    stopped_early: bool = False
    #: Motion-analysis metrics (``services.motion_metrics``); ``reps`` defaults to their count.
    motion: dict[str, Any] | None = field(default=None)
    #: The metrics were counted from the guided session's camera: kept even when they
    #: count nothing (footage refused, no repetition), with the patient's ``reps``.
    motion_uncounted_ok: bool = False


@dataclass(frozen=True, slots=True)
class StopNowInput:
    """The "stop now — my symptoms are spreading or getting worse" report.

    ``pain_now`` is the worst pain during the session so far (also taken as pain
    after); ``location_now`` is where the symptoms reach now.
    """

    pain_before: int
    pain_now: int
    location_before: Location
    location_now: Location
    reps_done: int = 0
    effort: Effort = Effort.HARD
    at: datetime | None = None


def _check_pain(name: str, value: object) -> None:
    if type(value) is not int or not 0 <= value <= 10:
        raise InvalidInput(name, "must be a whole number 0-10")


def validate(entry: SessionInput, now: datetime) -> None:
    """Check ranges and types; every problem names the field."""
    for name in ("pain_before", "pain_during", "pain_after"):
        _check_pain(name, getattr(entry, name))
    for name in ("location_before", "location_after"):
        if not isinstance(getattr(entry, name), Location):
            raise InvalidInput(name, f"must be one of {', '.join(Location.codes())}")
    if not isinstance(entry.effort, Effort):
        raise InvalidInput("effort", "must be easy, moderate or hard")
    if entry.reps is not None and (type(entry.reps) is not int or not 0 <= entry.reps <= MAX_REPS):
        raise InvalidInput("reps", f"must be a whole number 0-{MAX_REPS}")
    if entry.at is not None:
        check_instant(entry.at, "at", now)
        if entry.at - now > FUTURE_TOLERANCE:
            raise InvalidInput("at", "must not be in the future")


def check_idempotency_key(key: str | None, name: str = "idempotency_key") -> str | None:
    """The key unchanged if it is 1-100 printable ASCII characters (space to tilde)."""
    if key is None:
        return None
    if (
        not isinstance(key, str)
        or not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY_CHARS
        or any(not " " <= char <= "~" for char in key)
    ):
        raise InvalidInput(
            name, f"must be 1-{MAX_IDEMPOTENCY_KEY_CHARS} printable ASCII characters"
        )
    return key


def _first_answer(
    uow: UnitOfWork, patient: PatientRecord, stored: IdempotencyRecord
) -> SessionOutcome:
    """The answer given when the key was first used, rebuilt from what was stored then."""
    session = None if stored.session_id is None else uow.sessions.get(stored.session_id)
    decision = None if session is None else uow.decisions.for_session(stored.session_id or 0)
    if session is None or decision is None:
        raise Conflict("the session stored under this idempotency key has been deleted")
    outcome = stored.outcome
    return SessionOutcome(
        session=SessionView.of(session),
        decision=DecisionView.of(decision),
        stage_before=int(outcome["stage_before"]),
        stage_after=int(outcome["stage_after"]),
        paused=bool(outcome["paused"]),
        emergency_number=patient.emergency_number.value,
        replayed=True,
    )


def active_assignment(uow: UnitOfWork, patient: PatientRecord) -> AssignmentRecord:
    """The patient's programme, if a session may be recorded on it now."""
    assert patient.id is not None
    assignment = uow.assignments.current_for(patient.id)
    if assignment is None:
        raise ProgrammePaused("no programme has been set up for this patient yet")
    if assignment.status is ProgrammeStatus.PAUSED:
        raise ProgrammePaused(
            "the programme is paused until a clinician has seen you "
            f"({assignment.paused_reason or 'stopped'}); see 'spinestep resume'"
        )
    if not assignment.clearance:
        raise ProgrammePaused("the programme has not been cleared by a clinician yet")
    if uow.red_flags.unresolved_for(patient.id):
        raise ProgrammePaused("a red flag awaits a clinician's review; no session until then")
    return assignment


def daily_session_cap(sessions_per_day: int, *, stop_now: bool = False) -> int:
    """How many sessions one local day may hold: ``3 × sessions_per_day + 5``, twice
    that for stop now (which must not be refused by the ordinary cap)."""
    cap = 3 * sessions_per_day + 5
    return 2 * cap if stop_now else cap


def check_daily_cap(
    uow: UnitOfWork,
    patient: PatientRecord,
    assignment: AssignmentRecord,
    at: datetime,
    *,
    stop_now: bool,
) -> None:
    """Refuse one more session on the patient's local day of ``at`` past the cap."""
    assert patient.id is not None
    _, start, end = local_day_bounds(patient.time_zone, at)
    cap = daily_session_cap(current_dose(assignment).sessions_per_day, stop_now=stop_now)
    if len(uow.sessions.for_patient(patient.id, start, end)) >= cap:
        raise SessionLimitReached(
            f"{cap} sessions are already recorded on this day, more than the plan asks; "
            "nothing was saved. Rest, and talk to your clinician if you need more"
        )


def local_now(patient: PatientRecord, now: datetime) -> datetime:
    """``now`` in the patient's time zone (so the stored offset gives their local date)."""
    return now.astimezone(ZoneInfo(patient.time_zone))


def record_session(
    ctx: ServiceContext,
    actor: Actor,
    patient_id: int,
    entry: SessionInput,
    idempotency_key: str | None = None,
    *,
    late_check: LateCheck | None = None,
) -> SessionOutcome:
    """Validate, store the session, run the rules, store and apply the decision; one commit.

    ``late_check`` is the safety check of a session done offline and sent later
    (``services.late_checks``): the session then needs its own ``at``, and its check is
    judged at that time instead of now.

    With an ``idempotency_key`` this patient has used before, the first answer comes
    back and nothing is stored. Raises InvalidInput for out-of-range values (also motion
    metrics that are malformed, of another stage than the programme's current one, or
    not side-on or without a repetition unless ``motion_uncounted_ok``, and a malformed
    key), NotFound for an unknown or hidden patient, ProgrammePaused when no session may
    be recorded now, ScreeningRequired without a fresh, complete safety check (never for
    stop now), SessionLimitReached past the day's cap (``daily_session_cap``).
    """
    validate(entry, ctx.clock.now())
    key = check_idempotency_key(idempotency_key)
    if late_check is not None:
        if entry.at is None:
            raise InvalidInput("at", "a session done offline needs the time it was done")
        validate_late_check(late_check, entry.at, ctx.clock.now())
    motion = (
        None
        if entry.motion is None
        else check_motion_metrics(entry.motion, uncounted=entry.motion_uncounted_ok)
    )
    reps = entry.reps if entry.reps is not None or motion is None else motion["reps"]
    with ctx.uow() as uow:
        uow.lock_patient(patient_id)
        # The time is taken under the lock: a session's default time then follows the
        # order of the writes, so the rules see the last saved session as the latest one
        # (a stop-now racing a session is judged as the last session, as it is).
        now = ctx.clock.now()
        patient = load_patient(uow, actor, patient_id)
        if key is not None:
            earlier = uow.idempotency.find(patient_id, key)
            if earlier is not None:
                return _first_answer(uow, patient, earlier)
        assignment = active_assignment(uow, patient)
        assert assignment.id is not None and patient.id is not None
        stage_before = assignment.current_stage
        if motion is not None:
            stage_id = protocol_of(assignment).stage(stage_before).id
            check_stage_matches(motion, stage_id, stage_before)
        at = entry.at if entry.at is not None else local_now(patient, now)
        if late_check is not None and not entry.stopped_early:  # done offline, sent now
            store_late_check(uow, ctx.clock, actor, patient, assignment, late_check, at)
        elif not entry.stopped_early:  # stop now, the safety exit, is never refused
            require_fresh_screening(uow, patient, now)
        check_daily_cap(uow, patient, assignment, at, stop_now=entry.stopped_early)
        session = uow.sessions.add(
            StoredSession(
                patient_id=patient.id,
                assignment_id=assignment.id,
                at=at,
                stage=stage_before,
                completed=entry.completed,
                reps=reps,
                effort=entry.effort,
                pain_before=entry.pain_before,
                pain_during=entry.pain_during,
                pain_after=entry.pain_after,
                location_before=entry.location_before,
                location_after=entry.location_after,
                stopped_early=entry.stopped_early,
                motion=motion,
                created_at=now,
            )
        )
        decision = run_rules(uow, ctx.clock, actor, patient, assignment, session.id)
        paused = assignment.status is ProgrammeStatus.PAUSED
        if key is not None:
            answer = {
                "stage_before": stage_before,
                "stage_after": assignment.current_stage,
                "paused": paused,
            }
            uow.idempotency.add(IdempotencyRecord(patient.id, key, answer, now, session.id))
        audit(uow, ctx.clock, actor, "session.record", patient.id)
        uow.commit()
    return SessionOutcome(
        session=SessionView.of(session),
        decision=DecisionView.of(decision),
        stage_before=stage_before,
        stage_after=assignment.current_stage,
        paused=paused,
        emergency_number=patient.emergency_number.value,
    )


def stop_now(
    ctx: ServiceContext,
    actor: Actor,
    patient_id: int,
    report: StopNowInput,
    idempotency_key: str | None = None,
) -> SessionOutcome:
    """End the session at once: record it as not completed and run the rules now."""
    return record_session(
        ctx,
        actor,
        patient_id,
        SessionInput(
            effort=report.effort,
            pain_before=report.pain_before,
            pain_during=report.pain_now,
            pain_after=report.pain_now,
            location_before=report.location_before,
            location_after=report.location_now,
            completed=False,
            reps=report.reps_done,
            at=report.at,
            stopped_early=True,
        ),
        idempotency_key,
    )
