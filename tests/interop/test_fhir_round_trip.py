"""Export → import into a fresh database → export keeps everything but the ids.

``fill_every_field`` stores one patient whose records set a value other than the
default in every field that the Bundle carries (a US emergency number, a paused
maintenance programme with the clinician's settings, a session stopped early, full
motion metrics, resolved red flags with the clinician's finding, screenings from every
source, programme events of every kind, questionnaires in the patient's own offset).
The round trip runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import re
from dataclasses import MISSING, fields, is_dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from spinestep.domain.model import (
    DirectionalPreference,
    Effort,
    EmergencyNumber,
    Location,
    Phase,
)
from spinestep.domain.scoring import Bothersomeness
from spinestep.errors import InvalidInput
from spinestep.interop import fhir_codes as c
from spinestep.interop.fhir import bundle_json
from spinestep.interop.fhir_read import read_bundle_text
from spinestep.services.patient_records import import_patient_records, load_patient_records
from spinestep.services.questionnaire_scores import answers_to_json, score_answers
from spinestep.services.record_types import (
    Answers,
    MotionMetrics,
    OdiAnswers,
    PsfsActivity,
    PsfsAnswers,
    RmdqAnswers,
    StartBackAnswers,
)
from spinestep.services.records import (
    AssignmentRecord,
    EventKind,
    FlagSource,
    OutcomeMeasure,
    PatientRecord,
    ProgrammeEvent,
    ProgrammeStatus,
    RedFlagReport,
    ScreeningRecord,
    StoredQuestionnaire,
    StoredSession,
)
from tests.interop.fhir_schema import assert_valid_r4
from tests.interop.sample_records import sample_records
from tests.services.history_builder import (
    LOCAL,
    Store,
    second_database_url,
    second_store,
    store,
)

__all__ = ["second_database_url", "second_store", "store"]

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
NEW_YORK = timezone(timedelta(hours=-5))  # New York in November (EST)
DAY = datetime(2026, 11, 2, 8, 0, tzinfo=NEW_YORK)
Json = dict[str, Any]

MOTION_HELD = {
    "stage": "seated",
    "measure": "trunk_flexion",
    "reps": 3,
    "held_count": 2,
    "rom_deg": [61.5, 58.0, 40.2],
    "rom_deg_median": 58.0,
    "detected_fraction": 0.97,
    "visibility_mean": 0.81,
    "side_view": True,
}
MOTION_SUPINE = {
    "stage": "supine",
    "measure": "hip_flexion",
    "reps": 2,
    "held_count": 0,
    "rom_deg": [88.1, 90.4],
    "rom_deg_median": 89.3,
    "detected_fraction": 0.75,
    "visibility_mean": None,
    "side_view": True,
}


def _session(
    patient_id: int, assignment_id: int, at: datetime, stage: int, **values: Any
) -> StoredSession:
    defaults: Json = {
        "completed": True,
        "effort": Effort.EASY,
        "pain_before": 3,
        "pain_during": 2,
        "pain_after": 2,
        "location_before": Location.THIGH,
        "location_after": Location.BUTTOCK,
        "reps": 10,
    }
    return StoredSession(
        patient_id=patient_id,
        assignment_id=assignment_id,
        at=at,
        stage=stage,
        created_at=at,
        **{**defaults, **values},
    )


def _questionnaire(patient_id: int, at: datetime, answers: Answers) -> StoredQuestionnaire:
    instrument = {
        OdiAnswers: "odi",
        RmdqAnswers: "rmdq",
        PsfsAnswers: "psfs",
        StartBackAnswers: "startback",
    }[type(answers)]
    return StoredQuestionnaire(
        patient_id=patient_id,
        instrument=instrument,
        taken_at=at,
        answers={"instrument": instrument, **answers_to_json(answers)},
        score=score_answers(answers).to_json(),
    )


def fill_every_field(store: Store) -> int:
    """One patient whose stored records set every exported field to a non-default value."""
    with store.ctx.uow() as uow:
        patient = uow.patients.add(
            PatientRecord(
                display_name="Dana Example",
                time_zone="America/New_York",
                emergency_number=EmergencyNumber.NORTH_AMERICA,
                created_at=DAY - timedelta(days=1),
            )
        )
        assert patient.id is not None
        pid = patient.id
        assignment = uow.assignments.add(
            AssignmentRecord(
                patient_id=pid,
                protocol_id="lumbar-flexion",
                current_stage=1,
                created_at=DAY - timedelta(hours=2),
                updated_at=DAY + timedelta(days=6),
                progress_after_sessions=4,
                min_days_at_stage=2,
                worsening_points=3,
                dose_overrides={"2": {"reps": 8, "hold_s": [2, 3], "sessions_per_day": 4}},
                clearance=True,
                cleared_at=DAY - timedelta(hours=1),
                # Found after the flexion programme began: R3 now stops it, so losing
                # this on import would restart flexion exercises.
                directional_preference=DirectionalPreference.EXTENSION,
                status=ProgrammeStatus.PAUSED,
                paused_reason="stop (R4)",
                paused_at=DAY + timedelta(days=6, hours=1),
                outcome_measure=OutcomeMeasure.RMDQ,
                psfs_enabled=True,
                progress_max_pain=3,
                progress_max_location=Location.THIGH,
                maintenance_sessions_per_day=3,
                phase=Phase.MAINTENANCE,
                run_since=DAY + timedelta(days=4),
            )
        )
        assert assignment.id is not None
        aid = assignment.id
        uow.sessions.add(_session(pid, aid, DAY, 1, motion=MOTION_SUPINE))
        uow.sessions.add(
            _session(
                pid,
                aid,
                DAY + timedelta(days=1),
                2,
                effort=Effort.MODERATE,
                reps=3,
                motion=MOTION_HELD,
            )
        )
        uow.sessions.add(
            _session(
                pid,
                aid,
                DAY + timedelta(days=6),
                1,
                completed=False,
                stopped_early=True,
                effort=Effort.HARD,
                pain_during=6,
                pain_after=5,
                location_after=Location.FOOT,
                reps=4,
            )
        )
        uow.sessions.add(_session(pid, aid, DAY + timedelta(days=2), 2, reps=None))
        for at, answers in (
            (
                DAY - timedelta(minutes=30),
                StartBackAnswers((1, 0, 1, 0, 1, 1, 0, 0), Bothersomeness.VERY_MUCH),
            ),
            (DAY - timedelta(minutes=20), RmdqAnswers((2, 5, 7, 19))),
            (DAY - timedelta(minutes=10), OdiAnswers((2, 1, None, 3, 0, 1, 2, 4, 5, 1))),
            (
                DAY + timedelta(days=5),
                PsfsAnswers((PsfsActivity("walking to work", 4), PsfsActivity("gardening", 7))),
            ),
        ):
            uow.questionnaires.add(_questionnaire(pid, at, answers))
        uow.red_flags.add(
            RedFlagReport(
                patient_id=pid,
                code="history_of_cancer",
                reported_at=DAY - timedelta(hours=3),
                source=FlagSource.ONBOARDING,
                resolved_at=DAY - timedelta(hours=2),
                outcome="Reviewed: treated in 2015, no recurrence; cleared to exercise",
            )
        )
        uow.red_flags.add(
            RedFlagReport(
                patient_id=pid,
                code="weaker_cancer_risk",
                reported_at=DAY + timedelta(days=3),
                source=FlagSource.MONTHLY,
                resolved_at=DAY + timedelta(days=4),
                resolved_by_self=True,
                outcome="Assessed by Dr Lee on 2026-11-06: weight loss explained by diet",
            )
        )
        uow.red_flags.add(
            RedFlagReport(
                patient_id=pid,
                code="night_pain_unremitting",
                reported_at=DAY + timedelta(days=6),
                source=FlagSource.SESSION,
            )
        )
        for at, source, answers in (
            (
                DAY - timedelta(hours=3),
                FlagSource.ONBOARDING,
                {"history_of_cancer": True, "major_trauma": False},
            ),
            (DAY - timedelta(minutes=5), FlagSource.SESSION, {"new_bladder_dysfunction": False}),
            (DAY + timedelta(days=3), FlagSource.MONTHLY, {"weaker_cancer_risk": True}),
        ):
            uow.screenings.add(
                ScreeningRecord(patient_id=pid, at=at, source=source, answers=answers)
            )
        for hours, kind, note in (
            (-2, EventKind.PRESCRIBE, None),
            (-1, EventKind.CLEARANCE, None),
            (30, EventKind.STAGE_CHANGE, "Sitting is fine now"),
            (50, EventKind.SETTINGS_CHANGE, "Slower progress: busy week"),
            (100, EventKind.PAUSE, None),
            (101, EventKind.RESUME, "Seen in clinic, settled"),
            (120, EventKind.COMPLETE, None),
            (145, EventKind.PAUSE, None),
        ):
            uow.events.add(
                ProgrammeEvent(
                    patient_id=pid,
                    assignment_id=aid,
                    kind=kind,
                    at=DAY + timedelta(hours=hours),
                    reason=f"{kind.value} by the clinician",
                    note=note,
                )
            )
        uow.commit()
    return pid


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def mapped_ids(text: str) -> Json:
    """The Bundle with every UUID replaced by the rank of its first appearance, and the
    Bundle's own id (new for every export) by a fixed word; nothing else is touched."""
    data = json.loads(text)
    data["id"] = "bundle"
    seen: dict[str, str] = {}

    def rank(match: re.Match[str]) -> str:
        return seen.setdefault(match.group(0), f"uuid-{len(seen)}")

    mapped: Json = json.loads(_UUID.sub(rank, json.dumps(data)))
    return mapped


def round_trip(store: Store, second_store: Store) -> tuple[str, str, int]:
    """Fill, export, import into ``second_store``, export again: (first, again, new id)."""
    return round_trip_from(store, second_store, fill_every_field(store))


def round_trip_from(store: Store, second_store: Store, patient_id: int) -> tuple[str, str, int]:
    first = bundle_json(load_patient_records(store.ctx, LOCAL, patient_id), NOW)
    second_store.clock.set(NOW)
    new_id = import_patient_records(second_store.ctx, LOCAL, read_bundle_text(first, NOW))
    again = bundle_json(load_patient_records(second_store.ctx, LOCAL, new_id), NOW)
    return first, again, new_id


def resources(bundle: str, kind: str) -> list[Json]:
    return [
        e["resource"] for e in json.loads(bundle)["entry"] if e["resource"]["resourceType"] == kind
    ]


def extension(resource: Json, url: str) -> Json:
    found = [e for e in resource.get("extension", []) if e["url"] == url]
    assert len(found) == 1, f"{resource['resourceType']} lacks {url}"
    return found[0]


#: Columns an import does not copy: local keys, the import's own times, who did what in
#: the other installation, and the clearance (a clinician clears an import again).
LOCAL_COLUMNS = {
    "id",
    "uuid",
    "patient_id",
    "assignment_id",
    "created_at",
    "updated_at",
    "clearance",
    "cleared_by",
    "cleared_at",
    "actor_user_id",
    "resolved_by",
    "user_id",
    "clinician_id",
    "self_managed",
}


def stored_rows(s: Store, pid: int) -> dict[str, list[Json]]:
    """Every stored record of the patient, column by column, but the local columns."""
    with s.ctx.uow() as uow:
        found: dict[str, list[Any]] = {
            "patient": [uow.patients.get(pid)],
            "programme": [uow.assignments.current_for(pid)],
            "sessions": uow.sessions.for_patient(pid),
            "questionnaires": uow.questionnaires.for_patient(pid),
            "flags": uow.red_flags.for_patient(pid),
            "screenings": uow.screenings.for_patient(pid),
            "events": uow.events.for_patient(pid),
        }
    return {
        kind: [
            {f.name: getattr(row, f.name) for f in fields(row) if f.name not in LOCAL_COLUMNS}
            for row in rows
        ]
        for kind, rows in found.items()
    }


#: Fields the builder leaves at their default on purpose: the app stores no birth date,
#: decisions are never part of a Bundle (the rules decide again after an import), secure
#: messages are exported but never imported (tests/interop/test_fhir_messages.py), and
#: only side-on motion analyses are ever kept.
NOT_FILLED = {
    ("PatientInfo", "birth_date"),
    ("PatientRecords", "decisions"),
    ("PatientRecords", "messages"),
    ("MotionMetrics", "side_view"),
}


def unfilled(value: Any) -> list[str]:
    """Every field of ``value`` (and the records inside it) that holds its default in
    all of its instances, as ``Type.field``."""
    if isinstance(value, tuple):
        items = [item for item in value if is_dataclass(item)]
        if not items:
            return []
        missing: set[str] | None = None
        for item in items:
            here = set(unfilled(item))
            missing = here if missing is None else missing & here
        return sorted(missing or ())
    if not is_dataclass(value) or isinstance(value, type):
        return []
    out = []
    name = type(value).__name__
    for f in fields(value):
        current = getattr(value, f.name)
        default = f.default if f.default is not MISSING else None
        if (name, f.name) in NOT_FILLED:
            continue
        if current in (default, (), None):
            out.append(f"{name}.{f.name}")
        out.extend(unfilled(current))
    return out


def blank_ids(value: Any) -> Any:
    """``value`` with every local key and UUID blank (they are mapped by an import)."""
    if isinstance(value, tuple):
        return tuple(blank_ids(item) for item in value)
    if not is_dataclass(value) or isinstance(value, type):
        return value
    changes = {
        f.name: ""
        if f.name in ("id", "uuid", "installation")
        else blank_ids(getattr(value, f.name))
        for f in fields(value)
    }
    return replace(value, **changes)


def test_export_import_export_keeps_every_field(store: Store, second_store: Store) -> None:
    patient_id = fill_every_field(store)
    stored = load_patient_records(store.ctx, LOCAL, patient_id)
    assert unfilled(stored) == []
    first, again, new_id = round_trip_from(store, second_store, patient_id)
    # Both exports, with every field filled, are valid R4 (official schema, invariants)...
    for bundle in (first, again):
        assert_valid_r4(json.loads(bundle))
    # The Bundle carries every field of the records...
    read = read_bundle_text(first, NOW)
    assert blank_ids(read) == blank_ids(replace(stored, decisions=()))
    # ...and a fresh database gives it back unchanged but for the ids,
    assert mapped_ids(again) == mapped_ids(first)
    assert _UUID.search(json.dumps(mapped_ids(first))) is None
    # with every stored column of every record but the local ones.
    before, after = stored_rows(store, patient_id), stored_rows(second_store, new_id)
    for kind, rows in before.items():
        assert after[kind] == rows, kind


def test_the_emergency_number_survives_the_round_trip(store: Store, second_store: Store) -> None:
    first, again, new_id = round_trip(store, second_store)
    with second_store.ctx.uow() as uow:
        patient = uow.patients.get(new_id)
    assert patient is not None
    assert patient.emergency_number is EmergencyNumber.NORTH_AMERICA
    for bundle in (first, again):
        (resource,) = resources(bundle, "Patient")
        assert extension(resource, c.EXT_EMERGENCY_NUMBER)["valueCode"] == "911"


def test_the_programme_keeps_the_clinicians_choices(store: Store, second_store: Store) -> None:
    _, _, new_id = round_trip(store, second_store)
    with second_store.ctx.uow() as uow:
        plan = uow.assignments.current_for(new_id)
    assert plan is not None
    assert plan.directional_preference is DirectionalPreference.EXTENSION
    assert plan.outcome_measure is OutcomeMeasure.RMDQ
    assert plan.psfs_enabled is True
    assert (plan.status, plan.paused_reason) == (ProgrammeStatus.PAUSED, "stop (R4)")
    assert plan.paused_at == DAY + timedelta(days=6, hours=1)
    assert (plan.phase, plan.current_stage, plan.maintenance_sessions_per_day) == (
        Phase.MAINTENANCE,
        1,
        3,
    )
    assert (
        plan.progress_after_sessions,
        plan.min_days_at_stage,
        plan.worsening_points,
        plan.progress_max_pain,
        plan.progress_max_location,
    ) == (4, 2, 3, 3, Location.THIGH)
    assert plan.run_since == DAY + timedelta(days=4)
    assert plan.dose_overrides == {"2": {"reps": 8, "hold_s": [2, 3], "sessions_per_day": 4}}
    # By design the clearance is not carried: a clinician clears an import again.
    assert plan.clearance is False


def test_flags_keep_the_clinicians_finding_and_their_source(
    store: Store, second_store: Store
) -> None:
    _, _, new_id = round_trip(store, second_store)
    with second_store.ctx.uow() as uow:
        flags = uow.red_flags.for_patient(new_id)
    assert [(f.code, f.source, f.outcome, f.resolved_by_self) for f in flags] == [
        (
            "history_of_cancer",
            FlagSource.ONBOARDING,
            "Reviewed: treated in 2015, no recurrence; cleared to exercise",
            False,
        ),
        (
            "weaker_cancer_risk",
            FlagSource.MONTHLY,
            "Assessed by Dr Lee on 2026-11-06: weight loss explained by diet",
            True,
        ),
        ("night_pain_unremitting", FlagSource.SESSION, None, False),
    ]


def test_sessions_keep_stopped_early_and_their_motion(store: Store, second_store: Store) -> None:
    first, again, new_id = round_trip(store, second_store)
    with second_store.ctx.uow() as uow:
        sessions = sorted(uow.sessions.for_patient(new_id), key=lambda s: s.at)
    assert [s.stopped_early for s in sessions] == [False, False, False, True]
    # Every metric of the motion analysis, on the session it was measured in.
    assert [s.motion for s in sessions] == [MOTION_SUPINE, MOTION_HELD, None, None]
    for bundle in (first, again):
        panels = {
            o["id"]: o
            for o in resources(bundle, "Observation")
            if o["code"]["coding"][0]["code"] == c.EXERCISE_SESSION
        }
        roms = [
            o
            for o in resources(bundle, "Observation")
            if o["code"]["coding"][0]["code"] in c.ROM_CODES.values()
        ]
        assert len(roms) == 2
        for rom in roms:
            owners = [
                p
                for p in panels.values()
                if {"reference": f"urn:uuid:{rom['id']}"} in p["hasMember"]
            ]
            assert len(owners) == 1
            assert owners[0]["effectiveDateTime"] == rom["effectiveDateTime"]


def test_screenings_events_and_questionnaire_offsets_survive(
    store: Store, second_store: Store
) -> None:
    first, again, new_id = round_trip(store, second_store)
    with second_store.ctx.uow() as uow:
        screenings = uow.screenings.for_patient(new_id)
        events = uow.events.for_patient(new_id)
    assert [(s.source, s.answers) for s in screenings] == [
        (FlagSource.ONBOARDING, {"history_of_cancer": True, "major_trauma": False}),
        (FlagSource.SESSION, {"new_bladder_dysfunction": False}),
        (FlagSource.MONTHLY, {"weaker_cancer_risk": True}),
    ]
    assert [(e.kind, e.note) for e in events] == [
        (EventKind.PRESCRIBE, None),
        (EventKind.CLEARANCE, None),
        (EventKind.STAGE_CHANGE, "Sitting is fine now"),
        (EventKind.SETTINGS_CHANGE, "Slower progress: busy week"),
        (EventKind.PAUSE, None),
        (EventKind.RESUME, "Seen in clinic, settled"),
        (EventKind.COMPLETE, None),
        (EventKind.PAUSE, None),
    ]
    for bundle in (first, again):
        authored = [r["authored"] for r in resources(bundle, "QuestionnaireResponse")]
        assert authored == [
            "2026-11-02T07:30:00-05:00",
            "2026-11-02T07:40:00-05:00",
            "2026-11-02T07:50:00-05:00",
            "2026-11-07T08:00:00-05:00",
        ]


def test_motion_metrics_of_another_exercise_are_refused_whole(store: Store) -> None:
    records = sample_records()
    wrong = MotionMetrics(
        exercise="standing",
        reps=1,
        held_count=1,
        rep_rom_deg=(Decimal("61.5"),),
        detected_fraction=Decimal("0.9"),
    )
    store.clock.set(NOW)
    with pytest.raises(InvalidInput) as caught:
        import_patient_records(
            store.ctx,
            LOCAL,
            replace(records, rom=(replace(records.rom[0], metrics=wrong),)),
        )
    assert str(caught.value).startswith("rom[0].motion.stage: the video shows the standing")
    with store.ctx.uow() as uow:
        assert uow.patients.get(1) is None
