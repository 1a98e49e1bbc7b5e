"""The expected step: the achievable step plus what the run's stack and per-step operations add.

The whole-run layer's per-step terms become phases of the step the engine simulates, so their
time and power follow the same rules as the step's own phases (and the power ledger integrates
them): `stack_inefficiency` (a stack slower than the achievable step runs the same work longer
at the step's mean activity), `evaluation` (forward passes at the step's mean activity) and
`stragglers_data_loading` (ranks waiting on the slowest one or on data, at the communication
activity). Failures, checkpoints and restarts are events of the engine, not phases.
"""

from __future__ import annotations

from dataclasses import replace

from simcompute.perf import Phase, TrainingEstimate

STACK_PHASE = "stack_inefficiency"
EVALUATION_PHASE = "evaluation"
STRAGGLER_PHASE = "stragglers_data_loading"
EXPOSED_PHASES = (
    "tp_communication",
    "ep_all_to_all",
    "pp_communication",
    "pipeline_bubble",
    "dp_communication",
)
ADDED_PHASES = (STACK_PHASE, EVALUATION_PHASE, STRAGGLER_PHASE)


def expected_estimate(
    est: TrainingEstimate,
    stack_efficiency: float,
    evaluation_time_fraction: float,
    straggler_waste_fraction: float,
    wait_activity: float,
) -> TrainingEstimate:
    """`est` with the per-step terms of the whole-run layer added as phases (at their medians)."""
    if not 0 < stack_efficiency <= 1:
        raise ValueError(f"stack efficiency must be in (0, 1], got {stack_efficiency}")
    productive = est.step_time_s / stack_efficiency
    waste = straggler_waste_fraction
    mean = est.mean_activity
    added = (
        Phase(STACK_PHASE, productive - est.step_time_s, mean, "compute"),
        Phase(EVALUATION_PHASE, productive * evaluation_time_fraction, mean, "compute"),
        Phase(STRAGGLER_PHASE, productive * waste / (1.0 - waste), wait_activity, "idle"),
    )
    phases = est.phases + added
    return replace(est, phases=phases, step_time_s=sum(p.time_s for p in phases))


def step_terms_s(est: TrainingEstimate) -> dict[str, float]:
    """Seconds per step of each per-step term of the breakdown (they add up to the step)."""
    exposed = sum(est.phase_time_s(p) for p in EXPOSED_PHASES)
    stack = est.phase_time_s(STACK_PHASE)
    other = est.phase_time_s(EVALUATION_PHASE) + est.phase_time_s(STRAGGLER_PHASE)
    return {
        "achievable_compute": est.step_time_s - exposed - stack - other,
        "exposed_communication_bubble": exposed,
        "stack_inefficiency": stack,
        "other_overheads": other,
    }
