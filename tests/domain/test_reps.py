"""The repetition state machine on angle series whose reps, holds and ROM are known."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spinestep.domain.reps import AngleSample, RepCounter, count_reps
from tests.domain.synthetic_body import RepPlan, angle_profile, frame_times


def _series(
    baseline: float, plan: list[RepPlan], fps: float = 30.0, noise: float = 0.0, seed: int = 1
):  # type: ignore[no-untyped-def]
    at, total = angle_profile(baseline, plan)
    rng = random.Random(seed)
    return [AngleSample(t, at(t) + rng.gauss(0.0, noise)) for t in frame_times(total, fps)]


def test_counts_reps_and_measures_holds_and_rom() -> None:
    plan = [RepPlan(100, 1.5), RepPlan(110, 2.0), RepPlan(95, 0.3)]
    result = count_reps(_series(5.0, plan))
    assert result.baseline_deg == pytest.approx(5.0)
    assert len(result.reps) == 3
    assert [r.held for r in result.reps] == [True, True, False]
    assert result.held_count == 2
    for rep, truth in zip(result.reps, plan, strict=True):
        assert rep.hold_s == pytest.approx(truth.hold_s, abs=0.3)
        assert rep.rom_deg == pytest.approx(truth.peak_deg - 5.0, abs=3.0)
        assert rep.peak_deg == pytest.approx(truth.peak_deg, abs=0.5)
    # reps are in order and do not overlap
    assert all(a.end_s <= b.start_s for a, b in zip(result.reps, result.reps[1:], strict=False))


def test_rise_below_fifteen_degrees_is_not_a_rep() -> None:
    result = count_reps(_series(10.0, [RepPlan(23.0, 1.5), RepPlan(40.0, 1.5)]))
    assert len(result.reps) == 1
    assert result.reps[0].peak_deg == pytest.approx(40.0, abs=0.5)


def test_noise_at_the_threshold_does_not_double_count() -> None:
    # A hold right at baseline + 15 with noise: hysteresis keeps it one rep.
    result = count_reps(_series(0.0, [RepPlan(16.0, 2.0), RepPlan(60.0, 1.0)], noise=1.5, seed=3))
    assert len(result.reps) == 2


def test_a_rep_still_out_at_the_end_does_not_count() -> None:
    samples = _series(0.0, [RepPlan(80.0, 1.0)])
    cut = [s for s in samples if s.t_s < 4.0]  # lead-in 2 s, up 1.2 s: still at the top
    assert count_reps(cut).reps == ()


def test_no_angles_means_no_baseline_and_no_reps() -> None:
    result = count_reps([AngleSample(i / 30, None, False, 0.0) for i in range(90)])
    assert result.baseline_deg is None
    assert result.reps == ()
    assert result.rom_deg_median is None


def test_rep_quality_counts_undetected_frames() -> None:
    samples = _series(0.0, [RepPlan(90.0, 1.5)])
    thinned = [
        AngleSample(s.t_s, s.angle_deg, detected=(i % 4 != 0), visibility=0.8)
        for i, s in enumerate(samples)
    ]
    rep = count_reps(thinned).reps[0]
    assert rep.detected_fraction == pytest.approx(0.75, abs=0.05)
    assert rep.visibility == pytest.approx(0.8)


def test_live_counter_reports_hold_timer_and_events() -> None:
    counter = RepCounter()
    kinds: list[str] = []
    longest_hold = 0.0
    for sample in _series(0.0, [RepPlan(90.0, 2.0)]):
        kinds += [e.kind for e in counter.update(sample)]
        longest_hold = max(longest_hold, counter.hold_timer_s)
    kinds += [e.kind for e in counter.finish()]
    assert kinds == ["baseline", "rep_started", "hold_started", "rep_completed"]
    assert longest_hold == pytest.approx(2.0, abs=0.3)


@settings(max_examples=40, deadline=None)
@given(
    peaks=st.lists(st.floats(min_value=70.0, max_value=130.0), min_size=1, max_size=6),
    holds=st.lists(st.floats(min_value=0.0, max_value=2.5), min_size=6, max_size=6),
    baseline=st.floats(min_value=-5.0, max_value=40.0),
)
# Rises of 70° or more: SPEC §6 counts the slow approach to a small peak as hold.
def test_every_planned_rep_is_counted_once(
    peaks: list[float], holds: list[float], baseline: float
) -> None:
    plan = [RepPlan(baseline + p, h) for p, h in zip(peaks, holds, strict=False)]
    result = count_reps(_series(baseline, plan))
    assert len(result.reps) == len(plan)
    for rep, truth in zip(result.reps, plan, strict=True):
        # the slow approach to the peak, plus each end's half a frame interval
        assert rep.hold_s == pytest.approx(truth.hold_s, abs=0.3 + 1 / 30)
        assert rep.held == (round(rep.hold_s * 1000) >= 800)  # whole milliseconds
        if truth.hold_s >= 1.0:
            assert rep.held
        assert rep.rom_deg == pytest.approx(truth.peak_deg - baseline, abs=3.0)
