"""IT power per GPU slot: the GPU itself, its share of the host node, and of the network.

A *GPU slot* is one GPU plus 1/gpus_per_node of its node's host (CPUs, memory, NICs, fans)
and of the fabric's switches. Summing slots gives the IT power of any set of GPUs, so every
watt is attributed to exactly one owner (a workload, or the idle pool).
"""

from __future__ import annotations

from dataclasses import dataclass

from simcompute.power.gpu import GpuPowerModel


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
class SlotPowerModel:
    """Power of one GPU slot as a function of the GPU's activity.

    Host power follows the same activity between its idle and maximum draw (a loaded node's
    CPUs, memory and fans work with its GPUs); the network share is constant. GPU + host is
    capped at the node's rated power per slot (`rated_w`, the PSU rating / GPUs per node).

    `measured_busy_w` replaces the model whenever the slot is busy (activity > 0): a measured
    system power per GPU (GPU + host + network share, e.g. Patterson et al. 2021's 330 W per
    V100). The split between components keeps the model's proportions at that activity.
    """

    gpu: GpuPowerModel
    host_idle_w: float
    host_max_w: float
    network_w: float
    rated_w: float | None = None
    measured_busy_w: float | None = None

    def at(self, activity: float) -> SlotPower:
        gpu_w = self.gpu.power_w(activity)
        host_w = self.host_idle_w + (self.host_max_w - self.host_idle_w) * activity
        if self.rated_w is not None and gpu_w + host_w > self.rated_w:
            host_w = max(self.rated_w - gpu_w, 0.0)
            gpu_w = min(gpu_w, self.rated_w)
        if self.measured_busy_w is not None and activity > 0:
            scale = self.measured_busy_w / (gpu_w + host_w + self.network_w)
            return SlotPower(gpu_w=gpu_w * scale, host_w=host_w * scale, network_w=self.network_w * scale)
        return SlotPower(gpu_w=gpu_w, host_w=host_w, network_w=self.network_w)

    @property
    def idle(self) -> SlotPower:
        return self.at(0.0)

    @property
    def provisioned_w(self) -> float:
        """Power provisioned for the slot: the node's rating share plus its network share."""
        peak = self.rated_w if self.rated_w is not None else self.gpu.limit_w + self.host_max_w
        return peak + self.network_w
