"""Every write about one patient commits under that patient's lock (SPEC §3.5).

A unit of work that records what it locked wraps the real one; each write use case is
run once and every commit it made must come from a unit of work that locked the patient
first (``lock_patient`` itself refuses to come later). The race tests show what the lock
does; this test shows that no write path forgets it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import sessionmaker

from spinestep.domain.model import Location
from spinestep.services import clinician, programme, screening, sessions
from spinestep.services.context import Actor, FixedClock, ServiceContext
from spinestep.services.records import Role, UserRecord
from spinestep.services.sessions import StopNowInput
from spinestep.store import make_engine, migrate
from spinestep.store.uow import SqlUnitOfWork
from tests.services.support import easy, onboard

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
FLAG = "new_bladder_dysfunction"  # an every-session question (SPEC §4)


class RecordingUnitOfWork(SqlUnitOfWork):
    """The real unit of work, noting which patient it locked and whether it committed."""

    commits: list[int | None]

    def __enter__(self) -> RecordingUnitOfWork:
        super().__enter__()
        self.locked: int | None = None
        return self

    def lock_patient(self, patient_id: int) -> None:
        super().lock_patient(patient_id)
        self.locked = patient_id

    def commit(self) -> None:
        super().commit()
        self.commits.append(self.locked)


@pytest.fixture
def recording(database_url: str) -> Iterator[tuple[ServiceContext, list[int | None]]]:
    engine = make_engine(database_url)
    migrate(engine)
    commits: list[int | None] = []
    factory = sessionmaker(bind=engine, expire_on_commit=False)

    def unit_of_work() -> RecordingUnitOfWork:
        unit = RecordingUnitOfWork(factory)
        unit.commits = commits
        return unit

    yield ServiceContext(uow=unit_of_work, clock=FixedClock(START)), commits
    engine.dispose()


def test_each_write_about_a_patient_commits_under_its_lock(
    recording: tuple[ServiceContext, list[int | None]],
) -> None:
    ctx, commits = recording
    clock = ctx.clock
    assert isinstance(clock, FixedClock)
    me = Actor.local_person()
    patient_id = onboard(ctx, me)
    with ctx.uow() as uow:
        admin = Actor.for_user(
            uow.users.add(UserRecord("admin@example.org", "Admin", Role.ADMIN, START))
        )
        uow.commit()

    def later() -> None:
        clock.set(clock.now() + timedelta(minutes=5))

    def check() -> None:
        questions = screening.session_questions(ctx, me, patient_id)
        screening.record_screening(ctx, me, patient_id, {q.code: False for q in questions})

    spreading = StopNowInput(2, 6, Location.BACK, Location.BELOW_KNEE)
    writes: list[tuple[str, Callable[[], object]]] = [
        ("safety check", check),
        ("session", lambda: sessions.record_session(ctx, me, patient_id, easy())),
        ("stop now", lambda: sessions.stop_now(ctx, me, patient_id, spreading)),
        ("resume", lambda: clinician.resume(ctx, admin, patient_id, "seen")),
        ("red flag", lambda: screening.record_screening(ctx, me, patient_id, {FLAG: True})),
        ("resolve", lambda: _resolve_open_flags(ctx, admin, patient_id, commits)),
        ("plan change", lambda: clinician.adjust(ctx, admin, patient_id, stage=2)),
        ("evaluate", lambda: programme.evaluate(ctx, admin, patient_id)),
        ("prescribe", lambda: clinician.prescribe(ctx, admin, patient_id, "lumbar-flexion", 1)),
    ]
    for name, write in writes:
        later()
        commits.clear()
        write()
        assert commits, f"{name} stored nothing"
        assert commits == [patient_id] * len(commits), f"{name} committed without the lock"


def _resolve_open_flags(
    ctx: ServiceContext, admin: Actor, patient_id: int, commits: list[int | None]
) -> None:
    open_flags = [f for f in clinician.red_flags(ctx, admin, patient_id) if not f.resolved_at]
    assert [f.code for f in open_flags] == [FLAG]
    commits.clear()  # listing the flags is a read (its audit entry needs no lock)
    for flag in open_flags:
        clinician.resolve_red_flag(ctx, admin, patient_id, flag.id, "seen: no serious cause")
