"""Sessions saved with motion-analysis metrics, and ROM per stage and week (both backends)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from spinestep.domain.model import Effort
from spinestep.errors import InvalidInput
from spinestep.interop.fhir import build_bundle, bundle_json
from spinestep.interop.fhir_read import read_bundle_text
from spinestep.services import clinician, programme
from spinestep.services.context import Actor, FixedClock, ServiceContext
from spinestep.services.patient_records import import_patient_records, load_patient_records
from spinestep.services.rom_trend import rom_by_stage_week
from tests.services.support import easy, onboard, screened_session

# Supine (stage 1 of lumbar-flexion) is measured by hip flexion (SPEC §6).
SUPINE: dict[str, Any] = {
    "stage": "supine",
    "measure": "hip_flexion",
    "reps": 3,
    "held_count": 2,
    "rom_deg": [80.04, 85.0, 90.0],
    "rom_deg_median": 85.0,
    "detected_fraction": 0.974,
    "visibility_mean": 0.9,
    "side_view": True,
}


def _metrics(**changes: object) -> dict[str, Any]:
    return {**SUPINE, **changes}


def _sessions(ctx: ServiceContext, me: Actor, patient_id: int) -> int:
    with ctx.uow() as uow:
        return len(uow.sessions.for_patient(patient_id))


def test_metrics_are_stored_normalised_and_reps_default_to_the_count(
    ctx: ServiceContext, me: Actor
) -> None:
    patient_id = onboard(ctx, me)
    outcome = screened_session(ctx, me, patient_id, easy(reps=None, motion=_metrics()))
    assert outcome.session.reps == 3
    with ctx.uow() as uow:
        (stored,) = uow.sessions.for_patient(patient_id)
    assert stored.motion == {
        "stage": "supine",
        "measure": "hip_flexion",
        "reps": 3,
        "held_count": 2,
        "rom_deg": [80.0, 85.0, 90.0],  # 1 decimal
        "rom_deg_median": 85.0,
        "detected_fraction": 0.97,  # 2 decimals
        "visibility_mean": 0.9,
        "side_view": True,
    }
    assert outcome.session.motion == stored.motion


def test_a_video_of_another_stage_is_refused_and_nothing_is_saved(
    ctx: ServiceContext, me: Actor
) -> None:
    patient_id = onboard(ctx, me)
    standing = _metrics(stage="standing", measure="trunk_flexion")
    with pytest.raises(InvalidInput, match=r"motion\.stage: .*standing.*stage 1 \(supine\)"):
        screened_session(ctx, me, patient_id, easy(motion=standing))
    assert _sessions(ctx, me, patient_id) == 0


def test_at_the_seated_stage_seated_metrics_are_accepted(ctx: ServiceContext, me: Actor) -> None:
    patient_id = onboard(ctx, me, start_stage=2)
    seated = _metrics(stage="seated", measure="trunk_flexion")
    assert screened_session(ctx, me, patient_id, easy(motion=seated)).session.stage == 2
    with pytest.raises(InvalidInput, match=r"motion\.stage"):
        screened_session(ctx, me, patient_id, easy(motion=_metrics()))


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"side_view": False}, "motion"),
        ({"reps": 0, "held_count": 0, "rom_deg": []}, "motion"),
        ({"reps": "3"}, "motion.reps"),
        ({"reps": True}, "motion.reps"),
        ({"held_count": 4}, "motion.held_count"),
        ({"rom_deg": [80.0, 85.0]}, "motion.rom_deg"),
        ({"rom_deg": [80.0, None, 90.0]}, "motion.rom_deg[1]"),
        ({"rom_deg": [80.0, 200.0, 90.0]}, "motion.rom_deg[1]"),
        ({"rom_deg_median": None}, "motion.rom_deg_median"),
        ({"rom_deg_median": float("nan")}, "motion.rom_deg_median"),
        ({"detected_fraction": 1.5}, "motion.detected_fraction"),
        ({"visibility_mean": -0.1}, "motion.visibility_mean"),
        ({"measure": "trunk_flexion"}, "motion.measure"),
        ({"stage": "kneeling"}, "motion.stage"),
        ({"side_view": 1}, "motion.side_view"),
        ({"lumbar_flexion_deg": 40.0}, "motion.lumbar_flexion_deg"),
    ],
)
def test_bad_metrics_are_refused_naming_the_field(
    ctx: ServiceContext, me: Actor, changes: dict[str, object], path: str
) -> None:
    patient_id = onboard(ctx, me)
    with pytest.raises(InvalidInput) as caught:
        screened_session(ctx, me, patient_id, easy(motion=_metrics(**changes)))
    assert caught.value.path == path
    assert _sessions(ctx, me, patient_id) == 0


def test_a_missing_field_is_named(ctx: ServiceContext, me: Actor) -> None:
    patient_id = onboard(ctx, me)
    metrics = _metrics()
    del metrics["held_count"]
    with pytest.raises(InvalidInput, match=r"^motion\.held_count: is required$"):
        screened_session(ctx, me, patient_id, easy(motion=metrics))


def test_visibility_may_be_unknown(ctx: ServiceContext, me: Actor) -> None:
    patient_id = onboard(ctx, me)
    metrics = _metrics()
    del metrics["visibility_mean"]
    outcome = screened_session(ctx, me, patient_id, easy(motion=metrics))
    assert outcome.session.motion is not None
    assert outcome.session.motion["visibility_mean"] is None


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_rom_per_stage_and_iso_week_in_the_patients_time_zone(
    ctx: ServiceContext, me: Actor
) -> None:
    # Auckland (+13:00 in November). Moderate effort: no session qualifies, no progress.
    patient_id = onboard(ctx, me, time_zone="Pacific/Auckland")
    moderate = Effort.MODERATE
    week_46 = [("2026-11-09T10:00:00+13:00", 80.0), ("2026-11-11T10:00:00+13:00", 90.0)]
    week_46.append(("2026-11-12T18:00:00+13:00", 95.0))
    for at, rom in week_46:
        metrics = _metrics(rom_deg=[rom] * 3, rom_deg_median=rom)
        screened_session(ctx, me, patient_id, easy(effort=moderate, at=_at(at), motion=metrics))
    # Sunday 15 November 11:30 UTC (ISO week 46) is Monday 16 November 00:30 in Auckland.
    late = _metrics(rom_deg=[99.0, 100.0, 101.0], rom_deg_median=100.0)
    screened_session(
        ctx, me, patient_id, easy(effort=moderate, at=_at("2026-11-15T11:30:00+00:00"), motion=late)
    )
    # A session without a video does not count.
    screened_session(
        ctx, me, patient_id, easy(effort=moderate, at=_at("2026-11-17T09:00:00+13:00"))
    )
    clinician.adjust(ctx, me, patient_id, stage=2)
    seated = _metrics(
        stage="seated", measure="trunk_flexion", rom_deg=[60.0] * 3, rom_deg_median=60.0
    )
    screened_session(
        ctx,
        me,
        patient_id,
        easy(effort=moderate, at=_at("2026-11-18T09:00:00+13:00"), motion=seated),
    )

    weeks = rom_by_stage_week(ctx, me, patient_id)
    got = [
        (w.stage, w.stage_id, w.measure, w.week_label, w.week_start, w.rom_deg_median, w.sessions)
        for w in weeks
    ]
    assert got == [
        # median of 80, 90, 95 is 90 (the mean would be 88.3)
        (1, "supine", "hip_flexion", "2026-W46", date(2026, 11, 9), 90.0, 3),
        (1, "supine", "hip_flexion", "2026-W47", date(2026, 11, 16), 100.0, 1),
        (2, "seated", "trunk_flexion", "2026-W47", date(2026, 11, 16), 60.0, 1),
    ]
    view = programme.history(ctx, me, patient_id)
    assert view.rom_trend == weeks
    assert weeks[0].to_json() == {
        "stage": 1,
        "stage_id": "supine",
        "measure": "hip_flexion",
        "week": "2026-W46",
        "week_start": "2026-11-09",
        "rom_deg_median": 90.0,
        "sessions": 3,
    }


def test_no_rom_without_analysed_sessions(ctx: ServiceContext, me: Actor) -> None:
    patient_id = onboard(ctx, me)
    screened_session(ctx, me, patient_id, easy())
    assert rom_by_stage_week(ctx, me, patient_id) == ()
    assert programme.history(ctx, me, patient_id).rom_trend == ()


def test_a_saved_analysis_is_a_fhir_rom_observation_in_degrees_that_survives_the_round_trip(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    patient_id = onboard(ctx, me)
    outcome = screened_session(ctx, me, patient_id, easy(motion=_metrics()))
    records = load_patient_records(ctx, me, patient_id)
    assert [(r.id, r.stage, r.measure.value, r.rom_deg) for r in records.rom] == [
        (str(outcome.session.id), 1, "hip_flexion", Decimal("85.0"))
    ]
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    bundle = build_bundle(records, now)
    rom = [
        entry["resource"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "Observation"
        and entry["resource"].get("valueQuantity", {}).get("code") == "deg"
    ]
    assert len(rom) == 1
    assert rom[0]["valueQuantity"] == {
        "value": 85.0,
        "unit": "deg",
        "system": "http://unitsofmeasure.org",
        "code": "deg",
    }
    first = bundle_json(records, now)
    new_id = import_patient_records(ctx, me, read_bundle_text(first))
    copied = load_patient_records(ctx, me, new_id)
    assert [(r.stage, r.measure.value, r.rom_deg) for r in copied.rom] == [
        (1, "hip_flexion", Decimal("85.0"))
    ]
    weeks = rom_by_stage_week(ctx, me, new_id)
    assert [(w.stage_id, w.rom_deg_median, w.sessions) for w in weeks] == [("supine", 85.0, 1)]
