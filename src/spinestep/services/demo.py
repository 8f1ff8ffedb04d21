"""A realistic demo clinic for trying spinestep out (``spinestep demo``).

One admin, two clinicians and a dozen patients with weeks of sessions that walk through
every decision path: progress to maintenance, stay, regress, stop after spreading
symptoms, "stop now", emergency, urgent and review red flags, awaiting clearance,
falling adherence, a resolved flag and resumed programme, and a self-managed person.
Every account shares one demo password. Sessions go through the same use cases as the
apps, in the same order, with a clock moved along: a complete safety check two minutes
before, then the session at its own time, so each decision is made at the session's time
and is a real one. A red flag comes after the last session of its day, so the flag's
pausing decision is the newest one and Today tells the same story as a real patient's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from spinestep.domain.model import DirectionalPreference, Effort, EmergencyNumber, Location
from spinestep.domain.redflags import flags_for_onboarding
from spinestep.services import accounts, clinician, onboarding, programme, screening, sessions
from spinestep.services.context import Actor, FixedClock, ServiceContext
from spinestep.services.onboarding import OnboardingInput
from spinestep.services.ports import Clock, PasswordHasher, UnitOfWorkFactory
from spinestep.services.records import FlagSource, Role
from spinestep.services.sessions import SessionInput, StopNowInput

DEMO_PASSWORD = "spinestep-demo"
DEMO_DOMAIN = "demo.spinestep.example"
_INSTALLER = Actor(role=Role.ADMIN, user_id=None, local=True)
_TIMES = (time(8, 0), time(12, 30), time(17, 0), time(19, 30), time(21, 0))
SAFETY_CHECK_BEFORE = timedelta(minutes=2)
FLAG_AFTER_SLOT = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class DemoAccount:
    email: str
    role: Role
    display_name: str
    story: str = ""


@dataclass
class DemoSummary:
    password: str = DEMO_PASSWORD
    accounts: list[DemoAccount] = field(default_factory=list)


# pain before, during, after; location before, after; effort
Visit = tuple[int, int, int, Location, Location, Effort]
_EASY: Visit = (3, 2, 2, Location.THIGH, Location.BUTTOCK, Effort.EASY)
_EASIER: Visit = (2, 1, 1, Location.BUTTOCK, Location.BACK, Effort.EASY)
_SETTLED: Visit = (1, 0, 0, Location.BACK, Location.NONE, Effort.EASY)
_MODERATE: Visit = (4, 4, 4, Location.THIGH, Location.THIGH, Effort.MODERATE)
_SPREADING: Visit = (4, 6, 6, Location.BACK, Location.BELOW_KNEE, Effort.HARD)
# A flare: pain 2 points higher after the exercise (aggravating), symptoms no further.
_FLARE: Visit = (4, 6, 6, Location.THIGH, Location.THIGH, Effort.HARD)


class _Builder:
    def __init__(self, uow: UnitOfWorkFactory, hasher: PasswordHasher, now: datetime) -> None:
        self.clock = FixedClock(now)
        self.now = now
        self.ctx = ServiceContext(uow=uow, clock=self.clock, hasher=hasher)
        self.summary = DemoSummary()

    def user(self, local_part: str, name: str, role: Role, story: str = "") -> int:
        email = f"{local_part}@{DEMO_DOMAIN}"
        self.clock.set(self.now - timedelta(days=40))
        user = accounts.create_user(self.ctx, _INSTALLER, email, name, role, DEMO_PASSWORD)
        assert user.id is not None
        self.summary.accounts.append(DemoAccount(email, role, name, story))
        return user.id

    def patient(
        self,
        local_part: str,
        name: str,
        clinician_id: int | None,
        story: str,
        *,
        days_ago: int,
        stage: int = 1,
        cleared: bool = True,
        time_zone: str = "Europe/London",
    ) -> tuple[int, Actor]:
        user_id = self.user(local_part, name, Role.PATIENT, story)
        self.clock.set(self.now - timedelta(days=days_ago, hours=2))
        actor = (
            Actor(role=Role.CLINICIAN, user_id=clinician_id)
            if clinician_id is not None
            else Actor(role=Role.PATIENT, user_id=user_id)
        )
        outcome = onboarding.onboard(
            self.ctx,
            actor,
            OnboardingInput(
                display_name=name,
                time_zone=time_zone,
                clearance=cleared,
                emergency_number=EmergencyNumber.UK
                if time_zone == "Europe/London"
                else EmergencyNumber.EU,
                start_stage=stage,
                directional_preference=DirectionalPreference.FLEXION,
                red_flag_answers={flag.code: False for flag in flags_for_onboarding()},
                user_id=user_id,
                clinician_id=clinician_id,
                self_managed=clinician_id is None,
            ),
        )
        return outcome.patient_id, Actor(role=Role.PATIENT, user_id=user_id)

    def at(self, days_ago: int, slot: int, time_zone: str = "Europe/London") -> datetime:
        day = (self.now - timedelta(days=days_ago)).astimezone(ZoneInfo(time_zone)).date()
        return datetime.combine(day, _TIMES[slot % len(_TIMES)], ZoneInfo(time_zone))

    def visit(self, patient_id: int, actor: Actor, at: datetime, v: Visit, reps: int = 10) -> None:
        self.check(patient_id, actor, at)
        self.clock.set(at)
        sessions.record_session(
            self.ctx,
            actor,
            patient_id,
            SessionInput(
                effort=v[5],
                pain_before=v[0],
                pain_during=v[1],
                pain_after=v[2],
                location_before=v[3],
                location_after=v[4],
                reps=reps,
                at=at,
            ),
        )

    def check(self, patient_id: int, actor: Actor, at: datetime) -> None:
        """The safety check before a session at ``at``: every question due, answered no."""
        self.clock.set(at - SAFETY_CHECK_BEFORE)
        due = screening.session_questions(self.ctx, actor, patient_id)
        screening.record_screening(
            self.ctx, actor, patient_id, {flag.code: False for flag in due}, FlagSource.SESSION
        )

    def days(
        self,
        patient_id: int,
        actor: Actor,
        first_day_ago: int,
        last_day_ago: int,
        per_day: int,
        pick: Callable[[int], Visit],
    ) -> None:
        count = 0
        for days_ago in range(first_day_ago, last_day_ago - 1, -1):
            for slot in range(per_day):
                at = self.at(days_ago, slot)
                if at > self.now - timedelta(minutes=10):
                    return
                self.visit(patient_id, actor, at, pick(count))
                count += 1

    def flag_time(self, days_ago: int) -> datetime:
        """After the third session slot of that day (and so after that day's sessions)."""
        return self.at(days_ago, 2) + FLAG_AFTER_SLOT

    def flag(self, patient_id: int, actor: Actor, code: str, days_ago: int) -> None:
        """A "yes" at the safety check before a session: the newest decision pauses."""
        self.clock.set(self.flag_time(days_ago))
        screening.record_screening(self.ctx, actor, patient_id, {code: True}, FlagSource.SESSION)


def build_demo(uow: UnitOfWorkFactory, hasher: PasswordHasher, clock: Clock) -> DemoSummary:
    """Fill an empty database with the demo clinic; returns the accounts to sign in with."""
    b = _Builder(uow, hasher, clock.now())
    b.user("admin", "Ada Admin", Role.ADMIN, "runs the installation")
    maria = b.user("maria", "Maria Physio", Role.CLINICIAN, "physiotherapist, most patients")
    tom = b.user("tom", "Tom Doctor", Role.CLINICIAN, "doctor, three patients")
    maria_actor = Actor(role=Role.CLINICIAN, user_id=maria)

    pid, me = b.patient("alice", "Alice Moreno", maria, "progressed to maintenance", days_ago=21)
    b.days(pid, me, 20, 1, 3, lambda n: _EASY if n < 8 else (_EASIER if n < 20 else _SETTLED))

    pid, me = b.patient("ben", "Ben Okafor", maria, "stays at stage 1", days_ago=10)
    b.days(pid, me, 9, 0, 4, lambda n: _MODERATE)

    pid, me = b.patient("chloe", "Chloe Brandt", maria, "regressed to stage 1", days_ago=8, stage=2)
    b.days(pid, me, 7, 5, 3, lambda n: _MODERATE)
    b.days(pid, me, 4, 1, 2, lambda n: _FLARE if n == 0 else _MODERATE)

    pid, me = b.patient("dev", "Dev Sharma", maria, "stopped: symptoms spread", days_ago=6)
    b.days(pid, me, 5, 2, 3, lambda n: _EASY)
    b.visit(pid, me, b.at(1, 0), _SPREADING)

    pid, me = b.patient("eva", "Eva Lindqvist", maria, "pressed stop now", days_ago=5)
    b.days(pid, me, 4, 1, 2, lambda n: _MODERATE)
    at = b.at(0, 0) if b.at(0, 0) < b.now - timedelta(minutes=10) else b.at(1, 3)
    b.check(pid, me, at)
    b.clock.set(at + timedelta(minutes=3))
    sessions.stop_now(
        b.ctx,
        me,
        pid,
        StopNowInput(
            pain_before=3,
            pain_now=6,
            location_before=Location.THIGH,
            location_now=Location.FOOT,
            reps_done=4,
            at=at,
        ),
    )

    pid, me = b.patient("farid", "Farid Haddad", maria, "emergency red flag", days_ago=7)
    b.days(pid, me, 6, 1, 3, lambda n: _EASY)
    b.flag(pid, me, "new_bladder_dysfunction", 0 if b.flag_time(0) < b.now else 1)

    pid, me = b.patient("grace", "Grace Kim", tom, "urgent referral", days_ago=6)
    b.days(pid, me, 5, 2, 3, lambda n: _MODERATE)
    b.flag(pid, me, "infection_features", 1)

    pid, me = b.patient("hugo", "Hugo Petit", tom, "review: night pain", days_ago=9)
    b.days(pid, me, 8, 3, 3, lambda n: _EASY)
    b.flag(pid, me, "night_pain_unremitting", 2)

    pid, me = b.patient(
        "iris", "Iris Novak", maria, "awaiting clearance", days_ago=1, cleared=False
    )
    b.clock.set(b.now - timedelta(hours=20))
    programme.evaluate(b.ctx, maria_actor, pid)

    pid, me = b.patient("jon", "Jon Eriksen", maria, "adherence falling", days_ago=16)
    b.days(pid, me, 15, 8, 5, lambda n: _MODERATE)
    b.days(pid, me, 5, 2, 1, lambda n: _MODERATE)

    pid, me = b.patient("kate", "Kate O'Neill", tom, "flag resolved, resumed", days_ago=14)
    b.days(pid, me, 13, 10, 3, lambda n: _EASY)
    b.flag(pid, me, "night_pain_unremitting", 9)
    b.clock.set(b.at(8, 1))
    tom_actor = Actor(role=Role.CLINICIAN, user_id=tom)
    for view in clinician.red_flags(b.ctx, tom_actor, pid):
        clinician.resolve_red_flag(
            b.ctx, tom_actor, pid, view.id, "Seen in clinic: positional night pain, no red flag."
        )
    clinician.resume(b.ctx, tom_actor, pid, "reviewed in clinic")
    b.days(pid, me, 7, 1, 3, lambda n: _EASY)

    pid, me = b.patient("leo", "Leo Rossi", None, "self-managed, no clinician", days_ago=6)
    b.days(pid, me, 5, 1, 2, lambda n: _EASY)
    return b.summary
