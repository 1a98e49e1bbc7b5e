"""`PowerSegments`: gathering levels by index equals writing the per-segment columns."""

import numpy as np

from simcompute.records import PowerSegments


def test_extend_with_levels_equals_explicit_columns():
    t0 = np.arange(5000, dtype=float)
    which = np.arange(5000) % 3
    levels = [np.array([10.0, 20.0, 30.0]), np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.25, 0.125])]
    gathered, explicit = PowerSegments(capacity=4), PowerSegments(capacity=4)
    gathered.append((1, -1.0, 0.0, 2, 5.0, 6.0, 7.0))
    explicit.append((1, -1.0, 0.0, 2, 5.0, 6.0, 7.0))
    gathered.extend(0, t0, t0 + 1, 4, *levels, which=which)
    explicit.extend(0, t0, t0 + 1, 4, *(level[which] for level in levels))
    gathered.append((1, 5000.0, 5001.0, 2, 5.0, 6.0, 7.0))
    a, b = gathered.columns(), explicit.columns()
    assert len(gathered) == 5002
    for name in a:
        assert np.array_equal(a[name][:5001], b[name]), name
