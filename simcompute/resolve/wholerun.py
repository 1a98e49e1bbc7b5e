"""Resolve the whole-run layer of a training workload: its stack, the expected step the engine
simulates, the run's shape for P10/P50/P90, and the operations the engine runs by default.

`realism: ideal` keeps the achievable step alone; `operations: ideal` keeps the stack's
efficiency but no failures, checkpoints, stragglers, evaluation or ramp-up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simcompute.catalog import ModelSpec
from simcompute.config import FailuresConfig, Scenario, TrainingWorkload
from simcompute.errors import ConfigError
from simcompute.perf import TrainingEstimate
from simcompute.realism.expected import EXPOSED_PHASES, batch_ramp_extra_s, expected_estimate
from simcompute.realism.params import load_operations, stack_efficiency, stack_id
from simcompute.realism.wholerun import RunShape
from simcompute.resolve.cluster import ClusterSpec

SPARE_SWAP_S = 60.0
"""Default failures: a failed node is replaced by a spare within a minute (the job's restart
time is the detection and restart overhead); give a `failures:` section to model repairs."""


def expected_training(
    path: str,
    cfg: TrainingWorkload,
    cluster: ClusterSpec,
    model: ModelSpec,
    achievable: TrainingEstimate,
    scenario: Scenario,
) -> tuple[TrainingEstimate, RunShape | None]:
    """(the step the engine simulates, the run's shape) for the scenario's realism."""
    if scenario.realism == "ideal":
        return achievable, None
    try:
        stack = stack_id(cfg.stack)
    except ValueError as exc:
        raise ConfigError(f"{path}.stack", str(exc)) from None
    generation = cluster.accelerator.generation
    measured = cluster.gpu.measured_mfu is not None  # a measured MFU already is the stack's
    efficiency = 1.0 if measured else stack_efficiency(stack, generation).median
    ops = load_operations()
    on = scenario.operations == "expected"
    steps = math.ceil(cfg.tokens / achievable.tokens_per_step)
    ramp = cfg.batch_ramp
    ramp_s = (
        batch_ramp_extra_s(achievable, ramp.tokens, ramp.start_global_batch_tokens) if ramp and on else 0.0
    )
    power = cluster.gpu_for(f"{path}.gpu_power_limit_w", cfg.gpu_power_limit_w).power
    wait_activity = power.capped_activity(power.communication_activity)
    expected = expected_estimate(
        achievable,
        efficiency,
        ops.evaluation_time_fraction.median if on else 0.0,
        ops.straggler_waste_fraction.median if on and not measured else 0.0,
        wait_activity,
        ramp_s / steps,
    )
    slot = cluster.slot_power
    shape = RunShape(
        steps=steps,
        step_time_s=achievable.step_time_s,
        exposed_s=sum(achievable.phase_time_s(p) for p in EXPOSED_PHASES),
        gpus=cfg.gpus,
        gpus_per_node=cluster.node.gpus_per_node,
        params=model.total_params,
        generation=generation,
        stack=stack,
        checkpoint_interval_s=cfg.checkpoint_every,
        step_power_w=slot.at(achievable.mean_activity).total_w,
        wait_power_w=slot.at(wait_activity).total_w,
        idle_power_w=slot.idle.total_w,
        ramp_extra_s=ramp_s,
        operations=on,
        measured_step=measured,
        failure_rate_per_gpu_hour=_scenario_failure_rate(scenario.failures, cluster.node.gpus_per_node),
        restart_s=scenario.failures.restart_overhead if scenario.failures else None,
    )
    return expected, shape


def _scenario_failure_rate(failures: FailuresConfig | None, gpus_per_node: int) -> float | None:
    """Interruptions per GPU-hour of the scenario's own GPU and node failure processes (None:
    the scenario has none, the sourced rate applies)."""
    if failures is None:
        return None
    rate = 1.0 / failures.gpu_mtbf_h if failures.gpu_mtbf_h else 0.0
    if failures.node_mtbf_h:
        rate += 1.0 / (failures.node_mtbf_h * gpus_per_node)
    return rate


@dataclass(frozen=True)
class EngineOperations:
    """What the engine runs beside the jobs' steps: failures (None: none), the checkpoint write
    bandwidth per node when the scenario gives no `scheduling.storage_bandwidth_gbps` (None:
    the scenario's), and whether jobs without `checkpoint_every` checkpoint at Young's interval."""

    failures: FailuresConfig | None
    checkpoint_gbps_per_node: float | None = None
    young_checkpoints: bool = False


def engine_operations(scenario: Scenario, cluster: ClusterSpec, has_training: bool) -> EngineOperations:
    """The scenario's `failures:` section as written when it has one (or without training, or
    with `realism`/`operations: ideal`). Otherwise the sourced operations: interruptions of every
    GPU at its generation's rate, each costing the detection and restart time (a spare node
    takes the failed one's place), checkpoints at Young's interval written at the sourced
    bandwidth per node."""
    default = scenario.realism == "expected" and scenario.operations == "expected" and has_training
    if scenario.failures is not None or not default:
        return EngineOperations(scenario.failures)
    ops = load_operations()
    failures = FailuresConfig(
        gpu_mtbf_h=1.0 / ops.failure_rate(cluster.accelerator.generation).median,
        repair_time=SPARE_SWAP_S,
        restart_overhead=ops.detection_and_restart_s.median,
    )
    bandwidth = None
    if scenario.scheduling.storage_bandwidth_gbps is None:
        bandwidth = ops.checkpoint_write_bytes_per_s_per_node.median / 1e9
    return EngineOperations(failures, bandwidth, young_checkpoints=True)
