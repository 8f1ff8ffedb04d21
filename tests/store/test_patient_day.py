"""The patient's hot read (``store/patient_day.py``, one ``UNION ALL``) gives the records
the repositories give, value for value, on both databases.

The union converts only each row's own columns (``_readers``), so a conversion that
differs from the repositories' (an instant's zone, a location code, an enum, JSON
answers, a flag stored as an integer) would show here. The demo clinic holds every kind
of record the read returns; the test checks that it did.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from spinestep.services.context import SystemClock
from spinestep.services.demo import build_demo
from spinestep.services.ports import UnitOfWorkFactory
from spinestep.services.records import StoredQuestionnaire
from spinestep.store.uow import open_store
from tests.support.cheap_hash import CheapArgon2id
from tests.support.schema_copy import at_newest_schema

# Far enough back to hold every demo session and screening.
WINDOW = timedelta(days=400)


@pytest.fixture(scope="module")
def demo(module_database_url: str) -> Iterator[UnitOfWorkFactory]:
    at_newest_schema(module_database_url)
    engine, uow = open_store(module_database_url)
    build_demo(uow, CheapArgon2id(), SystemClock())
    with uow() as work:  # the demo has no questionnaire: two, with answers and scores
        patient = work.patients.list_all()[0]
        assert patient.id is not None
        for days, instrument in ((20, "odi"), (3, "nprs")):
            taken = SystemClock().now() - timedelta(days=days)
            answers = {
                "answers": [1, 2, 0, 3, 1, 0, 2, 1, 0, 1][: 10 if instrument == "odi" else 1]
            }
            work.questionnaires.add(
                StoredQuestionnaire(patient.id, instrument, taken, answers, {"score": 22})
            )
        work.commit()
    yield uow
    engine.dispose()


def _by_repositories(uow: Any, patient_id: int, since: Any) -> dict[str, Any]:
    patient = uow.patients.get(patient_id)
    clinician = None if patient.clinician_id is None else uow.users.get(patient.clinician_id)
    screenings = sorted(uow.screenings.taken_after(patient_id, since), key=lambda s: (s.at, s.id))
    return {
        "patient": patient,
        "assignment": uow.assignments.current_for(patient_id),
        "clinician_name": None if clinician is None else clinician.display_name,
        "clinician_active": clinician is not None and clinician.active,
        "sessions": tuple(uow.sessions.for_patient(patient_id, since, None)),
        "latest_decision": uow.decisions.latest_for(patient_id),
        "red_flags": tuple(uow.red_flags.for_patient(patient_id)),
        "events": tuple(uow.events.for_patient(patient_id)),
        "screenings": tuple((s.at, s.answers) for s in reversed(screenings)),
        "questionnaires": tuple(uow.questionnaires.for_patient(patient_id)),
    }


def test_the_hot_read_gives_the_records_the_repositories_give(demo: UnitOfWorkFactory) -> None:
    now = SystemClock().now()
    since = now - WINDOW
    seen: dict[str, int] = {}
    with demo() as uow:
        patients = uow.patients.list_all()
        assert len(patients) >= 5
        for patient in patients:
            assert patient.id is not None
            day = uow.patient_day.read(patient.id, since, since)
            assert day is not None
            expected = _by_repositories(uow, patient.id, since)
            for name, value in expected.items():
                assert getattr(day, name) == value, (patient.display_name, name)
                if isinstance(value, tuple):
                    seen[name] = seen.get(name, 0) + len(value)
                elif value is not None:
                    seen[name] = seen.get(name, 0) + 1
        assert uow.patient_day.read(max(p.id or 0 for p in patients) + 1, since, since) is None
    # The demo held every kind of record, so none was compared only as "nothing".
    assert set(seen) == set(expected)
    assert min(seen.values()) >= 1, seen
