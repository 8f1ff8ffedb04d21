"""Holds are timed from timestamps, whatever the frame rate, and judged in whole milliseconds.

A camera samples a movement at whatever phase it happens to have: the true start and
end of a hold fall anywhere between two frames. Most series here are "photos": the
angle is at the baseline, jumps to the peak for a known stretch of time whose ends fall
at random phases between the frames, and jumps back (as a video of photos shown for a
set time, or a movement faster than the frame interval). Each end of the measured hold
must then lie within half the interval around it of the true end, and over many phases
the error must average out to zero. The others are trapezoids (a rise at 150°/s, a
plateau, a return) used for glitches and the way down.
"""

from __future__ import annotations

import itertools
import random
import statistics

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
PHASES = 120  # random phases per seed


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
    with ``must_include_ms`` among them."""
    rng = random.Random(seed)
    times = {0, *must_include_ms}
    t = 0
    while t < total_s * 1000:
        t += rng.randint(15, 70)
        times.add(t)
    return sorted(times)


def _samples(times_ms: list[int], hold_start_s: float, hold_s: float) -> list[AngleSample]:
    return [AngleSample(t / 1000, _trapezoid_at(t / 1000, hold_start_s, hold_s)) for t in times_ms]


def _photo(times_s: list[float], start_s: float, end_s: float) -> list[AngleSample]:
    """The peak shown from ``start_s`` until ``end_s``, the baseline before and after."""
    return [AngleSample(t, PEAK_DEG if start_s <= t < end_s else BASELINE_DEG) for t in times_s]


def _half_interval_around(times_s: list[float], edge_s: float) -> float:
    """Half the interval between the frame before ``edge_s`` and the frame at or after it."""
    after = next(i for i, t in enumerate(times_s) if t >= edge_s)
    return (times_s[after] - times_s[after - 1]) / 2


def _live_longest_timer(samples: list[AngleSample]) -> float:
    counter = RepCounter()
    longest = 0.0
    for sample in samples:
        counter.update(sample)
        longest = max(longest, counter.hold_timer_s)
    counter.finish()
    return longest


def _check_random_phases(times_s: list[float], seed: int) -> list[float]:
    """Holds of 0.7–1.6 s starting at random times: each end within half the interval
    around it, the live timer at most a frame behind. Returns
    the errors of the measured holds (measured − true)."""
    rng = random.Random(seed)
    errors = []
    for _ in range(PHASES):
        start_s = rng.uniform(2.5, 3.5)
        end_s = start_s + rng.uniform(0.7, 1.6)
        samples = _photo(times_s, start_s, end_s)
        (rep,) = count_reps(samples).reps
        assert rep.hold_start_s is not None and rep.hold_end_s is not None
        assert abs(rep.hold_start_s - start_s) <= _half_interval_around(times_s, start_s) + 1e-9
        assert abs(rep.hold_end_s - end_s) <= _half_interval_around(times_s, end_s) + 1e-9
        assert rep.hold_s == pytest.approx(rep.hold_end_s - rep.hold_start_s)
        # live, the newest frame is decided when the next arrives: the timer trails the
        # final hold by at most a frame interval
        frame_s = max(b - a for a, b in itertools.pairwise(times_s))
        assert 0.0 <= rep.hold_s - _live_longest_timer(samples) <= frame_s + 1e-9
        errors.append(rep.hold_s - (end_s - start_s))
    return errors


@pytest.mark.parametrize("fps", [15, 24, 30, 60])
def test_holds_at_random_phases_measure_true_on_average_at_any_constant_frame_rate(
    fps: int,
) -> None:
    times_s = [t / 1000 for t in _uniform_times_ms(fps, 7.0)]
    errors = [e for seed in (1, 2, 3) for e in _check_random_phases(times_s, seed)]
    assert abs(statistics.fmean(errors)) < 0.004
    # N frames measure N frame intervals: the error is within one frame interval
    assert max(abs(e) for e in errors) < 1 / fps + 0.001


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_holds_at_random_phases_measure_true_on_average_with_a_variable_frame_rate(
    seed: int,
) -> None:
    times_s = [t / 1000 for t in _variable_times_ms([], 7.0, seed)]
    errors = [
        e for phase_seed in (seed, seed + 10) for e in _check_random_phases(times_s, phase_seed)
    ]
    assert abs(statistics.fmean(errors)) < 0.004


@pytest.mark.parametrize(("frames", "held"), [(24, True), (23, False), (25, True)])
def test_a_photo_shown_for_n_frames_holds_n_frame_intervals(frames: int, held: bool) -> None:
    """A photo shown for exactly 24 frames at 30 frames/s is shown for 0.8 s: held."""
    times_s = [t / 1000 for t in _uniform_times_ms(30, 6.0)]
    first = times_s.index(2.5)
    samples = _photo(times_s, 2.5, times_s[first + frames])
    (rep,) = count_reps(samples).reps
    assert rep.hold_s == pytest.approx(frames / 30, abs=0.001)  # frame times in whole ms
    assert rep.held is held
    assert count_reps(samples).held_count == int(held)


def test_a_hold_of_exactly_800_ms_is_held_though_the_float_difference_is_short() -> None:
    # Container timestamps in seconds, to the millisecond: the photo is shown from
    # 0.267 s for 24 frames; (1.067 + 1.1) / 2 − (0.233 + 0.267) / 2 is
    # 0.7999999999999998 in floating point.
    times_s = [round(i / 30, 3) for i in range(150)]
    first = times_s.index(1.267)
    samples = _photo(times_s, 1.267, times_s[first + 24])
    # a lead-in of a second for the baseline: the photo starts at 1.267 s
    (rep,) = count_reps(samples).reps
    assert rep.hold_s < HELD_MIN_S  # the float arithmetic really came out short
    assert whole_ms(rep.hold_s) == 800
    assert rep.held
    assert count_reps(samples).held_count == 1


@pytest.mark.parametrize(("after_ms", "held"), [(2798, False), (2800, True)])
def test_a_hold_one_millisecond_short_of_800_is_not_held(after_ms: int, held: bool) -> None:
    """Frames every 10 ms; the peak from 2000 to 2790 ms, the next frame at ``after_ms``:
    the hold spans from 1995 ms to halfway to that frame (2794 or 2795 ms)."""
    times_ms = [*range(0, 2800, 10), *range(after_ms, 4000, 10)]
    samples = _photo([t / 1000 for t in times_ms], 2.0, 2.795)
    (rep,) = count_reps(samples).reps
    assert whole_ms(rep.hold_s) == (800 if held else 799)
    assert rep.held is held


def test_held_compares_whole_milliseconds() -> None:
    assert is_held(0.7999999999999998)
    assert is_held(0.8)
    assert is_held(0.7995)  # rounds to 800 ms
    assert not is_held(0.7994)
    assert not is_held(0.799)
    assert whole_ms(0.7999999999999998) == 800


def test_a_hold_ends_halfway_to_the_frames_outside_it() -> None:
    """Variable intervals: the hold's share of time reaches halfway to each neighbour."""
    times_ms = [*range(0, 2000, 40), 2000, 2020, *range(2050, 2900, 50), 2900, 2960, 3000]
    times_ms += list(range(3040, 5000, 40))
    samples = _photo([t / 1000 for t in times_ms], 2.01, 2.93)
    (rep,) = count_reps(samples).reps
    assert (rep.hold_start_s, rep.hold_end_s) == pytest.approx((2.01, 2.93))
    assert rep.hold_s == pytest.approx(0.92)


def test_a_hold_next_to_frames_without_a_person_reaches_half_its_own_interval() -> None:
    """No angle on the frame before or after the hold: it reaches half the interval
    inside it, not halfway into the frames where nobody was seen."""
    times_s = [t / 1000 for t in _uniform_times_ms(30, 6.0)]
    samples = _photo(times_s, 2.5, 3.5)
    before, after = times_s.index(2.5) - 1, times_s.index(3.5)
    samples[before] = AngleSample(samples[before].t_s, None, False, 0.0)
    samples[after] = AngleSample(samples[after].t_s, None, False, 0.0)
    (rep,) = count_reps(samples).reps
    assert (rep.hold_start_s, rep.hold_end_s) == pytest.approx(
        (
            2.5 - 0.5 * (times_s[before + 2] - 2.5),
            times_s[after - 1] + 0.5 * (times_s[after - 1] - times_s[after - 2]),
        )
    )


def test_a_long_gap_between_frames_adds_at_most_50_ms_to_a_hold() -> None:
    """Frames 300 ms apart on either side of the hold are missing data, not frames."""
    times_ms = [*range(0, 2000, 33), *range(2300, 3300, 33), *range(3600, 5000, 33)]
    times_s = [t / 1000 for t in times_ms]
    samples = _photo(times_s, 2.2, 3.4)
    (rep,) = count_reps(samples).reps
    last_in = max(t for t in times_s if t < 3.4)
    assert (rep.hold_start_s, rep.hold_end_s) == pytest.approx((2.25, last_in + 0.05))


@pytest.mark.parametrize(("fps", "glitch_frames", "bridged"), [(30, 2, True), (15, 1, True)])
def test_a_glitch_shorter_than_the_bridge_does_not_split_the_hold(
    fps: int, glitch_frames: int, bridged: bool
) -> None:
    """One or two frames 20° off the plateau (66.7 ms of glitch at 30 and at 15 fps)."""
    times = _uniform_times_ms(fps, 7.0)
    samples = _samples(times, hold_start_s=3.0, hold_s=2.0)
    (whole,) = count_reps(samples).reps
    glitch_at = times.index(4000)
    for i in range(glitch_at, glitch_at + glitch_frames):
        samples[i] = AngleSample(samples[i].t_s, PEAK_DEG - 20.0)
    (rep,) = count_reps(samples).reps
    assert whole.hold_s == pytest.approx(2.0 + 1 / fps, abs=0.001)  # see the way down
    assert (rep.hold_s == pytest.approx(whole.hold_s, abs=1e-9)) is bridged


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
    # The plateau's corners fall on frames (3.0 s and 4.0 s), and the ramps beside them
    # move at 150°/s: each end reaches halfway to the frame outside the plateau.
    assert rep.hold_end_s == pytest.approx(4.0 + 0.5 / 30, abs=0.001)
    assert rep.hold_s == pytest.approx(1.0 + 1 / 30, abs=0.001)
