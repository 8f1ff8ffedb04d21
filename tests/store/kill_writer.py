"""A writer process for the durability test: saves sessions in a loop until it is killed.

Run as ``python -m tests.store.kill_writer URL``. It prints ``ready`` once set up and
``saved <n>`` after each commit, where n is the number of sessions it has been told are
saved so far in this run.
"""

from __future__ import annotations

import sys

from spinestep.domain.model import Effort, Location
from spinestep.services import onboarding, screening, sessions
from spinestep.services.context import Actor, ServiceContext, SystemClock
from spinestep.store import open_store

#: Sessions one patient may record in a day are capped (``check_daily_cap``); the writer
#: moves to a new patient well before that, so only the kill ever stops it.
SESSIONS_PER_PATIENT = 12


def main(url: str) -> None:
    _engine, uow = open_store(url)
    ctx = ServiceContext(uow=uow, clock=SystemClock())
    actor = Actor.local_person()

    def new_patient() -> int:
        return onboarding.onboard(
            ctx, actor, onboarding.OnboardingInput("Writer", "Europe/London", clearance=True)
        ).patient_id

    patient_id = new_patient()
    print("ready", flush=True)
    saved = 0
    while True:
        if saved and saved % SESSIONS_PER_PATIENT == 0:
            patient_id = new_patient()
        # the safety check each session needs (its own transaction, as in the apps)
        questions = screening.session_questions(ctx, actor, patient_id)
        screening.record_screening(ctx, actor, patient_id, {q.code: False for q in questions})
        sessions.record_session(
            ctx,
            actor,
            patient_id,
            sessions.SessionInput(
                effort=Effort.EASY,
                pain_before=2,
                pain_during=2,
                pain_after=2,
                location_before=Location.BACK,
                location_after=Location.BACK,
                reps=10,
            ),
        )
        saved += 1
        print(f"saved {saved}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
