"""Checkpoints: their size, their write time, and the Young/Daly optimal interval."""

from __future__ import annotations

import math
from dataclasses import dataclass

from simcompute.catalog import ModelSpec

CHECKPOINT_ACTIVITY = 0.0
"""GPU activity while a blocking checkpoint is written: the GPUs wait on storage I/O
(assumption: they draw idle power; the host's share follows the same activity)."""

RESTART_ACTIVITY = 0.0
"""GPU activity during the restart overhead (process launch, communicator set-up, checkpoint
load): the GPUs mostly wait (assumption: idle power)."""


@dataclass(frozen=True)
class CheckpointPlan:
    """How one job checkpoints: every `interval_s` of compute, taking `write_s` to persist."""

    interval_s: float | None
    size_bytes: float
    write_s: float
    asynchronous: bool


def checkpoint_bytes(model: ModelSpec | None, bytes_per_param: float) -> float:
    """Model weights + optimizer state (bytes per parameter, see `CHECKPOINT_BYTES_PER_PARAM`);
    0 when the job has no model (a trace row given as duration or FLOPs)."""
    return model.total_params * bytes_per_param if model is not None else 0.0


def write_time_s(size_bytes: float, bandwidth_gbps: float | None) -> float:
    """Seconds to write `size_bytes` at `bandwidth_gbps` GB/s (no bandwidth given: 0)."""
    return size_bytes / (bandwidth_gbps * 1e9) if bandwidth_gbps else 0.0


def young_daly_interval_s(write_s: float, mtbf_s: float) -> float:
    """Young's optimal compute time between checkpoints, sqrt(2 * C * M) (Young 1974,
    "A first order approximation to the optimum checkpoint interval", CACM 17(9); Daly 2006,
    FGCS 22(3) for the higher-order correction). NaN when there is nothing to optimise."""
    if write_s <= 0 or not math.isfinite(mtbf_s) or mtbf_s <= 0:
        return math.nan
    return math.sqrt(2.0 * write_s * mtbf_s)
