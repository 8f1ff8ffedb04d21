"""Holds are timed from timestamps, whatever the frame rate, and judged in whole milliseconds.

The series here are trapezoids: a fast linear rise (far above the 30°/s hold speed),
a plateau of a known length whose ends fall on sample times, and a fast return.
The true hold is the plateau, so every frame rate must measure exactly its length.
"""

from __future__ import annotations

import random

import pytest

from spinestep.domain.reps import (
    HELD_MIN_S,
    AngleSample,
    RepCounter,
    count_reps,
    is_held,
    whole_ms,
)

BASELINE_DEG = 5.0
PEAK_DEG = 95.0
RAMP_DEG_S = 150.0


def _trapezoid_at(t_s: float, hold_start_s: float, hold_s: float) -> float:
    """Rest at the baseline, rise at 150°/s, hold the peak for ``hold_s``, return at 150°/s."""
    rise_s = (PEAK_DEG - BASELINE_DEG) / RAMP_DEG_S
    up_start = hold_start_s - rise_s
    hold_end = hold_start_s + hold_s
    if t_s <= up_start or t_s >= hold_end + rise_s:
        return BASELINE_DEG
    if t_s < hold_start_s:
        return BASELINE_DEG + RAMP_DEG_S * (t_s - up_start)
    if t_s <= hold_end:
        return PEAK_DEG
    return PEAK_DEG - RAMP_DEG_S * (t_s - hold_end)


def _uniform_times_ms(fps: int, total_s: float) -> list[int]:
    return [round(i * 1000 / fps) for i in range(int(total_s * fps) + 1)]


def _variable_times_ms(must_include_ms: list[int], total_s: float, seed: int) -> list[int]:
    """Frame times of a phone video with a variable frame rate: gaps of 15–70 ms,
    with the plateau's start and end among them."""
    rng = random.Random(seed)
    times = {0, *must_include_ms}
    t = 0
    while t < total_s * 1000:
        t += rng.randint(15, 70)
        times.add(t)
    return sorted(times)


def _samples(times_ms: list[int], hold_start_s: float, hold_s: float) -> list[AngleSample]:
    return [AngleSample(t / 1000, _trapezoid_at(t / 1000, hold_start_s, hold_s)) for t in times_ms]


def _live_longest_timer(samples: list[AngleSample]) -> float:
    counter = RepCounter()
    longest = 0.0
    for sample in samples:
        counter.update(sample)
        longest = max(longest, counter.hold_timer_s)
    counter.finish()
    return longest


@pytest.mark.parametrize("fps", [15, 24, 30, 60])
def test_a_one_second_hold_measures_one_second_at_any_constant_frame_rate(fps: int) -> None:
    samples = _samples(_uniform_times_ms(fps, 6.0), hold_start_s=3.0, hold_s=1.0)
    (rep,) = count_reps(samples).reps
    assert rep.hold_s == pytest.approx(1.0, abs=1e-9)
    assert (rep.hold_start_s, rep.hold_end_s) == pytest.approx((3.0, 4.0), abs=1e-9)
    assert rep.held
    assert _live_longest_timer(samples) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_a_one_second_hold_measures_one_second_with_a_variable_frame_rate(seed: int) -> None:
    times = _variable_times_ms([2500, 3500], 6.0, seed)
    samples = _samples(times, hold_start_s=2.5, hold_s=1.0)
    (rep,) = count_reps(samples).reps
    assert rep.hold_s == pytest.approx(1.0, abs=1e-9)
    assert rep.held
    assert rep.rom_deg == pytest.approx(PEAK_DEG - BASELINE_DEG)
    assert _live_longest_timer(samples) == pytest.approx(1.0, abs=1e-9)


def test_a_hold_of_exactly_800_ms_is_held_though_the_float_difference_is_short() -> None:
    # Container timestamps in seconds: 2.3 − 1.5 is 0.7999999999999998 in floating point.
    assert HELD_MIN_S > 2.3 - 1.5
    times_s = [round(i / 30, 3) for i in range(150)]
    assert {1.5, 2.3} <= set(times_s)
    samples = [AngleSample(t, _trapezoid_at(t, 1.5, 0.8)) for t in times_s]
    (rep,) = count_reps(samples).reps
    assert (rep.hold_start_s, rep.hold_end_s) == (1.5, 2.3)
    assert rep.hold_s < HELD_MIN_S  # the float arithmetic really came out short
    assert rep.held
    assert count_reps(samples).held_count == 1


def test_a_hold_one_millisecond_short_of_800_is_not_held() -> None:
    samples = _samples(_variable_times_ms([2000, 2799], 5.0, seed=9), 2.0, 0.799)
    (rep,) = count_reps(samples).reps
    assert whole_ms(rep.hold_s) == 799
    assert not rep.held


def test_held_compares_whole_milliseconds() -> None:
    assert is_held(0.7999999999999998)
    assert is_held(0.8)
    assert is_held(0.7995)  # rounds to 800 ms
    assert not is_held(0.7994)
    assert not is_held(0.799)
    assert whole_ms(0.7999999999999998) == 800


@pytest.mark.parametrize(("fps", "glitch_frames", "bridged"), [(30, 2, True), (15, 1, True)])
def test_a_glitch_shorter_than_the_bridge_does_not_split_the_hold(
    fps: int, glitch_frames: int, bridged: bool
) -> None:
    """One or two frames 20° off the plateau (66.7 ms of glitch at 30 and at 15 fps)."""
    times = _uniform_times_ms(fps, 7.0)
    samples = _samples(times, hold_start_s=3.0, hold_s=2.0)
    glitch_at = times.index(4000)
    for i in range(glitch_at, glitch_at + glitch_frames):
        samples[i] = AngleSample(samples[i].t_s, PEAK_DEG - 20.0)
    (rep,) = count_reps(samples).reps
    assert (rep.hold_s == pytest.approx(2.0, abs=1e-9)) is bridged


@pytest.mark.parametrize("fps", [30, 15])
def test_a_glitch_of_a_tenth_of_a_second_or_more_splits_the_hold(fps: int) -> None:
    """Frames 20° off the plateau for 100 ms (three frames at 30 fps) or 133 ms (two at 15)."""
    times = _uniform_times_ms(fps, 7.0)
    samples = _samples(times, hold_start_s=3.0, hold_s=2.0)
    glitch_at = times.index(4000)
    for i in range(glitch_at, glitch_at + (3 if fps == 30 else 2)):
        samples[i] = AngleSample(samples[i].t_s, PEAK_DEG - 20.0)
    (rep,) = count_reps(samples).reps
    assert rep.hold_s < 1.1  # the longer piece only: the hold was split


def test_the_live_counter_announces_when_a_hold_starts() -> None:
    samples = _samples(_uniform_times_ms(15, 6.0), hold_start_s=3.0, hold_s=1.0)
    counter = RepCounter()
    events = [(e.kind, e.t_s) for s in samples for e in counter.update(s)]
    events += [(e.kind, e.t_s) for e in counter.finish()]
    kinds = [kind for kind, _ in events]
    assert kinds == ["baseline", "rep_started", "hold_started", "rep_completed"]
    # A sample is judged steady once the next one arrives: the hold that began at 3.0 s
    # is seen when the frame after its second frame comes in, two frames later.
    assert dict(events)["hold_started"] == pytest.approx(3.0 + 2 / 15, abs=1e-3)


def test_the_way_down_is_not_bridged_into_the_hold() -> None:
    """A slow frame early on the way down is not a glitch: the angle on its two sides
    differs by more than the hold speed allows, so the hold ends where the descent starts."""
    times = _uniform_times_ms(30, 7.0)
    samples = _samples(times, hold_start_s=3.0, hold_s=1.0)
    after = times.index(4000)
    down = [93.0, 91.0, 90.5, 88.5, 86.0, 80.0, 70.0, 60.0, 50.0, 40.0, 30.0, 20.0, 10.0]
    for offset, angle in enumerate(down, start=1):
        samples[after + offset] = AngleSample(samples[after + offset].t_s, angle)
    (rep,) = count_reps(samples).reps
    assert rep.hold_s == pytest.approx(1.0, abs=1e-9)
    assert rep.hold_end_s == pytest.approx(4.0)
