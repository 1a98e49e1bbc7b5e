"""GPU power: idle .. maximum by activity, and what a power cap does to time and power (DVFS).

Power model: `P(a) = idle_w + (limit_w - idle_w) * a` for an activity `a` in [0, 1]; each kind
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
from typing import Literal, Protocol, TypeVar

Bound = Literal["compute", "memory", "communication", "idle"]

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
# SUPPORTED_CLOCKS`) -> 0.15. A cap below what a fully active GPU draws at this clock cannot be
# held, so it is refused (`GpuPowerModel.min_cap_w`).
MIN_CLOCK_FRACTION = 0.15

_SENSITIVITY = {"compute": 1.0, "memory": MEMORY_BOUND_CLOCK_SENSITIVITY, "communication": 0.0, "idle": 0.0}


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


class _HasPhases(Protocol):
    phases: tuple[Phase, ...]
    step_time_s: float


E = TypeVar("E", bound=_HasPhases)


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


@dataclass(frozen=True)
class GpuPowerModel:
    """One GPU's power: idle .. `limit_w` (its uncapped power limit), linear in activity, with
    the activity of each kind of phase and an optional power cap `cap_w`.

    Activities (catalog generation values or calibration profile values): `compute_activity`
    for compute-bound work (training GEMMs, prefill), `memory_activity` for HBM-bound work
    (element-wise, optimizer, batch-1 decode), `communication_activity` for NCCL waits and
    pipeline bubbles; an idle GPU has activity 0. Under the cap a phase's clock, time and
    power follow the DVFS model of the module docstring.
    """

    idle_w: float
    limit_w: float
    compute_activity: float
    memory_activity: float
    communication_activity: float
    cap_w: float | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.idle_w < self.limit_w:
            raise ValueError(f"need 0 <= idle_w < limit_w, got {self.idle_w} and {self.limit_w}")
        cap = self.cap_w
        if cap is None:
            return
        if cap < self.idle_w:
            raise ValueError(f"{cap:g} W is below the GPU's idle power ({self.idle_w:g} W)")
        if cap > self.limit_w:
            raise ValueError(f"{cap:g} W is above the GPU's maximum power limit ({self.limit_w:g} W)")
        if cap < self.min_cap_w:
            raise ValueError(
                f"{cap:g} W is below {self.min_cap_w:.0f} W, what the GPU draws fully active at its "
                f"lowest clock ({MIN_CLOCK_FRACTION:g} of boost)"
            )

    @property
    def min_cap_w(self) -> float:
        """The lowest cap the GPU can hold for any phase: full activity at the minimum clock."""
        return self.idle_w + (self.limit_w - self.idle_w) * dynamic_scale(MIN_CLOCK_FRACTION)

    def with_cap(self, cap_w: float | None) -> GpuPowerModel:
        """The same GPU under power cap `cap_w` (None: uncapped); ValueError if it cannot apply."""
        return replace(self, cap_w=cap_w)

    def power_w(self, activity: float) -> float:
        """Power at `activity` (activities under a cap are already capped: see `capped_activity`)."""
        if not 0.0 <= activity <= 1.0:
            raise ValueError(f"activity must be in [0, 1], got {activity}")
        return self.idle_w + (self.limit_w - self.idle_w) * activity

    def activity_at(self, power_w: float) -> float:
        """The activity whose power is `power_w` (inverse of `power_w`)."""
        return (power_w - self.idle_w) / (self.limit_w - self.idle_w)

    @property
    def max_activity(self) -> float:
        """The highest activity the cap allows (1 uncapped)."""
        return 1.0 if self.cap_w is None else min(1.0, self.activity_at(self.cap_w))

    def clock_fraction(self, activity: float) -> float:
        """Clock (fraction of the uncapped clock) of a phase that would run at `activity` uncapped."""
        demand_w = self.power_w(activity)
        if self.cap_w is None or demand_w <= self.cap_w:
            return 1.0
        return clock_under_cap(demand_w - self.idle_w, self.cap_w - self.idle_w)

    def time_factor(self, bound: Bound, activity: float) -> float:
        """How much longer a phase of this bound and uncapped activity takes under the cap (>= 1)."""
        f = self.clock_fraction(activity)
        s = _SENSITIVITY[bound]
        return s / f + (1.0 - s)

    def capped_activity(self, activity: float) -> float:
        """Activity (power) of a phase of uncapped `activity` under the cap: the cap at most."""
        return min(activity, self.max_activity)

    def cap_phase(self, phase: Phase) -> Phase:
        """One phase under the cap: its new time and its new activity (power)."""
        if self.cap_w is None or self.power_w(phase.activity) <= self.cap_w:
            return phase
        return replace(
            phase,
            time_s=phase.time_s * self.time_factor(phase.bound, phase.activity),
            activity=self.capped_activity(phase.activity),
        )

    def cap_phases(self, phases: Sequence[Phase]) -> tuple[Phase, ...]:
        """Phases under the cap (unchanged without one)."""
        return tuple(self.cap_phase(p) for p in phases)

    def cap_estimate(self, estimate: E) -> E:
        """A performance estimate (anything with `phases` and `step_time_s`) under the cap.

        The step time becomes the sum of the capped phase times, so throughput, MFU and mean
        activity follow from the phases.
        """
        if self.cap_w is None:
            return estimate
        phases = self.cap_phases(estimate.phases)
        return replace(estimate, phases=phases, step_time_s=sum(p.time_s for p in phases))  # type: ignore[type-var]
