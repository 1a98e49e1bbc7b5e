"""Achieved fraction of dense peak for one matrix multiply, as a function of its size.

One saturating curve per GPU generation (or per calibration profile):
`efficiency(F) = max_efficiency * F / (F + half_size_flops)`, where `F = 2 m n k` is the
GEMM's FLOP count on one GPU. Large GEMMs approach `max_efficiency`; a GEMM of
`half_size_flops` runs at half of it. The calibration fit and the performance model both use
this function, so a fitted profile means the same thing everywhere.
"""

from __future__ import annotations

import numpy as np


def gemm_efficiency(
    flops: float | np.ndarray, max_efficiency: float, half_size_flops: float
) -> float | np.ndarray:
    """Fraction of dense peak achieved by a GEMM of `flops` FLOPs (scalar or array)."""
    if not 0 < max_efficiency <= 1:
        raise ValueError(f"max_efficiency must be in (0, 1], got {max_efficiency}")
    if half_size_flops <= 0:
        raise ValueError(f"half_size_flops must be > 0, got {half_size_flops}")
    return max_efficiency * flops / (flops + half_size_flops)


def gemm_time_s(
    flops: float | np.ndarray, peak_flops: float, max_efficiency: float, half_size_flops: float
) -> float | np.ndarray:
    """Seconds for a GEMM of `flops` FLOPs on a GPU of `peak_flops` FLOP/s.

    Equals `(flops + half_size_flops) / (peak_flops * max_efficiency)`: a fixed overhead
    (the half-size term) plus the work at the best achievable rate.
    """
    return flops / (peak_flops * gemm_efficiency(flops, max_efficiency, half_size_flops))
