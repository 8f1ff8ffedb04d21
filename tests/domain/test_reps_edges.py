"""Repetitions at the edges of a recording: short series, reps cut off or run together,
frames without a person on the way back, long rests, and reps without a hold."""

from __future__ import annotations

from itertools import pairwise

import pytest

from spinestep.domain.reps import (
    PRE_REP_MEMORY_S,
    AngleSample,
    Phase,
    RepAnalysis,
    RepCounter,
    count_reps,
    measure_rep,
)

FPS = 30


def series(*points: tuple[float, float | None], fps: int = FPS) -> list[AngleSample]:
    """Samples at ``fps`` through (time s, angle°) corners, straight lines between them.

    A corner whose angle is None makes the frames up to it frames without a person.
    """
    out: list[AngleSample] = []
    frame = 0
    for (t0, a0), (t1, a1) in pairwise(points):
        while frame / fps < t1 - 1e-9:
            t = frame / fps
            if a1 is None or a0 is None:
                out.append(AngleSample(t, None, detected=False))
            else:
                out.append(AngleSample(t, a0 + (a1 - a0) * (t - t0) / (t1 - t0)))
            frame += 1
    a_end = points[-1][1]
    out.append(AngleSample(frame / fps, a_end, detected=a_end is not None))
    return out


def test_a_series_shorter_than_the_baseline_second_still_has_a_baseline() -> None:
    analysis = count_reps(series((0.0, 12.0), (0.5, 12.0)))
    assert analysis.baseline_deg == pytest.approx(12.0)
    assert analysis.reps == ()
    assert analysis.rom_deg_median is None
    assert analysis.held_count == 0


def test_a_series_without_a_person_has_no_baseline() -> None:
    counter = RepCounter()
    for sample in series((0.0, None), (2.0, None)):
        assert counter.update(sample) == []
    assert counter.finish() == []
    assert counter.baseline_deg is None


def test_a_rep_cut_off_on_its_way_back_is_counted_when_the_recording_ends() -> None:
    # Up to 60°, held 1 s, then down to 20° (past the exit, not yet at rest): the end.
    samples = series((0.0, 0.0), (1.5, 0.0), (2.0, 60.0), (3.0, 60.0), (3.4, 20.0))
    counter = RepCounter()
    for sample in samples:
        counter.update(sample)
    assert counter.phase is Phase.RETURNING
    assert counter.reps == []
    assert counter.rep_count == 1  # the live count already shows it
    events = counter.finish()
    assert [event.kind for event in events] == ["rep_completed"]
    rep = counter.reps[0]
    assert rep.held
    assert rep.peak_deg == pytest.approx(60.0)
    assert rep.end_s == pytest.approx(3.4)  # its lowest point, the last sample


def test_a_rep_still_out_when_the_recording_ends_is_not_counted() -> None:
    analysis = count_reps(series((0.0, 0.0), (1.5, 0.0), (2.0, 60.0), (3.0, 60.0)))
    assert analysis.reps == ()


def test_going_down_again_before_settling_ends_the_rep_at_its_lowest_point() -> None:
    # Two bends with a half return between them (to 20°, never back to rest).
    samples = series(
        (0.0, 0.0),
        (1.5, 0.0),
        (2.0, 60.0),
        (3.0, 60.0),
        (3.4, 20.0),
        (3.8, 60.0),
        (4.8, 60.0),
        (5.3, 0.0),
        (6.5, 0.0),
    )
    counter = RepCounter()
    kinds = [event.kind for sample in samples for event in counter.update(sample)]
    kinds += [event.kind for event in counter.finish()]
    assert kinds.count("rep_completed") == 2
    assert kinds.count("rep_started") == 2
    first, second = counter.reps
    assert first.end_s == pytest.approx(3.4)
    assert first.held and second.held
    assert second.start_s >= first.end_s


def test_frames_without_a_person_on_the_way_back_belong_to_the_rep() -> None:
    samples = series(
        (0.0, 0.0),
        (1.5, 0.0),
        (2.0, 60.0),
        (3.0, 60.0),
        (3.3, 15.0),
        (3.6, None),  # nobody found for 0.3 s on the way down
        (3.7, 10.0),
        (4.2, 0.0),
        (5.0, 0.0),
    )
    (rep,) = count_reps(samples).reps
    assert rep.detected_fraction < 1.0
    assert rep.end_s > 3.6


def test_a_rep_starts_where_the_person_last_rested_even_after_a_long_rest() -> None:
    # Fifteen seconds at rest, then a bend: the rest before it is remembered for 10 s.
    samples = series((0.0, 0.0), (15.0, 0.0), (15.5, 60.0), (16.5, 60.0), (17.0, 0.0), (18.0, 0.0))
    (rep,) = count_reps(samples).reps
    # The last sample within the rest band (5° here) before the rise: at most 2 frames in.
    assert 15.0 <= rep.start_s <= 15.0 + 2 / FPS


def test_a_rep_from_a_posture_that_never_rested_starts_at_the_oldest_moment_remembered() -> None:
    # The baseline second at 0°, then 12 s at 10°, outside the rest band of a 60° rep,
    # then the bend: nothing remembered (the last 10 s) is at rest.
    samples = series(
        (0.0, 0.0),
        (1.0, 0.0),
        (1.1, 10.0),
        (13.0, 10.0),
        (13.5, 60.0),
        (14.5, 60.0),
        (15.0, 0.0),
        (16.0, 0.0),
    )
    (rep,) = count_reps(samples).reps
    assert rep.start_s > 1.1  # not back at the baseline second
    assert rep.start_s == pytest.approx(13.0 + 5 / FPS - PRE_REP_MEMORY_S, abs=1.0)


def test_a_rep_without_a_steady_moment_has_no_hold_and_its_peak_is_its_range() -> None:
    # Up at 200°/s and straight down at 100°/s: never slower than 30°/s near the peak.
    samples = series((0.0, 0.0), (0.3, 60.0), (0.9, 0.0))
    rep = measure_rep(1, samples, baseline_deg=0.0)
    assert rep.hold_s == 0.0
    assert rep.hold_start_s is None and rep.hold_end_s is None
    assert not rep.held
    assert rep.rom_deg == pytest.approx(60.0)


def test_the_analysis_reports_the_median_range_and_the_held_reps() -> None:
    held = measure_rep(1, series((0.0, 0.0), (0.5, 50.0), (1.5, 50.0), (2.0, 0.0)), 0.0)
    quick = measure_rep(2, series((0.0, 0.0), (0.3, 70.0), (0.9, 0.0)), 0.0)
    also_held = measure_rep(3, series((0.0, 0.0), (0.5, 40.0), (1.5, 40.0), (2.0, 0.0)), 0.0)
    analysis = RepAnalysis(0.0, (held, quick, also_held))
    assert analysis.held_count == 2
    assert analysis.rom_deg_median == pytest.approx(50.0)


def test_one_frame_near_the_peak_between_frames_without_a_person_is_no_hold() -> None:
    # Nothing either side to measure its speed against: it cannot count as steady.
    samples = [
        AngleSample(0.0, 0.0),
        AngleSample(0.1, 30.0),
        AngleSample(0.2, None, detected=False),
        AngleSample(0.3, 60.0),
        AngleSample(0.4, None, detected=False),
        AngleSample(0.5, 30.0),
        AngleSample(0.6, 0.0),
    ]
    rep = measure_rep(1, samples, baseline_deg=0.0)
    assert rep.peak_deg == 60.0
    assert rep.hold_s == 0.0
    assert not rep.held
    assert rep.detected_fraction == pytest.approx(5 / 7)
