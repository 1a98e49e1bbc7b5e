"""Exact integrals of piecewise-constant power over arbitrary intervals."""

from __future__ import annotations

import numpy as np


def interval_means(
    t_start: np.ndarray, t_end: np.ndarray, values: np.ndarray, edges: np.ndarray
) -> np.ndarray:
    """Mean over each [edges[i], edges[i+1]) of the sum of segments `values` on [t_start, t_end).

    Works on the change points (O((S + B) log S)): the running sum of all segments is a step
    function, its integral is piecewise linear, and each interval mean is that integral's
    increment over the interval divided by its length. `values` may be 2-D (segments x columns).
    """
    values = np.asarray(values, dtype=float)
    squeeze = values.ndim == 1
    if squeeze:
        values = values[:, None]
    edges = np.asarray(edges, dtype=float)
    if len(t_start) == 0:
        out = np.zeros((len(edges) - 1, values.shape[1]))
        return out[:, 0] if squeeze else out
    times = np.concatenate([t_start, t_end])
    deltas = np.concatenate([values, -values])
    order = np.argsort(times, kind="stable")
    times, deltas = times[order], deltas[order]
    level = np.cumsum(deltas, axis=0)  # value just after each change point
    energy = np.vstack(
        [np.zeros((1, values.shape[1])), np.cumsum(level[:-1] * np.diff(times)[:, None], axis=0)]
    )
    idx = np.searchsorted(times, edges, side="right") - 1
    before = idx < 0
    idx = np.clip(idx, 0, None)
    at_edges = energy[idx] + level[idx] * (edges - times[idx])[:, None]
    at_edges[before] = 0.0
    means = np.diff(at_edges, axis=0) / np.diff(edges)[:, None]
    return means[:, 0] if squeeze else means


NICE_INTERVALS_S = (1.0, 10.0, 60.0, 300.0, 900.0, 3600.0, 6 * 3600.0, 86400.0, 7 * 86400.0)


def default_interval(duration_s: float, max_points: int = 2000) -> float:
    """The smallest round interval that covers `duration_s` in at most `max_points` rows."""
    for interval in NICE_INTERVALS_S:
        if duration_s / interval <= max_points:
            return interval
    return float(np.ceil(duration_s / max_points / 86400.0) * 86400.0)


def interval_edges(end_s: float, interval_s: float) -> np.ndarray:
    """Edges 0, interval, 2*interval, ... with a last (possibly shorter) interval ending at end_s."""
    n_full = int(np.floor(end_s / interval_s + 1e-12))
    edges = np.arange(n_full + 1, dtype=float) * interval_s
    if end_s - edges[-1] > 1e-9 * max(1.0, end_s):
        edges = np.append(edges, end_s)
    else:
        edges[-1] = end_s
    return edges
