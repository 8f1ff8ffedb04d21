"""Invariants of the motion-metric checks and the weekly ROM grouping (pure, Hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spinestep.domain.model import Effort, Location
from spinestep.errors import InvalidInput
from spinestep.services.motion_metrics import check_motion_metrics, metrics_from_analysis_json
from spinestep.services.records import StoredSession
from spinestep.services.rom_trend import rom_weeks

STAGES = {"supine": "hip_flexion", "seated": "trunk_flexion", "standing": "trunk_flexion"}
angles = st.floats(min_value=-180.0, max_value=180.0, allow_nan=False)
fractions = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@st.composite
def metrics(draw: st.DrawFn) -> dict[str, Any]:
    stage = draw(st.sampled_from(sorted(STAGES)))
    rom = draw(st.lists(angles, min_size=1, max_size=30))
    return {
        "stage": stage,
        "measure": STAGES[stage],
        "reps": len(rom),
        "held_count": draw(st.integers(0, len(rom))),
        "rom_deg": rom,
        "rom_deg_median": draw(angles),
        "detected_fraction": draw(fractions),
        "visibility_mean": draw(st.one_of(st.none(), fractions)),
        "side_view": True,
    }


@given(metrics())
def test_valid_metrics_are_kept_rounded_and_checking_twice_changes_nothing(
    data: dict[str, Any],
) -> None:
    checked = check_motion_metrics(data)
    assert checked["reps"] == len(checked["rom_deg"]) == data["reps"]
    assert 0 <= checked["held_count"] <= checked["reps"]
    for kept, given_deg in zip(checked["rom_deg"], data["rom_deg"], strict=True):
        assert kept == round(given_deg, 1)
        assert abs(kept) <= 180.0
    assert check_motion_metrics(checked) == checked


@given(metrics(), st.sampled_from(["reps", "held_count", "rom_deg", "side_view", "stage"]))
def test_a_broken_field_is_always_refused(data: dict[str, Any], key: str) -> None:
    broken = {**data, key: "x"}
    with pytest.raises(InvalidInput):
        check_motion_metrics(broken)


def test_the_analysis_json_of_a_video_gives_its_metrics() -> None:
    # A SPEC §6 object written out by hand: three reps, two held.
    analysis = {
        "stage": "standing",
        "measure": "trunk_flexion",
        "fps": 30.0,
        "frames": 600,
        "duration_s": 20.0,
        "detected_fraction": 1.0,
        "view": {"side_view": True, "facing": "right", "message": None},
        "baseline_deg": 4.1,
        "reps": [
            {"index": 1, "start_s": 1.0, "end_s": 4.1, "peak_deg": 121.3, "hold_s": 1.4,
             "held": True, "rom_deg": 117.2},
            {"index": 2, "start_s": 5.0, "end_s": 8.0, "peak_deg": 119.0, "hold_s": 0.5,
             "held": False, "rom_deg": 114.9},
            {"index": 3, "start_s": 9.0, "end_s": 12.5, "peak_deg": 120.0, "hold_s": 1.1,
             "held": True, "rom_deg": 115.0},
        ],
        "rep_count": 3,
        "held_count": 2,
        "rom_deg_median": 115.0,
    }  # fmt: skip
    assert check_motion_metrics(metrics_from_analysis_json(analysis)) == {
        "stage": "standing",
        "measure": "trunk_flexion",
        "reps": 3,
        "held_count": 2,
        "rom_deg": [117.2, 114.9, 115.0],
        "rom_deg_median": 115.0,
        "detected_fraction": 1.0,
        "visibility_mean": None,
        "side_view": True,
    }
    photo = {"stage": "standing", "frames": 1, "angles": {"trunk_flexion_deg": 10.0}}
    with pytest.raises(InvalidInput, match="still photo"):
        metrics_from_analysis_json(photo)


T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def _session(hours: int, stage: int, rom: float | None) -> StoredSession:
    motion = None if rom is None else {"measure": "hip_flexion", "rom_deg_median": rom}
    return StoredSession(
        patient_id=1,
        assignment_id=1,
        at=T0 + timedelta(hours=hours),
        stage=stage,
        completed=True,
        effort=Effort.EASY,
        pain_before=2,
        pain_during=2,
        pain_after=2,
        location_before=Location.BACK,
        location_after=Location.BACK,
        created_at=T0,
        motion=motion,
    )


@settings(max_examples=60)
@given(
    st.lists(
        st.tuples(st.integers(0, 24 * 60), st.integers(1, 3), st.one_of(st.none(), angles)),
        max_size=40,
    ),
    st.sampled_from(["UTC", "Pacific/Auckland", "America/Los_Angeles"]),
)
def test_every_analysed_session_lands_in_one_week_and_medians_stay_within_range(
    plan: list[tuple[int, int, float | None]], zone: str
) -> None:
    sessions = [_session(h, s, rom) for h, s, rom in plan]
    weeks = rom_weeks(sessions, {}, zone)
    assert sum(w.sessions for w in weeks) == sum(1 for _, _, rom in plan if rom is not None)
    keys = [(w.stage, w.iso_year, w.iso_week) for w in weeks]
    assert keys == sorted(set(keys))
    for week in weeks:
        assert week.week_start.isoweekday() == 1
        values = [rom for h, s, rom in plan if rom is not None and s == week.stage]
        assert min(values) - 0.05 <= week.rom_deg_median <= max(values) + 0.05
