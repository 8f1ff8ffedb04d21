"""Gap interpolation, zero-phase smoothing and the live 1€ filter."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spinestep.motion.filtering import OneEuroFilter, interpolate_gaps, zero_phase_smooth

pytestmark = pytest.mark.motion


def test_short_gaps_are_bridged_and_long_ones_left_empty() -> None:
    times = [i / 10 for i in range(20)]  # 10 samples a second
    values: list[float | None] = [float(i) for i in range(20)]
    values[3] = values[4] = None  # 0.3 s between known neighbours: bridged
    for i in range(8, 16):
        values[i] = None  # 0.9 s: left missing
    out = interpolate_gaps(times, values, max_gap_s=0.5)
    assert out[3] == pytest.approx(3.0)
    assert out[4] == pytest.approx(4.0)
    assert all(math.isnan(v) for v in out[8:16])
    assert out[16] == 16.0


def test_leading_and_trailing_gaps_stay_missing() -> None:
    out = interpolate_gaps([0.0, 0.1, 0.2, 0.3], [None, 1.0, 2.0, None])
    assert math.isnan(out[0]) and math.isnan(out[3])


def test_zero_phase_smoothing_keeps_a_step_in_place_without_overshoot() -> None:
    times = [i / 30 for i in range(120)]
    step = np.array([0.0] * 60 + [100.0] * 60)
    out = zero_phase_smooth(times, step)
    assert out.max() <= 100.0 + 1e-9 and out.min() >= -1e-9
    # no lag: halfway up exactly at the step
    assert out[59] + out[60] == pytest.approx(100.0)
    assert out[59] < 50.0 < out[60]
    assert out[55] == pytest.approx(0.0, abs=0.01)
    assert out[65] == pytest.approx(100.0, abs=0.01)


def test_zero_phase_smoothing_removes_single_frame_glitches() -> None:
    times = [i / 30 for i in range(60)]
    values = np.full(60, 30.0)
    values[20] = -180.0  # a wrong landmark in one frame
    out = zero_phase_smooth(times, values)
    assert np.allclose(out, 30.0)


def test_zero_phase_smoothing_smooths_each_run_separately() -> None:
    times = [i / 30 for i in range(40)]
    values = np.array([10.0] * 15 + [math.nan] * 10 + [50.0] * 15)
    out = zero_phase_smooth(times, values)
    assert np.allclose(out[:15], 10.0)
    assert np.isnan(out[15:25]).all()
    assert np.allclose(out[25:], 50.0)


@settings(max_examples=30, deadline=None)
@given(level=st.floats(min_value=-90, max_value=180), start=st.floats(min_value=-50, max_value=50))
def test_one_euro_settles_on_a_constant(level: float, start: float) -> None:
    smooth = OneEuroFilter()
    smooth(0.0, start)
    out = start
    for i in range(1, 200):
        out = smooth(i / 30, level)
    assert out == pytest.approx(level, abs=0.05)


def test_one_euro_reduces_jitter_while_still() -> None:
    rng = np.random.default_rng(4)
    noisy = 20.0 + rng.normal(0.0, 2.0, 300)
    smooth = OneEuroFilter()
    out = np.array([smooth(i / 30, float(v)) for i, v in enumerate(noisy)])
    assert out[50:].std() < 0.5 * noisy[50:].std()


@pytest.mark.parametrize("fps", [30, 60, 120])
def test_glitch_removal_is_measured_in_seconds_not_frames(fps: int) -> None:
    # A wrong landmark lasting one 30 fps frame (33 ms) is 2 frames at 60 fps and
    # 4 at 120 fps: it is removed alike at every rate.
    times = [i / fps for i in range(2 * fps)]
    values = np.full(2 * fps, 30.0)
    first = fps // 2
    values[first : first + fps // 30] = -180.0
    out = zero_phase_smooth(times, values)
    assert np.allclose(out, 30.0)


def test_a_short_plateau_survives_at_a_low_frame_rate() -> None:
    # At 10 fps, two frames (0.2 s) near a peak are real motion, not a glitch.
    times = [i / 10 for i in range(30)]
    values = np.full(30, 5.0)
    values[14:16] = 60.0
    out = zero_phase_smooth(times, values)
    assert out.max() == pytest.approx(60.0, abs=0.5)


def test_smoothing_follows_the_timestamps_of_a_variable_frame_rate() -> None:
    # Dense frames (60 fps) then sparse ones (15 fps): a one-frame glitch is removed in
    # both parts, and a step keeps its place in time.
    dense = [i / 60 for i in range(120)]
    sparse = [2.0 + i / 15 for i in range(1, 31)]
    times = dense + sparse
    values = np.array([10.0 if t < 2.5 else 50.0 for t in times])
    values[60] = 90.0
    values[125] = -40.0
    out = zero_phase_smooth(times, values)
    assert np.allclose(out[:115], 10.0)
    assert out[125] == pytest.approx(10.0, abs=0.01)
    step = next(i for i, t in enumerate(times) if t >= 2.5)
    assert out[step - 2] == pytest.approx(10.0, abs=0.01)
    assert out[step + 1] == pytest.approx(50.0, abs=0.01)
