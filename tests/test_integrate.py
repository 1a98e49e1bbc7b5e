import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simcompute.integrate import default_interval, interval_edges, interval_means


def test_single_segment_exact_means():
    # 100 W on [5, 15): interval [0,10) sees 5 s of it, [10,20) sees 5 s.
    means = interval_means(np.array([5.0]), np.array([15.0]), np.array([100.0]), np.array([0.0, 10.0, 20.0]))
    assert means.tolist() == [50.0, 50.0]


def test_overlapping_segments_add():
    means = interval_means(
        np.array([0.0, 2.0]), np.array([4.0, 4.0]), np.array([10.0, 5.0]), np.array([0.0, 2.0, 4.0])
    )
    assert means.tolist() == [10.0, 15.0]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 100), st.floats(0.001, 50), st.floats(0, 1000)), min_size=1, max_size=30),
    st.floats(0.5, 40),
)
def test_energy_is_conserved(segments, interval):
    t0 = np.array([s[0] for s in segments])
    t1 = t0 + np.array([s[1] for s in segments])
    p = np.array([s[2] for s in segments])
    edges = interval_edges(float(t1.max()), interval)
    means = interval_means(t0, t1, p, edges)
    exact = float(np.sum(p * (t1 - t0)))
    assert np.sum(means * np.diff(edges)) == pytest.approx(exact, rel=1e-9, abs=1e-6)


def test_edges_end_exactly():
    edges = interval_edges(25.0, 10.0)
    assert edges.tolist() == [0.0, 10.0, 20.0, 25.0]
    assert interval_edges(20.0, 10.0).tolist() == [0.0, 10.0, 20.0]


def test_default_interval_bounds_rows():
    for duration in (5.0, 3600.0, 30 * 86400.0, 400 * 86400.0):
        assert duration / default_interval(duration) <= 2000
