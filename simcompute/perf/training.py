"""Training step time, throughput and MFU (v0: a calibrated fraction of dense peak).

The estimate is a sequence of phases per step, each with its duration and GPU activity, so
the power model can follow compute and communication. v0 has a single compute phase; the
parallelism-aware model refines the phases without changing this interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from simcompute.catalog import Accelerator, ModelSpec
from simcompute.perf.flops import training_flops_per_token

Bound = Literal["compute", "memory", "communication", "idle"]


@dataclass(frozen=True)
class Phase:
    """Part of a step: its duration, the GPU activity (0 idle .. 1 busiest) and what bounds it.

    `bound` tells the power model how the phase reacts to a power cap: compute-bound phases
    slow down with the clock, memory-bound and communication phases barely do.
    """

    name: str
    time_s: float
    activity: float
    bound: Bound = "compute"


@dataclass(frozen=True)
class TrainingEstimate:
    """Per-step performance of a training job on its GPUs."""

    step_time_s: float
    tokens_per_step: int
    flops_per_token: float
    gpus: int
    peak_flops_per_gpu: float
    phases: tuple[Phase, ...]

    @property
    def model_flops_per_step(self) -> float:
        return self.flops_per_token * self.tokens_per_step

    @property
    def tokens_per_s(self) -> float:
        return self.tokens_per_step / self.step_time_s

    @property
    def mfu(self) -> float:
        """Model FLOPs utilisation: achieved model FLOP/s over the GPUs' dense peak."""
        return self.model_flops_per_step / (self.step_time_s * self.gpus * self.peak_flops_per_gpu)

    @property
    def mean_activity(self) -> float:
        """Time-weighted GPU activity over one step (drives mean power)."""
        return sum(p.time_s * p.activity for p in self.phases) / self.step_time_s


def tokens_per_step(global_batch_tokens: float, seq_len: int) -> int:
    """Whole sequences per step (at least one) times the sequence length."""
    return max(1, round(global_batch_tokens / seq_len)) * seq_len


def estimate_training(
    model: ModelSpec,
    accelerator: Accelerator,
    *,
    gpus: int,
    seq_len: int,
    global_batch_tokens: float,
    precision: str,
    efficiency: float,
    activity: float,
) -> TrainingEstimate:
    """Step time = model FLOPs per step / (GPUs x dense peak x efficiency).

    `efficiency` is the achieved fraction of peak (from the GPU generation's catalog entry or
    a calibration profile); `activity` is the GPU power activity while computing.
    """
    if not 0 < efficiency <= 1:
        raise ValueError(f"efficiency must be in (0, 1], got {efficiency}")
    peak = accelerator.peak_flops(precision)
    batch = tokens_per_step(global_batch_tokens, seq_len)
    flops_per_token = training_flops_per_token(model, seq_len)
    step_time_s = flops_per_token * batch / (gpus * peak * efficiency)
    return TrainingEstimate(
        step_time_s=step_time_s,
        tokens_per_step=batch,
        flops_per_token=flops_per_token,
        gpus=gpus,
        peak_flops_per_gpu=peak,
        phases=(Phase("compute", step_time_s, activity),),
    )
