"""IT power per GPU slot: the GPU itself, its share of the host node, and of the network.

A *GPU slot* is one GPU plus 1/gpus_per_node of its node's host (CPUs, memory, NICs, fans)
and of the fabric's switches. Summing slots gives the IT power of any set of GPUs, so every
watt is attributed to exactly one owner (a workload, or the idle pool).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SlotPower:
    """Watts drawn by one GPU slot, split by component."""

    gpu_w: float
    host_w: float
    network_w: float

    @property
    def total_w(self) -> float:
        return self.gpu_w + self.host_w + self.network_w


@dataclass(frozen=True)
class GpuPowerModel:
    """GPU power between idle and the power limit, linear in activity (0..1)."""

    idle_w: float
    limit_w: float

    def power_w(self, activity: float) -> float:
        if not 0.0 <= activity <= 1.0:
            raise ValueError(f"activity must be in [0, 1], got {activity}")
        return self.idle_w + (self.limit_w - self.idle_w) * activity


@dataclass(frozen=True)
class SlotPowerModel:
    """Power of one GPU slot as a function of the GPU's activity.

    Host power follows the same activity between its idle and maximum draw (a loaded node's
    CPUs, memory and fans work with its GPUs); the network share is constant.
    """

    gpu: GpuPowerModel
    host_idle_w: float
    host_max_w: float
    network_w: float

    def at(self, activity: float) -> SlotPower:
        return SlotPower(
            gpu_w=self.gpu.power_w(activity),
            host_w=self.host_idle_w + (self.host_max_w - self.host_idle_w) * activity,
            network_w=self.network_w,
        )

    @property
    def idle(self) -> SlotPower:
        return self.at(0.0)
