"""Stored records as PatientRecords, and imports, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from spinestep.domain.model import Decision, Effort, Location, SessionRecord
from spinestep.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from spinestep.interop.csv_io import read_csv, sessions_csv
from spinestep.interop.fhir import bundle_json
from spinestep.interop.fhir_read import read_bundle_text
from spinestep.services import clinician
from spinestep.services.context import Actor
from spinestep.services.onboarding import OnboardingInput, onboard
from spinestep.services.patient_records import (
    import_patient_records,
    import_sessions,
    load_patient_records,
)
from spinestep.services.record_types import ProgrammeStatus, SessionEntry, StageStatus
from spinestep.services.records import EventKind, Role
from tests.interop.fhir_ids import renamed_ids
from tests.services.history_builder import (
    LOCAL,
    START,
    Store,
    build_history,
    second_database_url,
    second_store,
    store,
)

__all__ = ["second_database_url", "second_store", "store"]

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_records_gather_programme_sessions_decisions_questionnaires_rom_flags(
    store: Store,
) -> None:
    patient_id = build_history(store)
    records = load_patient_records(store.ctx, LOCAL, patient_id)
    assert records.patient.name == "Ana Example"
    programme = records.programme
    assert programme is not None
    assert (programme.status, programme.current_stage) == (ProgrammeStatus.PAUSED, 2)
    assert [s.status for s in programme.stages] == [
        StageStatus.COMPLETED,
        StageStatus.IN_PROGRESS,
        StageStatus.NOT_STARTED,
    ]
    assert [s.record.pain_during for s in records.sessions] == [3, 3, 2, 2, 5]
    # Local offset kept: 08:00 UTC on 2 November is 09:00 in Berlin.
    assert records.sessions[0].record.at.isoformat() == "2026-11-02T09:00:00+01:00"
    assert [d.decision for d in records.decisions] == [
        Decision.STAY,
        Decision.STAY,
        Decision.PROGRESS,
        Decision.STAY,
        Decision.STOP,
    ]
    assert records.decisions[-1].rules == ("R4",)
    assert [q.instrument.value for q in records.questionnaires] == [
        "startback",
        "odi",
        "odi",
        "psfs",
    ]
    assert [(r.stage, r.rom_deg) for r in records.rom] == [(2, Decimal("58.4"))]
    assert [f.code for f in records.flags] == ["night_pain_unremitting"]


def test_fhir_round_trip_through_a_second_database(store: Store, second_store: Store) -> None:
    patient_id = build_history(store)
    first = bundle_json(load_patient_records(store.ctx, LOCAL, patient_id), NOW)
    second_store.clock.set(NOW)
    new_id = import_patient_records(second_store.ctx, LOCAL, read_bundle_text(first, NOW))
    again = bundle_json(load_patient_records(second_store.ctx, LOCAL, new_id), NOW)
    assert renamed_ids(again) == renamed_ids(first)  # the same but for the new ids


def test_the_clinicians_words_survive_the_fhir_round_trip(
    store: Store, second_store: Store
) -> None:
    patient_id = onboard(
        store.ctx,
        LOCAL,
        OnboardingInput(display_name="Ana", time_zone="Europe/Berlin", clearance=True),
    ).patient_id
    clinician.adjust(store.ctx, LOCAL, patient_id, stage=2, note="Back to sitting: flare settled")
    first = bundle_json(load_patient_records(store.ctx, LOCAL, patient_id), NOW)
    second_store.clock.set(NOW)
    new_id = import_patient_records(second_store.ctx, LOCAL, read_bundle_text(first, NOW))
    with second_store.ctx.uow() as uow:
        events = uow.events.for_patient(new_id)
    assert [(e.kind, e.note) for e in events][-1] == (
        EventKind.STAGE_CHANGE,
        "Back to sitting: flare settled",
    )
    assert [e.kind for e in events][:2] == [EventKind.PRESCRIBE, EventKind.STAGE_CHANGE]
    again = bundle_json(load_patient_records(second_store.ctx, LOCAL, new_id), NOW)
    assert renamed_ids(again) == renamed_ids(first)  # the same but for the new ids


def test_csv_round_trip_through_a_second_database(store: Store, second_store: Store) -> None:
    patient_id = build_history(store)
    records = load_patient_records(store.ctx, LOCAL, patient_id)
    target = onboard(
        second_store.ctx,
        LOCAL,
        OnboardingInput(display_name="Copy", time_zone="Europe/Berlin", clearance=True),
    ).patient_id
    second_store.clock.set(NOW)
    added = import_sessions(
        second_store.ctx, LOCAL, target, read_csv(sessions_csv(records.sessions), NOW).sessions
    )
    assert added == 5
    copied = load_patient_records(second_store.ctx, LOCAL, target)
    assert sessions_csv(copied.sessions) == sessions_csv(records.sessions)
    # Decisions are not imported: the rules decide again at the next session.
    assert copied.decisions == ()


def test_a_bad_session_imports_nothing(store: Store) -> None:
    patient_id = build_history(store)
    good = SessionRecord(
        at=START + timedelta(days=20),
        stage=1,
        effort=Effort.EASY,
        pain_before=1,
        pain_during=1,
        pain_after=1,
        location_before=Location.BACK,
        location_after=Location.BACK,
    )
    bad = SessionRecord(**{**{f: getattr(good, f) for f in good.__slots__}, "stage": 4})
    store.clock.set(NOW)
    with pytest.raises(InvalidInput, match=r"sessions\[1\].stage: must be 1-3"):
        import_sessions(
            store.ctx, LOCAL, patient_id, [SessionEntry("a", good), SessionEntry("b", bad)]
        )
    assert len(load_patient_records(store.ctx, LOCAL, patient_id).sessions) == 5


def test_a_patient_account_may_not_import_a_bundle(store: Store) -> None:
    patient_id = build_history(store)
    records = load_patient_records(store.ctx, LOCAL, patient_id)
    with pytest.raises(PermissionDenied):
        import_patient_records(store.ctx, Actor(role=Role.PATIENT, user_id=99), records)


def test_unknown_patient_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        load_patient_records(store.ctx, LOCAL, 42)


def test_importing_the_same_csv_twice_is_refused_whole(store: Store) -> None:
    patient_id = build_history(store)
    records = load_patient_records(store.ctx, LOCAL, patient_id)
    with pytest.raises(Conflict, match="already stored; nothing was imported"):
        import_sessions(store.ctx, LOCAL, patient_id, records.sessions)
    after = load_patient_records(store.ctx, LOCAL, patient_id)
    assert (len(after.sessions), len(after.decisions)) == (5, 5)
