"""The whole-run layer: from the achievable step to the expected training run.

The step model answers what a tuned stack achieves per step. A real run also pays for its
software stack (`stack efficiency`, from the stack's own benchmarks), stragglers and data
loading, in-run evaluation, a batch ramp-up, checkpoint stalls, failures (the work since the
last checkpoint is redone) and restarts. With the failure rate lambda (per second, the whole
job), the checkpoint write time C, interval tau and restart time r, the wall time W satisfies

    W = useful + checkpoints + lambda * W * (r + (tau + C) / 2)

(Young 1974: a failure loses on average half an interval). `evaluate` gives every term in
seconds and kWh; they add up to the wall time and energy exactly, because the totals are
defined as their sums. `sampled_drivers` draws every uncertain term at once (log-normals from
realism/data) for P10/P50/P90.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simcompute.realism.params import LogNormal, load_operations, stack_efficiency

TERMS = (
    "achievable_compute",
    "exposed_communication_bubble",
    "stack_inefficiency",
    "other_overheads",
    "checkpoints",
    "failures_lost_work",
    "restarts",
)
# Each term's time and IT energy columns in the `jobs` table (checkpoint, restart and lost-work
# columns are the engine's own). They add up to the job's wall time (first start to end) and
# IT energy; `waiting_for_gpus` (queued again after an interruption, holding no GPUs) has no
# energy of the job's own and no counterpart in the whole-run layer, which assumes spare nodes.
JOB_COLUMNS = {
    "achievable_compute": ("achievable_compute_s", "achievable_compute_energy_kwh"),
    "exposed_communication_bubble": (
        "exposed_communication_bubble_s",
        "exposed_communication_bubble_energy_kwh",
    ),
    "stack_inefficiency": ("stack_inefficiency_s", "stack_inefficiency_energy_kwh"),
    "other_overheads": ("other_overheads_s", "other_overheads_energy_kwh"),
    "failures_lost_work": ("failures_lost_work_s", "lost_work_energy_kwh"),
    "checkpoints": ("checkpoint_time_s", "checkpoint_energy_kwh"),
    "restarts": ("restart_time_s", "restart_energy_kwh"),
    "waiting_for_gpus": ("waiting_for_gpus_s", None),
}
# Quantities with P10/P50/P90 columns in the summary (`<name>_p10` ...).
INTERVAL_COLUMNS = ("wall_time_s", "gpu_hours", "facility_energy_kwh", "co2_kg", "cost_usd")
QUANTILES = (0.1, 0.5, 0.9)
DEFAULT_SAMPLES = 400
MIN_PROGRESS = 0.05  # below this share of wall time doing useful work, the job cannot finish


@dataclass(frozen=True)
class RunShape:
    """What the whole-run layer needs from the step model and the job.

    `step_time_s` is the achievable step, `exposed_s` the part of it spent in exposed
    communication and pipeline bubbles, `ramp_extra_s` what a batch ramp-up adds to the run
    (`expected.batch_ramp_extra_s`). Powers are IT watts per GPU (its share of host and
    network included): the step's mean (also drawn while a less efficient stack runs the same
    step longer, and while evaluating or redoing lost work), waiting (communication activity:
    stragglers and data loading) and idle (checkpoint stalls, restarts). `operations` False
    (`operations: ideal`) leaves failures, checkpoints, stragglers and evaluation out;
    `measured_step` (a calibration profile's measured MFU) means the step already is what the
    stack runs, stragglers included, so those two terms are 1 and 0. `failure_rate_per_gpu_hour`
    and `restart_s` are the scenario's own (its `failures:` section), used as given instead of
    the sourced values.
    """

    steps: int
    step_time_s: float
    exposed_s: float
    gpus: int
    gpus_per_node: int
    params: float
    generation: str
    stack: str = "unknown"
    checkpoint_interval_s: float | None = None
    step_power_w: float = 0.0
    wait_power_w: float = 0.0
    idle_power_w: float = 0.0
    exclude_run: str | None = None
    ramp_extra_s: float = 0.0
    operations: bool = True
    measured_step: bool = False
    failure_rate_per_gpu_hour: float | None = None
    restart_s: float | None = None

    @property
    def nodes(self) -> int:
        return -(-self.gpus // self.gpus_per_node)


@dataclass(frozen=True)
class Drivers:
    """One value (or one array of samples) of every uncertain input of the layer."""

    stack_efficiency: np.ndarray
    failure_rate_per_gpu_hour: np.ndarray
    restart_s: np.ndarray
    checkpoint_write_bytes_per_s_per_node: np.ndarray
    straggler_waste_fraction: np.ndarray
    evaluation_time_fraction: np.ndarray


@dataclass(frozen=True)
class WholeRun:
    """Seconds and IT kWh per term (arrays when sampled), failures and checkpoints counted."""

    time_s: dict[str, np.ndarray]
    energy_kwh: dict[str, np.ndarray]
    failures: np.ndarray
    checkpoints: np.ndarray
    checkpoint_interval_s: np.ndarray
    gpus: int

    @property
    def wall_time_s(self) -> np.ndarray:
        return sum(self.time_s[t] for t in TERMS)

    @property
    def it_energy_kwh(self) -> np.ndarray:
        return sum(self.energy_kwh[t] for t in TERMS)

    @property
    def gpu_hours(self) -> np.ndarray:
        return self.wall_time_s * self.gpus / 3600.0


def _distributions(shape: RunShape) -> dict[str, LogNormal]:
    ops = load_operations()
    off = LogNormal(0.0, 0.0)
    on = shape.operations
    if shape.measured_step:
        stack = LogNormal(1.0, 0.0)
    else:
        stack = stack_efficiency(shape.stack, shape.generation, shape.exclude_run)
    failures = ops.failure_rate(shape.generation)
    if shape.failure_rate_per_gpu_hour is not None:
        failures = LogNormal(shape.failure_rate_per_gpu_hour, 0.0, "the scenario's failures")
    restart = ops.detection_and_restart_s if shape.restart_s is None else LogNormal(shape.restart_s, 0.0)
    return {
        "stack_efficiency": stack,
        "failure_rate_per_gpu_hour": failures if on else off,
        "restart_s": restart,
        "checkpoint_write_bytes_per_s_per_node": ops.checkpoint_write_bytes_per_s_per_node,
        "straggler_waste_fraction": ops.straggler_waste_fraction if on and not shape.measured_step else off,
        "evaluation_time_fraction": ops.evaluation_time_fraction if on else off,
    }


def nominal_drivers(shape: RunShape, realism: str = "expected") -> Drivers:
    """Every term at its median; `ideal`: the achievable step and nothing else."""
    if realism == "ideal":
        one, zero = np.ones(1), np.zeros(1)
        return Drivers(one, zero, zero, np.full(1, np.inf), zero, zero)
    return Drivers(**{k: np.array([d.median]) for k, d in _distributions(shape).items()})


def sampled_drivers(shape: RunShape, samples: int, seed: int) -> Drivers:
    """`samples` joint draws of the uncertain terms (independent log-normals), seeded."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x14]))
    drawn = {k: d.sample(rng, samples) for k, d in _distributions(shape).items()}
    drawn["stack_efficiency"] = np.minimum(drawn["stack_efficiency"], 1.0)
    drawn["straggler_waste_fraction"] = np.minimum(drawn["straggler_waste_fraction"], 0.5)
    return Drivers(**drawn)


def evaluate(shape: RunShape, d: Drivers, strict: bool = True) -> WholeRun:
    """Every term of the run for the drivers `d` (vectorised over samples).

    A job that spends less than `MIN_PROGRESS` of its time on useful work cannot finish:
    `strict` raises ValueError; otherwise (sampled drivers, whose tails may get there) the
    share is held at `MIN_PROGRESS`.
    """
    ops = load_operations()
    n = shape.steps
    achievable = n * shape.step_time_s
    exposed = np.full_like(d.stack_efficiency, n * shape.exposed_s)
    compute = achievable - exposed
    productive = achievable / d.stack_efficiency
    stack = productive - achievable
    waste = d.straggler_waste_fraction
    ramp = shape.ramp_extra_s / d.stack_efficiency
    other = productive * (d.evaluation_time_fraction + waste / (1.0 - waste)) + ramp
    useful = productive + other
    lam = d.failure_rate_per_gpu_hour * shape.gpus / 3600.0
    bytes_ = ops.checkpoint_bytes_per_param * shape.params
    write_s = bytes_ / (shape.nodes * d.checkpoint_write_bytes_per_s_per_node)
    if shape.checkpoint_interval_s is not None:
        interval = np.full_like(lam, shape.checkpoint_interval_s)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            young = np.where(lam > 0, np.sqrt(2.0 * write_s / lam), np.inf)  # no failures: never
        interval = np.maximum(young, shape.step_time_s)
    checkpoints = np.where(np.isfinite(interval), useful / interval, 0.0)
    ckpt_time = checkpoints * write_s
    lost_per_failure = np.where(np.isfinite(interval), 0.5 * (interval + write_s), 0.0)
    progress = 1.0 - lam * (d.restart_s + lost_per_failure)
    if not strict:
        progress = np.maximum(progress, MIN_PROGRESS)
    elif np.any(progress < MIN_PROGRESS):
        mtbf_h = 1.0 / (3600.0 * float(np.max(lam)))
        raise ValueError(
            f"the job cannot finish: its mean time between failures ({mtbf_h:.2g} h) is shorter than"
            " a restart plus half a checkpoint interval"
        )
    wall = (useful + ckpt_time) / progress
    failures = lam * wall
    lost = failures * lost_per_failure
    restarts = failures * d.restart_s
    time_s = {
        "achievable_compute": compute,
        "exposed_communication_bubble": exposed,
        "stack_inefficiency": stack,
        "other_overheads": other,
        "checkpoints": ckpt_time,
        "failures_lost_work": lost,
        "restarts": restarts,
    }
    kwh = shape.gpus / 3.6e6
    step_energy = achievable * shape.step_power_w
    busy_other_s = productive * d.evaluation_time_fraction + ramp  # at the step's power
    energy = {
        "achievable_compute": (step_energy - exposed * shape.wait_power_w) * kwh,
        "exposed_communication_bubble": exposed * shape.wait_power_w * kwh,
        "stack_inefficiency": stack * shape.step_power_w * kwh,
        "other_overheads": (busy_other_s * shape.step_power_w + (other - busy_other_s) * shape.wait_power_w)
        * kwh,
        "checkpoints": ckpt_time * shape.idle_power_w * kwh,
        "failures_lost_work": lost * shape.step_power_w * kwh,
        "restarts": restarts * shape.idle_power_w * kwh,
    }
    return WholeRun(time_s, energy, failures, checkpoints, interval, shape.gpus)


def quantiles(values: np.ndarray) -> tuple[float, float, float]:
    """P10, P50, P90 of sampled values."""
    q = np.quantile(np.asarray(values, dtype=float), QUANTILES)
    return float(q[0]), float(q[1]), float(q[2])


def relative_samples(
    shape: RunShape, samples: int, seed: int, residual_sd_log: float
) -> tuple[np.ndarray, np.ndarray]:
    """Samples of (wall time, IT energy) relative to the run with every term at its median,
    each times the same residual factor (log-normal, median 1, `residual_sd_log`): what `run`
    multiplies its simulated job by for P10/P50/P90."""
    nominal = evaluate(shape, nominal_drivers(shape))
    drawn = evaluate(shape, sampled_drivers(shape, samples, seed), strict=False)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5E]))
    residual = np.exp(residual_sd_log * rng.standard_normal(samples))
    wall = drawn.wall_time_s / nominal.wall_time_s[0] * residual
    energy = drawn.it_energy_kwh / nominal.it_energy_kwh[0] * residual
    return wall, energy
