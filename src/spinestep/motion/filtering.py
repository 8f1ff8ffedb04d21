"""Cleaning an angle series: gap interpolation, zero-phase and live smoothing.

numpy only (no SciPy), so that the web server can clean a series sent by the browser
without the motion extra. Every window is measured in seconds over the frames' own
timestamps, never in frames, so a variable frame rate changes nothing.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: Gaps up to this long are bridged by straight lines; longer ones stay missing.
MAX_GAP_S = 0.5
#: Recorded video: running median over the frames within this many seconds either side
#: (two frames each side at 30 frames/s), then a Gaussian of this width (seconds).
MEDIAN_HALF_WINDOW_S = 0.07
ZERO_PHASE_SIGMA_S = 0.02
#: The Gaussian is cut off this many widths from its centre.
_GAUSSIAN_REACH = 4.0


def interpolate_gaps(
    times_s: Sequence[float], values: Sequence[float | None], max_gap_s: float = MAX_GAP_S
) -> FloatArray:
    """Fill missing values (None/NaN) linearly when the gap is at most ``max_gap_s``.

    Leading and trailing gaps, and longer gaps, stay NaN.
    """
    t = np.asarray(times_s, dtype=np.float64)
    y = np.array([math.nan if v is None else v for v in values], dtype=np.float64)
    known = np.flatnonzero(~np.isnan(y))
    if known.size < 2:
        return y
    out = y.copy()
    for left, right in itertools.pairwise(known):
        if right - left < 2 or t[right] - t[left] > max_gap_s + 1e-9:
            continue
        span = slice(left + 1, right)
        out[span] = np.interp(t[span], [t[left], t[right]], [y[left], y[right]])
    return out


def zero_phase_smooth(
    times_s: Sequence[float],
    values: FloatArray,
    sigma_s: float = ZERO_PHASE_SIGMA_S,
    median_half_window_s: float = MEDIAN_HALF_WINDOW_S,
) -> FloatArray:
    """Zero-phase smoothing for recorded video: a running median, then a Gaussian.

    Both kernels are symmetric in time (no lag) and neither overshoots at a sudden
    change, so plateaus (holds) keep their level and length. The median (over the
    samples within ``median_half_window_s`` of each one) removes single-frame glitches
    of the pose stage; the Gaussian (``sigma_s``) the remaining jitter. Near the ends a
    window holds only the samples there are. Each run of known values is smoothed on
    its own.
    """
    t = np.asarray(times_s, dtype=np.float64)
    out = np.array(values, dtype=np.float64, copy=True)
    if t.size < 2:
        return out
    for start, stop in _runs(~np.isnan(out)):
        run_t, run = t[start:stop], out[start:stop]
        if median_half_window_s > 0.0:
            run = _running_median(run_t, run, median_half_window_s)
        if sigma_s > 0.0:
            run = _gaussian(run_t, run, sigma_s)
        out[start:stop] = run
    return out


def _windows(
    t: FloatArray, half_width_s: float
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
    """For each sample, the indices of the samples within ``half_width_s`` of it
    (a rectangular index matrix) and which of them are real (the rest is padding)."""
    tolerance = 1e-9
    low = np.searchsorted(t, t - half_width_s - tolerance, side="left")
    high = np.searchsorted(t, t + half_width_s + tolerance, side="right")
    width = int((high - low).max())
    index = low[:, None] + np.arange(width)[None, :]
    inside = index < high[:, None]
    return np.minimum(index, t.size - 1), inside


def _running_median(t: FloatArray, y: FloatArray, half_width_s: float) -> FloatArray:
    index, inside = _windows(t, half_width_s)
    window = np.where(inside, y[index], np.nan)
    result: FloatArray = np.nanmedian(window, axis=1)
    return result


def _gaussian(t: FloatArray, y: FloatArray, sigma_s: float) -> FloatArray:
    index, inside = _windows(t, _GAUSSIAN_REACH * sigma_s)
    offset = (t[index] - t[:, None]) / sigma_s
    weights = np.where(inside, np.exp(-0.5 * offset * offset), 0.0)
    result: FloatArray = (weights * y[index]).sum(axis=1) / weights.sum(axis=1)
    return result


def _runs(mask: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for i, flag in enumerate(mask.tolist()):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, int(mask.size)))
    return runs


class OneEuroFilter:
    """Casiez et al.'s 1€ filter: little lag when moving, little jitter when still.

    Used for live coaching, where the zero-phase filter cannot see the future.
    """

    def __init__(
        self, min_cutoff_hz: float = 1.0, beta: float = 0.02, derivative_cutoff_hz: float = 1.0
    ) -> None:
        self.min_cutoff_hz = min_cutoff_hz
        self.beta = beta
        self.derivative_cutoff_hz = derivative_cutoff_hz
        self._last_t: float | None = None
        self._last_value = 0.0
        self._last_derivative = 0.0

    @staticmethod
    def _alpha(cutoff_hz: float, dt: float) -> float:
        tau = 1.0 / (2.0 * math.pi * cutoff_hz)
        return 1.0 / (1.0 + tau / dt)

    def reset(self) -> None:
        self._last_t = None

    def __call__(self, t_s: float, value: float) -> float:
        if self._last_t is None or t_s <= self._last_t:
            self._last_t = t_s
            self._last_value = value
            self._last_derivative = 0.0
            return value
        dt = t_s - self._last_t
        derivative = (value - self._last_value) / dt
        a_d = self._alpha(self.derivative_cutoff_hz, dt)
        self._last_derivative = a_d * derivative + (1 - a_d) * self._last_derivative
        cutoff = self.min_cutoff_hz + self.beta * abs(self._last_derivative)
        a = self._alpha(cutoff, dt)
        self._last_value = a * value + (1 - a) * self._last_value
        self._last_t = t_s
        return self._last_value
