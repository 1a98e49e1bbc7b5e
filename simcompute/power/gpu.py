"""GPU power: idle .. maximum by activity, and what a power cap does to time and power (DVFS).

Power model: `P(a) = idle_w + (max_w - idle_w) * a` for an activity `a` in [0, 1]; each kind
of phase has its own activity (compute-bound, memory-bound, communication/bubbles), from the
GPU generation's catalog entry or a calibration profile.

Cap model (classic CMOS DVFS): the dynamic part of a phase's power scales with the clock `f`
(as a fraction of the uncapped clock) as `f * v(f)^2`, where the voltage `v(f) = max(f,
VOLTAGE_FLOOR)` falls with the clock down to a floor. When a phase demands more than the cap,
the GPU lowers its clock until `idle + dynamic * f * v(f)^2 = cap`. A compute-bound phase then
takes `1/f` times longer; a memory-bound phase only `MEMORY_BOUND_CLOCK_SENSITIVITY/f + (1 -
that)` times (HBM bandwidth does not follow the SM clock); communication and idle phases keep
their time. The energy-time trade-off of Zeus (You et al., NSDI'23), Perseus (Chung et al.,
SOSP'24) and McDonald et al. 2022 follows from this.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from simcompute.perf.training import Phase

# Voltage floor as a fraction of the voltage at the uncapped clock. Mei, Wang, Chu 2017, "A
# Survey and Measurement Study of GPU DVFS on Energy Conservation", Digital Communications and
# Networks 3(2) (arXiv:1610.01784), measured on Fermi/Maxwell that core voltage rises with the
# clock above a knee and stays at its minimum below it. The 0.7 ratio is an estimate for current
# parts (V/F tables from ~0.7 V at low clocks to ~1.0 V at boost), not a published measurement.
VOLTAGE_FLOOR = 0.7

# Fraction of a memory-bound phase's time that scales with the SM clock: estimate 0.1. Mei et
# al. 2017 (above) report memory-bound kernels barely slowed by core-clock scaling, and the
# Zeus paper (You et al., NSDI'23, arXiv:2208.06102) shows lowering the power limit costs little
# time where the GPU is not compute bound.
MEMORY_BOUND_CLOCK_SENSITIVITY = 0.1

# Lowest clock the driver goes to under a power cap, as a fraction of the boost clock: A100
# SXM supports 210..1410 MHz application clocks (NVIDIA A100 datasheet / `nvidia-smi -q -d
# SUPPORTED_CLOCKS`) -> 0.15. A cap that cannot be met at this clock is not met.
MIN_CLOCK_FRACTION = 0.15

# Activity of communication phases and pipeline bubbles (SMs mostly waiting on NCCL): estimate
# 0.2 of the dynamic range. Perseus (Chung et al., SOSP'24, arXiv:2312.06902) is built on the
# observation that GPUs off the critical path (waiting) can run slower at lower power without
# cost; no per-phase power is tabulated there, so the value is an estimate.
DEFAULT_COMMUNICATION_ACTIVITY = 0.2

_SENSITIVITY = {"compute": 1.0, "memory": MEMORY_BOUND_CLOCK_SENSITIVITY, "communication": 0.0, "idle": 0.0}


@dataclass(frozen=True)
class GpuPowerModel:
    """GPU power between idle and its maximum (the uncapped power limit), linear in activity.

    `compute_activity`, `memory_activity` and `communication_activity` are the activities of
    each kind of phase (catalog generation defaults or calibration profile values).
    """

    idle_w: float
    limit_w: float
    compute_activity: float = 0.85
    memory_activity: float = 0.45
    communication_activity: float = DEFAULT_COMMUNICATION_ACTIVITY

    def __post_init__(self) -> None:
        if not 0 <= self.idle_w < self.limit_w:
            raise ValueError(f"need 0 <= idle_w < limit_w, got {self.idle_w} and {self.limit_w}")

    def power_w(self, activity: float) -> float:
        if not 0.0 <= activity <= 1.0:
            raise ValueError(f"activity must be in [0, 1], got {activity}")
        return self.idle_w + (self.limit_w - self.idle_w) * activity

    def activity_at(self, power_w: float) -> float:
        """The activity whose power is `power_w` (inverse of `power_w`)."""
        return (power_w - self.idle_w) / (self.limit_w - self.idle_w)

    def activity_for(self, bound: str) -> float:
        """Default activity of a phase bound by `bound`."""
        return {
            "compute": self.compute_activity,
            "memory": self.memory_activity,
            "communication": self.communication_activity,
            "idle": 0.0,
        }[bound]


def dynamic_scale(f: float, voltage_floor: float = VOLTAGE_FLOOR) -> float:
    """Dynamic power at clock fraction `f` relative to the uncapped clock: f * v(f)^2."""
    v = max(f, voltage_floor)
    return f * v * v


def clock_under_cap(dynamic_w: float, headroom_w: float, voltage_floor: float = VOLTAGE_FLOOR) -> float:
    """Clock fraction at which `dynamic_w * f * v(f)^2` equals `headroom_w` (cap - idle).

    Solved in closed form on each branch of v(f); clamped to [MIN_CLOCK_FRACTION, 1].
    """
    if headroom_w >= dynamic_w:
        return 1.0
    ratio = max(headroom_w, 0.0) / dynamic_w
    # on the branch v = f: f^3 = ratio; below the voltage floor: f * floor^2 = ratio
    f = ratio ** (1.0 / 3.0) if ratio >= voltage_floor**3 else ratio / voltage_floor**2
    return max(f, MIN_CLOCK_FRACTION)


def cap_phase(phase: Phase, gpu: GpuPowerModel, cap_w: float) -> Phase:
    """One phase under a GPU power cap: its new time and its new activity (power)."""
    demand_w = gpu.power_w(phase.activity)
    if demand_w <= cap_w:
        return phase
    f = clock_under_cap(demand_w - gpu.idle_w, cap_w - gpu.idle_w)
    power_w = gpu.idle_w + (demand_w - gpu.idle_w) * dynamic_scale(f)
    s = _SENSITIVITY[phase.bound]
    time_s = phase.time_s * (s / f + (1.0 - s))
    return replace(phase, time_s=time_s, activity=gpu.activity_at(power_w))


def apply_power_cap(phases: Sequence[Phase], gpu: GpuPowerModel, cap_w: float | None) -> tuple[Phase, ...]:
    """Phases under a power cap `cap_w` (None: unchanged). See the module docstring."""
    if cap_w is None:
        return tuple(phases)
    if cap_w < gpu.idle_w:
        raise ValueError(f"power cap {cap_w:g} W is below the GPU's idle power {gpu.idle_w:g} W")
    return tuple(cap_phase(p, gpu, cap_w) for p in phases)


def cap_estimate(estimate, gpu: GpuPowerModel, cap_w: float | None):
    """A performance estimate (anything with `phases` and `step_time_s`) under a power cap.

    The step time becomes the sum of the capped phase times, so throughput, MFU and mean
    activity follow from the phases.
    """
    if cap_w is None:
        return estimate
    phases = apply_power_cap(estimate.phases, gpu, cap_w)
    return replace(estimate, phases=phases, step_time_s=sum(p.time_s for p in phases))
