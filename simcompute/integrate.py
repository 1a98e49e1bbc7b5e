"""Exact integrals of piecewise-constant power over arbitrary intervals."""

from __future__ import annotations

import numpy as np


def interval_means(
    t_start: np.ndarray, t_end: np.ndarray, values: np.ndarray, edges: np.ndarray
) -> np.ndarray:
    """Mean over each [edges[i], edges[i+1]) of the sum of segments `values` on [t_start, t_end).

    Each segment (clipped to the edges) is cut at the interval edges into a head piece in the
    interval where it starts, a tail piece in the interval where it ends, and whole intervals
    between; pieces are summed per interval with `np.bincount` and whole intervals by a running
    level. O(S log B) for S segments and B intervals, no sort of the segments, and only 1-D
    temporaries of length S (tails and whole intervals only for the segments that cross an
    edge). `values` may be 2-D (segments x columns), or a list of 1-D columns (not stacked:
    no segments x columns copy).
    """
    if isinstance(values, (list, tuple)):
        columns = [np.asarray(v, dtype=float) for v in values]
        squeeze = False
    else:
        values = np.asarray(values, dtype=float)
        squeeze = values.ndim == 1
        columns = [values] if squeeze else list(values.T)
    edges = np.asarray(edges, dtype=float)
    n = len(edges) - 1
    out = np.zeros((max(n, 0), len(columns)))
    if len(t_start) == 0 or n < 1:
        return out[:, 0] if squeeze else out
    t0 = np.asarray(t_start, dtype=float)
    t1 = np.asarray(t_end, dtype=float)
    if t0.min() < edges[0] or t1.max() > edges[-1]:
        t0, t1 = np.clip(t0, edges[0], edges[-1]), np.clip(t1, edges[0], edges[-1])
    keep = t1 > t0
    if not keep.all():
        t0, t1, columns = t0[keep], t1[keep], [v[keep] for v in columns]
    del keep
    first = np.searchsorted(edges, t0, side="right")
    first -= 1  # interval holding the start
    last = np.searchsorted(edges, t1, side="right")
    last -= 1
    np.minimum(last, n - 1, out=last)  # ... the end
    # Segments that cross an interval edge (few: the rest lie inside one interval and are
    # one head piece each): their head ends at the edge, their tail starts at the last one.
    cross = np.flatnonzero(first != last)
    head = t1 - t0
    first_x, last_x = first[cross], last[cross]
    head[cross] = edges[first_x + 1] - t0[cross]
    tail = t1[cross] - edges[last_x]
    spans = np.flatnonzero(last_x > first_x + 1)  # whole intervals first+1 .. last-1 between
    width = np.diff(edges)
    piece = np.empty(len(head))  # one buffer for every column's head pieces
    for j, v in enumerate(columns):
        energy = np.bincount(first, weights=np.multiply(v, head, out=piece), minlength=n)
        v_x = v[cross]
        energy += np.bincount(last_x, weights=v_x * tail, minlength=n)
        if len(spans):
            whole = v_x[spans]
            level = np.bincount(first_x[spans] + 1, weights=whole, minlength=n + 1)
            level -= np.bincount(last_x[spans], weights=whole, minlength=n + 1)
            energy += np.cumsum(level[:n]) * width
        out[:, j] = energy / width
    return out[:, 0] if squeeze else out


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
