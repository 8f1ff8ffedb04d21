"""Cleaning an angle series: gap interpolation, zero-phase and live smoothing (numpy/scipy)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: Gaps up to this long are bridged by straight lines; longer ones stay missing.
MAX_GAP_S = 0.5
#: Recorded video: running median over this many frames, then a Gaussian of this width.
MEDIAN_WINDOW = 5
ZERO_PHASE_SIGMA_S = 0.02


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
    median_window: int = MEDIAN_WINDOW,
) -> FloatArray:
    """Zero-phase smoothing for recorded video: a running median, then a Gaussian.

    Both kernels are symmetric (no lag) and neither overshoots at a sudden change,
    so plateaus (holds) keep their level and length. The median removes single-
    frame glitches of the pose stage; the Gaussian the remaining jitter. Each run
    of known values is smoothed on its own.
    """
    from scipy.ndimage import gaussian_filter1d, median_filter

    t = np.asarray(times_s, dtype=np.float64)
    out = np.array(values, dtype=np.float64, copy=True)
    if t.size < 2:
        return out
    dt = float(np.median(np.diff(t)))
    if dt <= 0.0:
        return out
    sigma_samples = sigma_s / dt
    for start, stop in _runs(~np.isnan(out)):
        run = out[start:stop]
        if run.size >= median_window:
            run = median_filter(run, size=median_window, mode="nearest")
        if sigma_samples > 0.2:
            run = gaussian_filter1d(run, sigma_samples, mode="nearest")
        out[start:stop] = run
    return out


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
