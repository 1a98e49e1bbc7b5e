"""Token-length distributions of prompts and outputs (whole tokens, at least one)."""

from __future__ import annotations

import numpy as np

from simcompute.config.base import MAX_REQUEST_TOKENS
from simcompute.config.inference import EmpiricalLength, FixedLength, LognormalLength, UniformLength
from simcompute.errors import ConfigError
from simcompute.traffic.files import check_rows, numeric_column, read_table

LengthSpec = FixedLength | UniformLength | LognormalLength | EmpiricalLength


def empirical_values(spec: EmpiricalLength, field: str) -> np.ndarray:
    """The column of an empirical length file, checked (whole numbers >= 1)."""
    frame = read_table(spec.path, field)
    if len(frame) == 0 or len(frame.columns) == 0:
        raise ConfigError(field, f"{spec.path}: the file has no values")
    column = spec.column if spec.column is not None else str(frame.columns[0])
    values = numeric_column(frame, column, spec.path, field)
    check_rows(values, values < 1, spec.path, column, field, "must be >= 1")
    too_long = values > MAX_REQUEST_TOKENS
    check_rows(values, too_long, spec.path, column, field, f"must be at most {MAX_REQUEST_TOKENS:,}")
    return np.rint(values).astype(np.int64)


def sample_lengths(spec: LengthSpec, n: int, rng: np.random.Generator, field: str) -> np.ndarray:
    """`n` token counts (int64, >= 1) drawn from `spec`.

    Log-normal: `mean` is the distribution's mean, so the log has mean ln(mean) - sigma^2/2.
    """
    if isinstance(spec, FixedLength):
        return np.full(n, spec.value, dtype=np.int64)
    if isinstance(spec, UniformLength):
        return rng.integers(spec.low, spec.high + 1, size=n, dtype=np.int64)
    if isinstance(spec, LognormalLength):
        mu = np.log(spec.mean) - spec.sigma**2 / 2.0
        return np.maximum(1, np.rint(rng.lognormal(mu, spec.sigma, size=n))).astype(np.int64)
    values = empirical_values(spec, field)
    return values[rng.integers(0, len(values), size=n)]
