"""`interval_means` against a brute-force overlap sum, and its column forms (1-D, 2-D, list)."""

import numpy as np

from simcompute.integrate import interval_means


def brute_force(t0, t1, values, edges):
    """Overlap of every segment with every interval, times its value, over the interval length."""
    lo = np.maximum(t0[:, None], edges[None, :-1])
    hi = np.minimum(t1[:, None], edges[None, 1:])
    overlap = np.clip(hi - lo, 0.0, None)  # segments x intervals
    return overlap.T @ values / np.diff(edges)[:, None]


def test_matches_brute_force_with_segments_outside_and_on_edges():
    rng = np.random.default_rng(7)
    for _ in range(50):
        s = int(rng.integers(1, 200))
        t0 = np.round(rng.uniform(-20, 120, s), int(rng.integers(0, 3)))  # some start on edges
        t1 = t0 + rng.exponential(rng.choice([0.5, 10.0, 80.0]), s)
        values = rng.uniform(0, 1000, (s, 2))
        end = float(rng.uniform(5, 100))
        edges = np.unique(
            np.concatenate([[0.0, end], np.round(np.linspace(0, end, 9)), rng.uniform(0, end, 5)])
        )
        got = interval_means(t0, t1, values, edges)
        np.testing.assert_allclose(got, brute_force(t0, t1, values, edges), rtol=1e-9, atol=1e-9)


def test_column_forms_agree():
    rng = np.random.default_rng(3)
    t0 = rng.uniform(0, 50, 100)
    t1 = t0 + rng.uniform(0, 20, 100)
    values = rng.uniform(0, 10, (100, 3))
    edges = np.linspace(0, 60, 13)
    stacked = interval_means(t0, t1, values, edges)
    listed = interval_means(t0, t1, [values[:, j] for j in range(3)], edges)
    single = interval_means(t0, t1, values[:, 1], edges)
    assert np.array_equal(stacked, listed)
    assert np.array_equal(stacked[:, 1], single)
    assert single.shape == (12,)
