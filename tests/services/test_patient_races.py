"""One write at a time per patient (SPEC §3.5), raced on SQLite and PostgreSQL.

Each round sets up a fresh patient whose next qualifying session progresses (six easy
sessions on three earlier dates) and who has taken one safety check (enough for one
session), then starts, at one barrier, threads that send sessions, a stop-now that
spreads symptoms below the knee (a stop, which pauses), a stop-now without worsening
(stay), a clinician's resume and a clinician's plan change to stage 3 (every other
round leaves out the last two, so that the session often comes first and progresses).
Afterwards the stored history must be one that some one-at-a-time order of the
acknowledged requests gives:

- walked in commit order, every decision saw the stage and phase that the writes
  before it left, and the sessions then stored (its input snapshot is the tail of
  them), and the rules replayed on that snapshot give the stored decision;
- no session was stored while the programme was paused;
- the programme is paused only by a pausing decision and active again only by a
  resume, so an acknowledged pause is never undone without a later resume;
- every stage change event matches one decision (or one plan change) and starts from
  the stage then current: no change is applied twice;
- the final programme is the end state of that walk, and exactly the acknowledged
  requests stored something.

Times come from a shared clock that moves on a millisecond at every reading, so the
times taken inside the lock (decisions, events) are in commit order. Without
``lock_patient`` these tests fail within a few rounds (see notes/store.md).
"""

from __future__ import annotations

import multiprocessing
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from spinestep.domain.decide_request import parse_decide_request
from spinestep.domain.model import Decision, Effort, Location, Phase
from spinestep.domain.rules import decide
from spinestep.errors import Conflict, ProgrammePaused, ScreeningRequired
from spinestep.protocols import builtin_protocols
from spinestep.services import clinician, onboarding, screening, sessions
from spinestep.services.context import Actor, ServiceContext, SystemClock
from spinestep.services.ports import Clock
from spinestep.services.records import (
    EventKind,
    ProgrammeEvent,
    ProgrammeStatus,
    Role,
    StoredDecision,
    StoredSession,
    UserRecord,
)
from spinestep.services.sessions import SessionInput, StopNowInput
from spinestep.services.views import SessionOutcome
from spinestep.store import open_store
from tests.support.cheap_hash import CheapArgon2id
from tests.support.schema_copy import at_newest_schema

ROUNDS = 24
SESSION_THREADS = 4
RESUME_ATTEMPTS = 200
START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
#: The outcomes a racing request may meet besides success; anything else fails the test.
REFUSALS = (ScreeningRequired, ProgrammePaused, Conflict)
STAGE_CHANGE = re.compile(r"stage (\d+) to (\d+)")


class TickingClock:
    """A clock shared by the threads: each reading is one millisecond after the last."""

    def __init__(self, start: datetime) -> None:
        self._at = start
        self._guard = threading.Lock()

    def now(self) -> datetime:
        with self._guard:
            self._at += timedelta(milliseconds=1)
            return self._at


@pytest.fixture
def clock() -> TickingClock:
    return TickingClock(START)


@pytest.fixture
def ctx(database_url: str, clock: TickingClock) -> Iterator[ServiceContext]:
    at_newest_schema(database_url)
    engine, uow = open_store(database_url)
    yield ServiceContext(uow=uow, clock=clock, hasher=CheapArgon2id())
    engine.dispose()


@pytest.fixture
def admin(ctx: ServiceContext, clock: TickingClock) -> Actor:
    with ctx.uow() as uow:
        user = uow.users.add(UserRecord("admin@example.org", "Admin", Role.ADMIN, clock.now()))
        uow.commit()
    return Actor.for_user(user)


ME = Actor.local_person()


def easy() -> SessionInput:
    """A qualifying session: easy, pain 1, symptoms in the back only."""
    return SessionInput(Effort.EASY, 1, 1, 1, Location.BACK, Location.BACK, reps=10)


SPREADING = StopNowInput(pain_before=1, pain_now=6, location_before=Location.BACK,
                         location_now=Location.BELOW_KNEE)  # fmt: skip
STEADY = StopNowInput(pain_before=1, pain_now=1, location_before=Location.BACK,
                      location_now=Location.BACK)  # fmt: skip


def new_patient(ctx: ServiceContext, clock: Clock) -> int:
    """A patient at stage 1 with six qualifying sessions on the three dates before today."""
    data = onboarding.OnboardingInput("Ann", "UTC", clearance=True)
    patient_id = onboarding.onboard(ctx, ME, data).patient_id
    now = clock.now()
    with ctx.uow() as uow:
        uow.lock_patient(patient_id)
        assignment = uow.assignments.current_for(patient_id)
        assert assignment is not None and assignment.id is not None
        assignment.run_since = now - timedelta(days=4)
        uow.assignments.update(assignment)
        for days in (3, 2, 1):
            for hours in (0, 6):
                at = now - timedelta(days=days) + timedelta(hours=hours)
                uow.sessions.add(
                    StoredSession(
                        patient_id,
                        assignment.id,
                        at,
                        1,
                        True,
                        Effort.EASY,
                        1,
                        1,
                        1,
                        Location.BACK,
                        Location.BACK,
                        at,
                        reps=10,
                    )
                )
        uow.commit()
    return patient_id


def resume_once_paused(ctx: ServiceContext, admin: Actor, patient_id: int) -> bool:
    """A clinician pressing "resume" until the programme is paused and then resumed (as
    after a call from the patient); whether a resume was acknowledged.
    """
    for _attempt in range(RESUME_ATTEMPTS):
        try:
            clinician.resume(ctx, admin, patient_id, "seen in clinic")
        except Conflict:  # not paused (yet)
            time.sleep(0.001)
            continue
        return True
    return False


@dataclass(frozen=True)
class Told:
    """What a session or stop-now was told: its session, decision and whether it paused."""

    name: str
    session_id: int
    decision_id: int
    paused: bool
    decided_at: datetime

    @classmethod
    def of(cls, name: str, outcome: SessionOutcome) -> Told:
        decision = outcome.decision
        return cls(name, outcome.session.id, decision.id, outcome.paused, decision.made_at)


@dataclass
class Acknowledged:
    """What the racing requests were told."""

    outcomes: list[Told] = field(default_factory=list)
    resumed: int = 0
    planned: int = 0
    errors: list[BaseException] = field(default_factory=list)
    guard: threading.Lock = field(default_factory=threading.Lock)


def race(workers: list[Callable[[], object]]) -> list[BaseException]:
    """Run every worker in its own thread, all released at once; return unexpected errors."""
    barrier = threading.Barrier(len(workers))
    unexpected: list[BaseException] = []

    def run(work: Callable[[], object]) -> None:
        barrier.wait()
        try:
            work()
        except REFUSALS:
            pass
        except BaseException as error:  # noqa: BLE001 - reported by the test
            unexpected.append(error)

    threads = [threading.Thread(target=run, args=(work,)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive(), "a racing request never finished"
    return unexpected


def one_round(
    ctx: ServiceContext, clock: TickingClock, admin: Actor, *, full: bool
) -> Counter[str]:
    """One race; without ``full`` only the sessions, the spreading stop-now and the resume."""
    patient_id = new_patient(ctx, clock)
    questions = screening.session_questions(ctx, ME, patient_id)
    # One safety check before the race: it lets one session through (SPEC §3.5), so
    # sessions race each other as well as the stop-nows, the resume and the plan change.
    screening.record_screening(ctx, ME, patient_id, {q.code: False for q in questions})
    said = Acknowledged()

    def session() -> None:
        outcome = sessions.record_session(ctx, ME, patient_id, easy())
        with said.guard:
            said.outcomes.append(Told.of("session", outcome))

    def stop(report: StopNowInput, name: str) -> Callable[[], None]:
        def work() -> None:
            outcome = sessions.stop_now(ctx, ME, patient_id, report)
            with said.guard:
                said.outcomes.append(Told.of(name, outcome))

        return work

    def resume() -> None:
        if resume_once_paused(ctx, admin, patient_id):
            with said.guard:
                said.resumed += 1

    def plan() -> None:
        clinician.adjust(ctx, admin, patient_id, stage=3)
        with said.guard:
            said.planned += 1

    workers: list[Callable[[], object]] = [session] * SESSION_THREADS
    workers += [stop(SPREADING, "spreading"), resume]
    if full:
        workers += [stop(STEADY, "steady"), plan]
    unexpected = race(workers)
    assert unexpected == []
    return check_serial(ctx, patient_id, said)


def check_serial(ctx: ServiceContext, patient_id: int, said: Acknowledged) -> Counter[str]:
    """Check the stored history against a one-at-a-time walk; count what happened."""
    with ctx.uow() as uow:
        assignment = uow.assignments.current_for(patient_id)
        stored = uow.sessions.for_patient(patient_id)
        decisions = uow.decisions.for_patient(patient_id)
        events = uow.events.for_patient(patient_id)
    assert assignment is not None
    by_id = {s.id: s for s in stored}
    racing = [d for d in decisions if d.session_id is not None]
    # Exactly the acknowledged requests stored a session, each with the decision it was told.
    assert sorted(d.session_id or 0 for d in racing) == sorted(t.session_id for t in said.outcomes)
    told = {t.session_id: t for t in said.outcomes}
    for entry in racing:
        assert told[entry.session_id or 0].decision_id == entry.id

    # A session's time is taken under the lock: in commit order, so the last saved is latest.
    raced = sorted((s for s in stored if s.id in told), key=lambda s: s.id or 0)
    assert [s.at for s in raced] == sorted(s.at for s in raced)
    # A stop-now with symptoms spreading below the knee always stops and pauses (R4).
    assert all(t.paused for t in said.outcomes if t.name == "spreading")

    # Commit order: decisions and the clinician's events, by the time taken under the lock.
    steps: list[tuple[datetime, int, str, StoredDecision | ProgrammeEvent]] = [
        (d.made_at, 0, "decision", d) for d in racing
    ]
    steps += [
        (e.at, 1, e.kind.value, e)
        for e in events
        if e.actor_user_id is not None and e.kind in (EventKind.RESUME, EventKind.STAGE_CHANGE)
    ]
    steps.sort(key=lambda step: (step[0], step[1]))

    stage, paused, phase = 1, False, Phase.PROGRESSION
    rule_changes: list[tuple[datetime, int, int]] = []
    pauses: list[datetime] = []
    for at, _order, _kind, item in steps:
        if isinstance(item, StoredDecision):
            session = by_id[item.session_id]
            assert not paused, "a session was stored while the programme was paused"
            assert session.stage == stage
            request = item.inputs["request"]
            assert (request["current_stage"], request["phase"]) == (stage, phase.value)
            # The rules saw the sessions committed before this one (the tail they need).
            before = sorted(
                (s for s in stored if (s.id or 0) <= (session.id or 0)),
                key=lambda s: (s.at, s.id or 0),
            )
            seen = [entry["at"] for entry in request["sessions"]]
            assert seen == [s.at.isoformat() for s in before][len(before) - len(seen) :]
            replayed = decide(parse_decide_request(request, builtin_protocols()))
            assert replayed.decision is item.decision
            if item.decision.pauses_programme:
                paused = True
                pauses.append(at)
            elif (
                item.decision in (Decision.PROGRESS, Decision.REGRESS)
                and item.next_stage is not None
                and item.next_stage != stage
            ):
                rule_changes.append((at, stage, item.next_stage))
                stage = item.next_stage
        elif item.kind is EventKind.RESUME:
            assert paused, "a resume was stored on a programme that was not paused"
            paused = False
        else:
            found = STAGE_CHANGE.search(item.reason)
            assert found is not None
            assert int(found.group(1)) == stage, "a plan change started from a stale stage"
            stage = int(found.group(2))

    # Every stage change and pause event of the rules matches one decision that made it.
    by_rules = [e for e in events if e.actor_user_id is None and e.kind is EventKind.STAGE_CHANGE]
    changes = []
    for event in by_rules:
        found = STAGE_CHANGE.search(event.reason)
        assert found is not None
        changes.append((event.at, int(found.group(1)), int(found.group(2))))
    assert sorted(changes) == rule_changes
    assert sorted(e.at for e in events if e.kind is EventKind.PAUSE) == pauses
    # An acknowledged pause stays unless a resume was acknowledged after it.
    resumes = [e.at for e in events if e.kind is EventKind.RESUME]
    assert len(resumes) == said.resumed
    for told_one in said.outcomes:
        if told_one.paused and assignment.status is ProgrammeStatus.ACTIVE:
            assert any(at > told_one.decided_at for at in resumes), told_one.name
    # The final programme is the end of the walk.
    assert assignment.current_stage == stage
    assert (assignment.status is ProgrammeStatus.PAUSED) == paused
    assert assignment.phase is phase
    happened = Counter(t.name for t in said.outcomes)
    happened.update(
        paused=sum(t.paused for t in said.outcomes),
        progressed=len(rule_changes),
        resumed=said.resumed,
        planned=said.planned,
    )
    return happened


def test_concurrent_writes_end_as_some_one_at_a_time_order(
    ctx: ServiceContext, clock: TickingClock, admin: Actor
) -> None:
    happened: Counter[str] = Counter()
    for _round in range(ROUNDS):
        happened += one_round(ctx, clock, admin, full=_round % 2 == 0)
    # Not vacuous: over the rounds, each kind of write was accepted, and pauses and
    # progress decisions happened (the order differs from round to round).
    kinds = ("session", "spreading", "steady", "paused", "progressed", "resumed", "planned")
    assert all(happened[kind] > 0 for kind in kinds), happened


def _send_with_key(
    ctx: ServiceContext, patient_id: int, answers: list[SessionOutcome], guard: threading.Lock
) -> None:
    outcome = sessions.stop_now(ctx, ME, patient_id, STEADY, idempotency_key="retry-1")
    with guard:
        answers.append(outcome)


def test_one_idempotency_key_raced_from_many_threads_stores_one_session(
    ctx: ServiceContext, clock: TickingClock
) -> None:
    for _round in range(ROUNDS // 3):
        patient_id = new_patient(ctx, clock)
        answers: list[SessionOutcome] = []
        send = partial(_send_with_key, ctx, patient_id, answers, threading.Lock())
        assert race([send] * 6) == []
        assert len(answers) == 6  # every retry is answered, none refused
        with ctx.uow() as uow:
            stored = [s for s in uow.sessions.for_patient(patient_id) if s.stopped_early]
            decisions = [d for d in uow.decisions.for_patient(patient_id) if d.session_id]
        assert len(stored) == 1 and len(decisions) == 1
        assert {a.session.id for a in answers} == {stored[0].id}
        assert {a.decision.id for a in answers} == {decisions[0].id}


# Processes on SQLite: one database file, seven processes racing every round.

PROCESS_ROUNDS = 6
ROLES = ("session", "session", "session", "spreading", "steady", "resume", "plan")


def _act(ctx: ServiceContext, admin: Actor, role: str, patient_id: int) -> Told | str | None:
    """One racing request in a worker process: what it was told, ``ok``, or None if refused."""
    try:
        if role == "session":
            return Told.of(role, sessions.record_session(ctx, ME, patient_id, easy()))
        if role in ("spreading", "steady"):
            report = SPREADING if role == "spreading" else STEADY
            return Told.of(role, sessions.stop_now(ctx, ME, patient_id, report))
        if role == "resume":
            return "ok" if resume_once_paused(ctx, admin, patient_id) else None
        else:
            clinician.adjust(ctx, admin, patient_id, stage=3)
        return "ok"
    except REFUSALS:
        return None


def race_in_process(
    url: str, admin_id: int, role: str, patients: list[int], barrier: Any, results: Any
) -> None:
    engine, uow = open_store(url, upgrade=False)
    ctx = ServiceContext(uow=uow, clock=SystemClock())
    admin = Actor(role=Role.ADMIN, user_id=admin_id)
    try:
        for patient_id in patients:
            barrier.wait()
            try:
                results.put((patient_id, role, _act(ctx, admin, role, patient_id)))
            except BaseException as error:  # noqa: BLE001 - reported to the test
                results.put((patient_id, role, f"error: {error!r}"))
    finally:
        engine.dispose()


def test_processes_racing_on_one_sqlite_file_end_as_some_serial_order(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'race.db'}"
    engine, uow = open_store(url)
    ctx = ServiceContext(uow=uow, clock=SystemClock())
    try:
        with uow() as work:
            user = work.users.add(
                UserRecord("admin@example.org", "Admin", Role.ADMIN, SystemClock().now())
            )
            work.commit()
        assert user.id is not None
        patients = [new_patient(ctx, ctx.clock) for _ in range(PROCESS_ROUNDS)]
        for patient_id in patients:
            questions = screening.session_questions(ctx, ME, patient_id)
            screening.record_screening(ctx, ME, patient_id, {q.code: False for q in questions})
        spawn = multiprocessing.get_context("spawn")
        barrier = spawn.Barrier(len(ROLES))
        results = spawn.Queue()
        workers = [
            spawn.Process(
                target=race_in_process, args=(url, user.id, role, patients, barrier, results)
            )
            for role in ROLES
        ]
        for worker in workers:
            worker.start()
        answers = [results.get(timeout=300) for _ in range(len(ROLES) * PROCESS_ROUNDS)]
        for worker in workers:
            worker.join(timeout=60)
            assert worker.exitcode == 0
        assert [a for a in answers if isinstance(a[2], str) and a[2] != "ok"] == []
        for patient_id in patients:
            said = Acknowledged()
            for answered_for, role, told in answers:
                if answered_for != patient_id:
                    continue
                if isinstance(told, Told):
                    said.outcomes.append(told)
                elif told == "ok":
                    said.resumed += role == "resume"
                    said.planned += role == "plan"
            check_serial(ctx, patient_id, said)
    finally:
        engine.dispose()
