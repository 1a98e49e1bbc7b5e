"""Arrival processes: Poisson, bursty (gamma inter-arrivals) and diurnal (a 24 h rate profile).

Every generator stops at `duration_s` or after `count` arrivals, whichever comes first.
"""

from __future__ import annotations

import math

import numpy as np

from simcompute.config.inference import BurstyArrivals, DiurnalArrivals, PoissonArrivals

SECONDS_PER_HOUR = 3600.0
_CHUNK = 65536


def _renewal(draw, mean_gap_s: float, duration_s: float | None, count: int | None) -> np.ndarray:
    """Cumulative sums of inter-arrival draws, cut at the duration or the count."""
    if count is not None:
        times = np.cumsum(draw(count))
        return times[times < duration_s] if duration_s is not None else times
    assert duration_s is not None
    chunks, last = [], 0.0
    expected = int(duration_s / mean_gap_s * 1.05) + 16
    while last < duration_s:
        times = last + np.cumsum(draw(max(expected, 16)))
        chunks.append(times)
        last = float(times[-1])
        expected = _CHUNK
    times = np.concatenate(chunks)
    return times[times < duration_s]


def diurnal_rate_per_s(spec: DiurnalArrivals, t_s: np.ndarray) -> np.ndarray:
    """The profile's rate at times `t_s` (the day repeats).

    Sinusoid: `mean * (1 + A cos(2 pi (h - peak_hour) / 24))` with `A = (r - 1) / (r + 1)` for
    a peak-to-trough ratio `r`; table: the hour's rate (piecewise constant).
    """
    hour = (np.asarray(t_s) / SECONDS_PER_HOUR) % 24.0
    if spec.hourly_rate_per_s is not None:
        return np.asarray(spec.hourly_rate_per_s)[np.minimum(hour.astype(int), 23)]
    amp = (spec.peak_to_trough - 1.0) / (spec.peak_to_trough + 1.0)
    return spec.mean_rate_per_s * (1.0 + amp * np.cos(2.0 * math.pi * (hour - spec.peak_hour) / 24.0))


def arrival_times(
    spec: PoissonArrivals | BurstyArrivals | DiurnalArrivals,
    rng: np.random.Generator,
    duration_s: float | None,
    count: int | None,
) -> np.ndarray:
    """Sorted arrival times in seconds from the start of the service."""
    if isinstance(spec, PoissonArrivals):
        gap = 1.0 / spec.rate_per_s
        return _renewal(lambda n: rng.exponential(gap, n), gap, duration_s, count)
    if isinstance(spec, BurstyArrivals):
        shape = 1.0 / spec.cv**2
        gap = 1.0 / spec.rate_per_s
        return _renewal(lambda n: rng.gamma(shape, gap / shape, n), gap, duration_s, count)
    # Diurnal: thinning (Lewis & Shedler 1979) of a Poisson process at the peak rate.
    if spec.hourly_rate_per_s is not None:
        peak = max(spec.hourly_rate_per_s)
    else:
        peak = spec.mean_rate_per_s * 2.0 * spec.peak_to_trough / (spec.peak_to_trough + 1.0)
    chunks, total, last = [], 0, 0.0
    while (count is None or total < count) and (duration_s is None or last < duration_s):
        candidates = last + np.cumsum(rng.exponential(1.0 / peak, _CHUNK))
        last = float(candidates[-1])
        keep = rng.random(_CHUNK) * peak < diurnal_rate_per_s(spec, candidates)
        chunks.append(candidates[keep])
        total += int(keep.sum())
    times = np.concatenate(chunks)
    if duration_s is not None:
        times = times[times < duration_s]
    return times[:count] if count is not None else times
