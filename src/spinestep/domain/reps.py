"""Repetitions, holds and range of motion from a series of angles (SPEC §6), pure Python.

Every duration and speed comes from the samples' timestamps, never from how many
samples there are, so a series at 15 frames/s or with a variable frame rate measures
the same holds as one at 30 frames/s. A sample's speed is the change from the sample
before it to the sample after it over the time between them. A hold is a run of
steady samples near the peak, where the first and last sample of a plateau (a ramp on
one side) count when the interval to their steady neighbour is slow.

A hold's time: each sample of the run stands for its share of time, so the hold spans
from halfway between the sample before the run and the run's first sample to halfway
between the run's last sample and the sample after it. The true start and end of a
plateau lie somewhere between the last sample outside and the first inside, so the
halfway point is right on average at any phase of the camera; last − first would be
short by one frame interval. At a constant frame rate a hold of N samples is N frame
intervals (24 frames at 30 frames/s are 0.8 s). Where the run has no usable neighbour
outside it (the series starts or ends there, or that sample has no angle), the half
interval to its neighbour inside the run (or on its other side) is used instead; and
no end reaches further than half of ``HOLD_BRIDGE_S`` (50 ms) beyond its sample, since
a longer interval is missing data rather than a frame (below 10 frames/s holds come
out up to that much short per end).

One state machine serves both recorded video (fed the zero-phase smoothed series)
and live coaching (fed one sample at a time), so both count the same way. The
browser's ``static/motion/counter.js`` is a transcription of this module; a browser
test runs both on the fixture series in ``tests/data/motion/series``.

- Baseline: median angle over the first second of samples with a person.
- Rep: the angle rises at least 15° above the baseline (entry) and comes back
  towards it (exit, hysteresis: below the baseline plus the larger of 7.5° and
  40 % of the rise). Anything that rises less than 15° is not a rep.
- Hold: the longest stretch of time within 10° of the rep's peak while the angle
  moves slower than 30°/s; held when it lasts at least 0.8 s, compared in whole
  milliseconds (so 0.7999999999999998 s of float arithmetic is held).
- ROM: median angle over the hold minus baseline; the peak minus baseline if not held.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass
from enum import StrEnum

BASELINE_WINDOW_S = 1.0
MIN_RISE_DEG = 15.0
EXIT_MIN_DEG = 7.5
EXIT_FRACTION = 0.4
#: The start and end of a rep: back within this fraction of the rise (or 5°) of baseline.
REST_BAND_FRACTION = 0.1
REST_BAND_MIN_DEG = 5.0
HOLD_BAND_DEG = 10.0
HOLD_MAX_SPEED_DEG_S = 30.0
HELD_MIN_S = 0.8
#: A hold is not broken by a glitch shorter than this (a jittery frame or two, timed
#: from halfway before its first unsteady sample to halfway after its last) when the
#: angle on its two sides differs by less than the hold speed allows.
HOLD_BRIDGE_S = 0.1
#: How much of the time before a rep is kept to find when the movement started.
PRE_REP_MEMORY_S = 10.0


def whole_ms(seconds: float) -> int:
    """A duration in whole milliseconds, rounded half up (0.7999999999999998 s is 800)."""
    return math.floor(seconds * 1000.0 + 0.5)


def is_held(hold_s: float) -> bool:
    """Whether a hold is long enough, compared in whole milliseconds (SPEC §6)."""
    return whole_ms(hold_s) >= whole_ms(HELD_MIN_S)


@dataclass(frozen=True, slots=True)
class AngleSample:
    """One frame: time, the (smoothed) primary angle or None, and its raw quality."""

    t_s: float
    angle_deg: float | None
    detected: bool = True
    visibility: float = 1.0


@dataclass(frozen=True, slots=True)
class Rep:
    index: int
    start_s: float
    end_s: float
    peak_deg: float
    peak_s: float
    hold_s: float
    hold_start_s: float | None
    hold_end_s: float | None
    held: bool
    rom_deg: float
    detected_fraction: float
    visibility: float


class Phase(StrEnum):
    BASELINE = "baseline"
    REST = "rest"
    MOVING = "moving"
    RETURNING = "returning"


@dataclass(frozen=True, slots=True)
class RepEvent:
    """Something the live coach announces: the baseline is set, a rep began, a hold
    began (near the peak and steady), or a rep was completed."""

    kind: str  # "baseline", "rep_started", "hold_started", "rep_completed"
    t_s: float
    rep: Rep | None = None


def _steady(a: AngleSample, b: AngleSample) -> bool:
    """Whether the angle changes slower than the hold speed from sample a to sample b."""
    if a.angle_deg is None or b.angle_deg is None or b.t_s <= a.t_s:
        return False
    return abs(b.angle_deg - a.angle_deg) / (b.t_s - a.t_s) < HOLD_MAX_SPEED_DEG_S


def _near(sample: AngleSample, floor_deg: float) -> bool:
    return sample.angle_deg is not None and sample.angle_deg >= floor_deg


def _steady_across(
    before: AngleSample | None, sample: AngleSample, after: AngleSample | None
) -> bool:
    """Central difference: the change from the sample before to the sample after (the
    sample itself stands in for a neighbour that is missing or has no angle). ``sample``
    has an angle: the caller has found it near the peak."""
    left = before if before is not None and before.angle_deg is not None else sample
    right = after if after is not None and after.angle_deg is not None else sample
    return _steady(left, right)


def _reach_s(at: AngleSample, outside: AngleSample | None, inside: AngleSample | None) -> float:
    """How far a hold reaches beyond its first or last sample ``at``: half the interval
    to the sample outside the run; when there is none or it has no angle, half the
    interval to the sample on the other side; at most half of ``HOLD_BRIDGE_S``."""
    neighbour = outside if outside is not None and outside.angle_deg is not None else inside
    # A counted sample is steady against a neighbour with an angle, so one side has one.
    assert neighbour is not None
    return min(abs(neighbour.t_s - at.t_s) / 2.0, HOLD_BRIDGE_S / 2.0)


class _HoldFinder:
    """Holds in samples fed one at a time: runs of steady samples near the peak.

    A sample is decided when the sample after it arrives (or at ``finish``): steady
    when the central difference across it is below the hold speed. A run's first and
    last sample may also be the neighbour of a steady sample, when the interval
    between them is slow: so a plateau counts from its first sample to its last.
    A run's time reaches halfway to the samples on either side of it (``_reach_s``).
    The live counter reads the run in progress, which ends halfway to the newest
    decided sample's successor: it trails the camera by the one sample not yet decided.
    A whole rep keeps the longest run.
    """

    def __init__(self, before: AngleSample | None = None) -> None:
        """``before``: the sample before the first one fed, if any (the live counter's
        finder starts at the rep's first sample); only its time is used, for a hold
        that starts right there."""
        self._before_first = before
        self._index = -1
        self._recent: list[tuple[int, AngleSample]] = []  # the last four samples
        self._counted_to = -1  # samples are counted in order, each at most once
        self._last_core = -1
        self._start: tuple[int, AngleSample] | None = None
        self._start_s = 0.0  # where the run in progress begins (halfway before it)
        self._end: tuple[int, AngleSample] | None = None
        self._before_end: AngleSample | None = None
        self._after_end: AngleSample | None = None
        self.best: tuple[int, int] | None = None
        #: Where the longest run begins and ends, in seconds.
        self.best_span: tuple[float, float] | None = None
        self._best_s = 0.0

    @property
    def _end_s(self) -> float:
        assert self._end is not None
        end = self._end[1]
        return end.t_s + _reach_s(end, self._after_end, self._before_end)

    @property
    def length_s(self) -> float:
        """The run in progress, in seconds (0 when there is none)."""
        if self._start is None or self._end is None:
            return 0.0
        return self._end_s - self._start_s

    def add(self, sample: AngleSample, floor_deg: float) -> bool:
        """Take the next sample; True when a run (a hold) has started."""
        self._index += 1
        self._recent = [*self._recent[-3:], (self._index, sample)]
        if len(self._recent) < 2:
            return False
        before = self._recent[-3] if len(self._recent) >= 3 else None
        return self._decide(before, self._recent[-2], sample, floor_deg)

    def finish(self, floor_deg: float) -> None:
        """Decide the last sample (nothing follows it); at least one sample was fed."""
        before = self._recent[-2] if len(self._recent) >= 2 else None
        self._decide(before, self._recent[-1], None, floor_deg)

    def _decide(
        self,
        before: tuple[int, AngleSample] | None,
        current: tuple[int, AngleSample],
        after: AngleSample | None,
        floor_deg: float,
    ) -> bool:
        index, sample = current
        previous = None if before is None else before[1]
        started = False
        if _near(sample, floor_deg) and _steady_across(previous, sample, after):
            self._last_core = index
            if (
                before is not None
                and before[0] > self._counted_to
                and _near(before[1], floor_deg)
                and _steady(before[1], sample)
            ):
                # the first sample of a plateau
                started = self._count(before, self._sample_at(before[0] - 1))
            started = self._count(current, previous) or started
        elif (
            before is not None
            and self._last_core == before[0]
            and _near(sample, floor_deg)
            and _steady(before[1], sample)
        ):
            self._count(current, previous)  # the last sample of a plateau
        elif previous is not None:
            self._drop_run_past_bridge(previous.t_s, sample.t_s)
        return started

    def _sample_at(self, index: int) -> AngleSample | None:
        if index == -1:
            return self._before_first
        return next((s for i, s in self._recent if i == index), None)

    def _count(self, current: tuple[int, AngleSample], previous: AngleSample | None) -> bool:
        index, sample = current
        started = self._end is None or (
            index != self._end[0] + 1 and not self._bridges_to(sample, previous)
        )
        following = self._sample_at(index + 1)
        if previous is None:
            previous = self._sample_at(index - 1)
        if started:
            self._start = current
            self._start_s = sample.t_s - _reach_s(sample, previous, following)
        self._end = current
        self._before_end = previous
        self._after_end = following
        self._counted_to = index
        if self.best is None or self.length_s > self._best_s:
            assert self._start is not None
            self.best, self._best_s = (self._start[0], index), self.length_s
            self.best_span = (self._start_s, self._end_s)
        return started

    def _glitch_ms(self, before_s: float, at_s: float) -> int:
        """The glitch between the run's last sample and a steady one at ``at_s``, from
        halfway after the one to halfway before the other."""
        assert self._end is not None and self._after_end is not None
        return whole_ms((before_s + at_s) / 2.0 - (self._end[1].t_s + self._after_end.t_s) / 2.0)

    def _bridges_to(self, sample: AngleSample, previous: AngleSample | None) -> bool:
        end = self._end
        # Only a run already counted can be bridged to, and it was counted with the samples
        # on both sides of its end; a sample counted after it has the one before it.
        assert end is not None and previous is not None and self._after_end is not None
        if self._glitch_ms(previous.t_s, sample.t_s) >= whole_ms(HOLD_BRIDGE_S):
            return False
        assert end[1].angle_deg is not None and sample.angle_deg is not None
        gap_s = sample.t_s - end[1].t_s
        change_deg = abs(sample.angle_deg - end[1].angle_deg)
        return gap_s <= 0.0 or change_deg / gap_s < HOLD_MAX_SPEED_DEG_S

    def _drop_run_past_bridge(self, previous_s: float, now_s: float) -> None:
        """End the run once no later steady sample could bridge back to it."""
        if self._end is None or self._after_end is None:
            return
        if self._glitch_ms(previous_s, now_s) >= whole_ms(HOLD_BRIDGE_S):
            self._start = self._end = None


class RepCounter:
    """Online repetition state machine with hysteresis. Feed samples in time order."""

    def __init__(self) -> None:
        self.baseline_deg: float | None = None
        self.reps: list[Rep] = []
        self.phase = Phase.BASELINE
        self._baseline_angles: list[float] = []
        self._first_t: float | None = None
        self._pre: deque[AngleSample] = deque()
        self._last: AngleSample | None = None  # the sample fed before this one
        self._current: list[AngleSample] = []
        self._peak_deg = 0.0
        self._return_min: AngleSample | None = None
        self._rest_min_deg: float | None = None
        self._hold = _HoldFinder()

    # -- live read-outs -------------------------------------------------------------
    @property
    def rep_count(self) -> int:
        """Completed reps, counting one that is already on its way back."""
        return len(self.reps) + (1 if self.phase is Phase.RETURNING else 0)

    @property
    def hold_timer_s(self) -> float:
        """How long the current hold near the peak has lasted so far (live)."""
        if self.phase is not Phase.MOVING:
            return 0.0
        return self._hold.length_s

    # -- feeding ----------------------------------------------------------------------
    def update(self, sample: AngleSample) -> list[RepEvent]:
        events: list[RepEvent] = []
        if self.phase is Phase.BASELINE:
            self._collect_baseline(sample, events)
        elif self.phase is Phase.REST:
            self._rest(sample, events)
        elif self.phase is Phase.MOVING:
            self._moving(sample, events)
        else:
            self._returning(sample, events)
        self._last = sample
        return events

    def finish(self) -> list[RepEvent]:
        """End of the data: settle a rep on its way back; drop one still out."""
        events: list[RepEvent] = []
        if self.phase is Phase.BASELINE and self._baseline_angles:
            self.baseline_deg = statistics.median(self._baseline_angles)
            self.phase = Phase.REST
        if self.phase is Phase.RETURNING:
            assert self._return_min is not None
            events.append(self._complete(self._return_min.t_s))
        return events

    # -- states -----------------------------------------------------------------------
    def _collect_baseline(self, sample: AngleSample, events: list[RepEvent]) -> None:
        if sample.angle_deg is None:
            return
        if self._first_t is None:
            self._first_t = sample.t_s
        if whole_ms(sample.t_s - self._first_t) < whole_ms(BASELINE_WINDOW_S):
            self._baseline_angles.append(sample.angle_deg)
            self._remember_rest(sample)
            return
        self.baseline_deg = statistics.median(self._baseline_angles)
        self.phase = Phase.REST
        events.append(RepEvent("baseline", sample.t_s))
        self._rest(sample, events)

    def _rest(self, sample: AngleSample, events: list[RepEvent]) -> None:
        assert self.baseline_deg is not None
        self._remember_rest(sample)
        angle = sample.angle_deg
        if angle is None:
            return
        if self._rest_min_deg is None or angle < self._rest_min_deg:
            self._rest_min_deg = angle
        # Entry needs 15° above the baseline and above the lowest point since the last
        # rep, so a rep that stops short of the start posture is not counted twice.
        if angle >= max(self.baseline_deg, self._rest_min_deg) + MIN_RISE_DEG:
            self._start_rep(sample, events)

    def _start_rep(self, sample: AngleSample, events: list[RepEvent]) -> None:
        assert sample.angle_deg is not None
        self.phase = Phase.MOVING
        self._rest_min_deg = None
        self._current = [sample]
        self._peak_deg = sample.angle_deg
        self._hold = _HoldFinder(self._last)
        self._hold.add(sample, self._peak_deg - HOLD_BAND_DEG)
        events.append(RepEvent("rep_started", sample.t_s))

    def _moving(self, sample: AngleSample, events: list[RepEvent]) -> None:
        assert self.baseline_deg is not None
        self._current.append(sample)
        angle = sample.angle_deg
        if angle is not None and angle > self._peak_deg:
            self._peak_deg = angle
        self._track_live_hold(sample, events)
        if angle is None:
            return
        rise = self._peak_deg - self.baseline_deg
        if angle <= self.baseline_deg + max(EXIT_MIN_DEG, EXIT_FRACTION * rise):
            self.phase = Phase.RETURNING
            self._return_min = sample

    def _returning(self, sample: AngleSample, events: list[RepEvent]) -> None:
        assert self.baseline_deg is not None and self._return_min is not None
        angle = sample.angle_deg
        if angle is None:
            self._current.append(sample)
            return
        minimum = self._return_min.angle_deg
        assert minimum is not None
        if angle >= max(self.baseline_deg, minimum) + MIN_RISE_DEG:
            # Down again before settling: this rep ended at its lowest point.
            events.append(self._complete(self._return_min.t_s))
            self._pre.clear()
            self._remember_rest(sample)
            self._start_rep(sample, events)
            return
        self._current.append(sample)
        if angle < minimum:
            self._return_min = sample
        if angle <= self.baseline_deg + self._rest_band(self._peak_deg - self.baseline_deg):
            events.append(self._complete(sample.t_s))
            self._pre.clear()
            self._remember_rest(sample)

    # -- helpers ----------------------------------------------------------------------
    def _remember_rest(self, sample: AngleSample) -> None:
        self._pre.append(sample)
        while self._pre and whole_ms(sample.t_s - self._pre[0].t_s) > whole_ms(PRE_REP_MEMORY_S):
            self._pre.popleft()

    def _track_live_hold(self, sample: AngleSample, events: list[RepEvent]) -> None:
        """The hold so far (the peak so far stands in for the rep's peak)."""
        if self._hold.add(sample, self._peak_deg - HOLD_BAND_DEG):
            events.append(RepEvent("hold_started", sample.t_s))

    @staticmethod
    def _rest_band(rise_deg: float) -> float:
        return max(REST_BAND_MIN_DEG, REST_BAND_FRACTION * rise_deg)

    def _complete(self, end_s: float) -> RepEvent:
        assert self.baseline_deg is not None
        baseline = self.baseline_deg
        rise = self._peak_deg - baseline
        band = baseline + self._rest_band(rise)
        start_s = self._current[0].t_s
        before = [s for s in self._pre if s.angle_deg is not None and s.t_s <= start_s]
        resting = [s for s in before if s.angle_deg is not None and s.angle_deg <= band]
        # The last moment at rest, else the oldest remembered (``before`` holds at least the
        # rep's first sample, remembered when it came).
        start_s = resting[-1].t_s if resting else before[0].t_s
        window = [s for s in self._pre if start_s <= s.t_s < self._current[0].t_s]
        window += [s for s in self._current if s.t_s <= end_s]
        rep = measure_rep(len(self.reps) + 1, window, baseline)
        self.reps.append(rep)
        self.phase = Phase.REST
        self._current = []
        self._return_min = None
        self._hold = _HoldFinder()
        return RepEvent("rep_completed", end_s, rep)


def measure_rep(index: int, samples: list[AngleSample], baseline_deg: float) -> Rep:
    """Peak, hold, ROM and quality of one rep from its samples (start to end)."""
    valid = [s for s in samples if s.angle_deg is not None]
    peak = max(valid, key=lambda s: s.angle_deg if s.angle_deg is not None else 0.0)
    assert peak.angle_deg is not None
    peak_deg = peak.angle_deg
    finder = _HoldFinder()
    for sample in samples:
        finder.add(sample, peak_deg - HOLD_BAND_DEG)
    finder.finish(peak_deg - HOLD_BAND_DEG)
    best = finder.best
    hold_s = 0.0
    hold_start_s = hold_end_s = None
    rom_deg = peak_deg - baseline_deg
    if best is not None and finder.best_span is not None:
        hold_start_s, hold_end_s = finder.best_span
        hold_s = hold_end_s - hold_start_s
    held = is_held(hold_s)
    if held and best is not None:
        hold_angles = [
            s.angle_deg for s in samples[best[0] : best[1] + 1] if s.angle_deg is not None
        ]
        rom_deg = statistics.median(hold_angles) - baseline_deg
    detected = [s for s in samples if s.detected]
    return Rep(
        index=index,
        start_s=samples[0].t_s,
        end_s=samples[-1].t_s,
        peak_deg=peak_deg,
        peak_s=peak.t_s,
        hold_s=hold_s,
        hold_start_s=hold_start_s,
        hold_end_s=hold_end_s,
        held=held,
        rom_deg=rom_deg,
        detected_fraction=len(detected) / len(samples),
        visibility=statistics.fmean(s.visibility for s in detected) if detected else 0.0,
    )


@dataclass(frozen=True, slots=True)
class RepAnalysis:
    baseline_deg: float | None
    reps: tuple[Rep, ...]

    @property
    def held_count(self) -> int:
        return sum(1 for rep in self.reps if rep.held)

    @property
    def rom_deg_median(self) -> float | None:
        if not self.reps:
            return None
        return statistics.median(rep.rom_deg for rep in self.reps)


def count_reps(samples: list[AngleSample]) -> RepAnalysis:
    """Run the state machine over a whole recorded series."""
    counter = RepCounter()
    for sample in samples:
        counter.update(sample)
    counter.finish()
    return RepAnalysis(counter.baseline_deg, tuple(counter.reps))
