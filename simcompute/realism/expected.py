"""The expected step: the achievable step plus what the run's stack and per-step operations add.

The whole-run layer's per-step terms become phases of the step the engine simulates, so their
time and power follow the same rules as the step's own phases (and the power ledger integrates
them): `stack_inefficiency` (a stack slower than the achievable step runs the same work longer
at the step's mean activity), `evaluation` (forward passes at the step's mean activity) and
`stragglers_data_loading` (ranks waiting on the slowest one or on data, at the communication
activity) and `batch_ramp` (a batch-size ramp-up at the start of the run takes more, smaller
steps, each paying the per-step costs that do not shrink with the batch: data-parallel
gradient reduction, the pipeline bubble, the optimizer; spread over the run's steps).
Failures, checkpoints and restarts are events of the engine, not phases.
"""

from __future__ import annotations

import math
from dataclasses import replace

from simcompute.perf import Phase, TrainingEstimate

STACK_PHASE = "stack_inefficiency"
EVALUATION_PHASE = "evaluation"
STRAGGLER_PHASE = "stragglers_data_loading"
RAMP_PHASE = "batch_ramp"
FIXED_PER_STEP_PHASES = ("dp_communication", "pipeline_bubble", "optimizer")
EXPOSED_PHASES = (
    "tp_communication",
    "ep_all_to_all",
    "pp_communication",
    "pipeline_bubble",
    "dp_communication",
)
STEP_TERMS = ("achievable_compute", "exposed_communication_bubble", "stack_inefficiency", "other_overheads")
ADDED_PHASES = (STACK_PHASE, EVALUATION_PHASE, STRAGGLER_PHASE, RAMP_PHASE)


def batch_ramp_extra_s(est: TrainingEstimate, ramp_tokens: float, start_batch_tokens: float) -> float:
    """Achievable seconds a linear batch ramp from `start_batch_tokens` to the full batch over
    the first `ramp_tokens` adds: the extra steps, R ln(B/b0)/(B-b0) - R/B, times the part of a
    step that does not shrink with the batch."""
    full = float(est.tokens_per_step)
    if ramp_tokens <= 0 or start_batch_tokens >= full:
        return 0.0
    extra_steps = (
        ramp_tokens * math.log(full / start_batch_tokens) / (full - start_batch_tokens) - ramp_tokens / full
    )
    return extra_steps * sum(est.phase_time_s(p) for p in FIXED_PER_STEP_PHASES)


def expected_estimate(
    est: TrainingEstimate,
    stack_efficiency: float,
    evaluation_time_fraction: float,
    straggler_waste_fraction: float,
    wait_activity: float,
    ramp_extra_s_per_step: float = 0.0,
) -> TrainingEstimate:
    """`est` with the per-step terms of the whole-run layer added as phases (at their medians);
    `ramp_extra_s_per_step` is `batch_ramp_extra_s` over the run's steps."""
    if not 0 < stack_efficiency <= 1:
        raise ValueError(f"stack efficiency must be in (0, 1], got {stack_efficiency}")
    productive = est.step_time_s / stack_efficiency
    waste = straggler_waste_fraction
    mean = est.mean_activity
    added = (
        Phase(STACK_PHASE, productive - est.step_time_s, mean, "compute"),
        Phase(EVALUATION_PHASE, productive * evaluation_time_fraction, mean, "compute"),
        Phase(STRAGGLER_PHASE, productive * waste / (1.0 - waste), wait_activity, "idle"),
        Phase(RAMP_PHASE, ramp_extra_s_per_step / stack_efficiency, mean, "compute"),
    )
    phases = est.phases + added
    return replace(est, phases=phases, step_time_s=sum(p.time_s for p in phases))


def step_terms_s(est: TrainingEstimate) -> dict[str, float]:
    """Seconds per step of each per-step term of the breakdown (they add up to the step)."""
    exposed = sum(est.phase_time_s(p) for p in EXPOSED_PHASES)
    stack = est.phase_time_s(STACK_PHASE)
    other = sum(est.phase_time_s(p) for p in (EVALUATION_PHASE, STRAGGLER_PHASE, RAMP_PHASE))
    return {
        "achievable_compute": est.step_time_s - exposed - stack - other,
        "exposed_communication_bubble": exposed,
        "stack_inefficiency": stack,
        "other_overheads": other,
    }
