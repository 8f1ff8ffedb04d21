"""Repetitions, holds and range of motion from a series of angles (SPEC §6), pure Python.

One state machine serves both recorded video (fed the zero-phase smoothed series)
and live coaching (fed one sample at a time), so both count the same way.

- Baseline: median angle over the first second of samples with a person.
- Rep: the angle rises at least 15° above the baseline (entry) and comes back
  towards it (exit, hysteresis: below the baseline plus the larger of 7.5° and
  40 % of the rise). Anything that rises less than 15° is not a rep.
- Hold: the longest run of samples within 10° of the rep's peak while the angle
  moves slower than 30°/s; held when it lasts at least 0.8 s.
- ROM: median angle over the hold minus baseline; the peak minus baseline if not held.
"""

from __future__ import annotations

import itertools
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
#: A hold is not broken by a glitch shorter than this (one or two jittery frames).
HOLD_BRIDGE_S = 0.1
#: How much of the time before a rep is kept to find when the movement started.
PRE_REP_MEMORY_S = 10.0


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
    """Something the live coach announces: a rep began or a rep was completed."""

    kind: str  # "baseline", "rep_started", "rep_completed"
    t_s: float
    rep: Rep | None = None


class RepCounter:
    """Online repetition state machine with hysteresis. Feed samples in time order."""

    def __init__(self) -> None:
        self.baseline_deg: float | None = None
        self.reps: list[Rep] = []
        self.phase = Phase.BASELINE
        self._baseline_angles: list[float] = []
        self._first_t: float | None = None
        self._pre: deque[AngleSample] = deque()
        self._current: list[AngleSample] = []
        self._peak_deg = 0.0
        self._return_min: AngleSample | None = None
        self._rest_min_deg: float | None = None
        self._last_valid: AngleSample | None = None
        self._run_start_t: float | None = None
        self._run_last_t: float | None = None

    # -- live read-outs -------------------------------------------------------------
    @property
    def rep_count(self) -> int:
        """Completed reps, counting one that is already on its way back."""
        return len(self.reps) + (1 if self.phase is Phase.RETURNING else 0)

    @property
    def hold_timer_s(self) -> float:
        """How long the current hold near the peak has lasted so far (live)."""
        if self.phase is not Phase.MOVING or self._run_start_t is None:
            return 0.0
        assert self._run_last_t is not None
        return self._run_last_t - self._run_start_t

    # -- feeding ----------------------------------------------------------------------
    def update(self, sample: AngleSample) -> list[RepEvent]:
        events: list[RepEvent] = []
        if self.phase is Phase.BASELINE:
            self._collect_baseline(sample, events)
            return events
        if self.phase is Phase.REST:
            self._rest(sample, events)
        elif self.phase is Phase.MOVING:
            self._moving(sample)
        else:
            self._returning(sample, events)
        if sample.angle_deg is not None:
            self._last_valid = sample
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
        if sample.t_s - self._first_t < BASELINE_WINDOW_S:
            self._baseline_angles.append(sample.angle_deg)
            self._remember_rest(sample)
            return
        self.baseline_deg = statistics.median(self._baseline_angles)
        self.phase = Phase.REST
        events.append(RepEvent("baseline", sample.t_s))
        self._rest(sample, events)
        self._last_valid = sample

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
        self._run_start_t = None
        self._run_last_t = None
        events.append(RepEvent("rep_started", sample.t_s))

    def _moving(self, sample: AngleSample) -> None:
        assert self.baseline_deg is not None
        self._current.append(sample)
        angle = sample.angle_deg
        if angle is None:
            self._run_start_t = None
            return
        if angle > self._peak_deg:
            self._peak_deg = angle
        self._track_live_hold(sample)
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
        while self._pre and sample.t_s - self._pre[0].t_s > PRE_REP_MEMORY_S:
            self._pre.popleft()

    def _track_live_hold(self, sample: AngleSample) -> None:
        assert sample.angle_deg is not None
        previous = self._last_valid
        speed = None
        if previous is not None and previous.angle_deg is not None and sample.t_s > previous.t_s:
            speed = abs(sample.angle_deg - previous.angle_deg) / (sample.t_s - previous.t_s)
        near_peak = sample.angle_deg >= self._peak_deg - HOLD_BAND_DEG
        if near_peak and speed is not None and speed < HOLD_MAX_SPEED_DEG_S:
            if self._run_start_t is None:
                self._run_start_t = sample.t_s
            self._run_last_t = sample.t_s
        else:
            self._run_start_t = None

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
        if resting:
            start_s = resting[-1].t_s
        elif before:
            start_s = before[0].t_s
        window = [s for s in self._pre if start_s <= s.t_s < self._current[0].t_s]
        window += [s for s in self._current if s.t_s <= end_s]
        rep = measure_rep(len(self.reps) + 1, window, baseline)
        self.reps.append(rep)
        self.phase = Phase.REST
        self._current = []
        self._return_min = None
        self._run_start_t = None
        return RepEvent("rep_completed", end_s, rep)


def angular_speeds(samples: list[AngleSample]) -> list[float | None]:
    """|dθ/dt| per sample by central differences (one-sided at the ends and gaps)."""
    speeds: list[float | None] = []
    for i, sample in enumerate(samples):
        if sample.angle_deg is None:
            speeds.append(None)
            continue
        left = samples[i - 1] if i > 0 and samples[i - 1].angle_deg is not None else sample
        right = (
            samples[i + 1]
            if i + 1 < len(samples) and samples[i + 1].angle_deg is not None
            else sample
        )
        dt = right.t_s - left.t_s
        if dt <= 0.0:
            speeds.append(None)
            continue
        assert left.angle_deg is not None and right.angle_deg is not None
        speeds.append(abs(right.angle_deg - left.angle_deg) / dt)
    return speeds


def measure_rep(index: int, samples: list[AngleSample], baseline_deg: float) -> Rep:
    """Peak, hold, ROM and quality of one rep from its samples (start to end)."""
    valid = [s for s in samples if s.angle_deg is not None]
    peak = max(valid, key=lambda s: s.angle_deg if s.angle_deg is not None else 0.0)
    assert peak.angle_deg is not None
    peak_deg = peak.angle_deg
    speeds = angular_speeds(samples)
    qualifies = [
        sample.angle_deg is not None
        and speed is not None
        and sample.angle_deg >= peak_deg - HOLD_BAND_DEG
        and speed < HOLD_MAX_SPEED_DEG_S
        for sample, speed in zip(samples, speeds, strict=True)
    ]
    best = _longest_run(samples, qualifies)
    hold_s = 0.0
    hold_start_s = hold_end_s = None
    rom_deg = peak_deg - baseline_deg
    if best is not None:
        hold_start_s, hold_end_s = samples[best[0]].t_s, samples[best[1]].t_s
        # n frames in a row last n frame intervals: count the last frame's own interval.
        hold_s = hold_end_s - hold_start_s + _frame_interval_s(samples)
    held = hold_s >= HELD_MIN_S
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


def _frame_interval_s(samples: list[AngleSample]) -> float:
    gaps = [b.t_s - a.t_s for a, b in itertools.pairwise(samples) if b.t_s > a.t_s]
    return statistics.median(gaps) if gaps else 0.0


def _longest_run(samples: list[AngleSample], qualifies: list[bool]) -> tuple[int, int] | None:
    """First and last index of the longest stretch of qualifying samples, in time;
    gaps shorter than ``HOLD_BRIDGE_S`` between qualifying samples do not break it."""
    best: tuple[int, int] | None = None
    run: tuple[int, int] | None = None
    for i, ok in enumerate(qualifies):
        if not ok:
            continue
        if run is not None and samples[i].t_s - samples[run[1]].t_s <= HOLD_BRIDGE_S + 1e-9:
            run = (run[0], i)
        else:
            run = (i, i)
        if best is None or (
            samples[run[1]].t_s - samples[run[0]].t_s > samples[best[1]].t_s - samples[best[0]].t_s
        ):
            best = run
    return best


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
