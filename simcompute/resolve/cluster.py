"""Resolve `cluster:` into hardware specs and the per-GPU-slot power model."""

from __future__ import annotations

from dataclasses import dataclass

from simcompute.catalog import Accelerator, Catalog, Fabric, Generation, Node
from simcompute.config import Scenario
from simcompute.errors import ConfigError
from simcompute.power import GpuPowerModel, SlotPowerModel
from simcompute.profile import CalibrationProfile
from simcompute.resolve.common import lookup


@dataclass(frozen=True)
class ClusterSpec:
    """The hardware of the cluster, resolved from the catalog."""

    node: Node
    accelerator: Accelerator
    generation: Generation
    fabric: Fabric | None
    nodes: int
    slot_power: SlotPowerModel
    gpu_hour_usd: float

    @property
    def total_gpus(self) -> int:
        return self.nodes * self.node.gpus_per_node


def resolve_cluster(scenario: Scenario, catalog: Catalog, profile: CalibrationProfile | None) -> ClusterSpec:
    cfg = scenario.cluster
    node = lookup("cluster.node", catalog.node, cfg.node)
    accelerator = catalog.accelerator(node.gpu)
    generation = catalog.generation(accelerator.generation)
    fabric = lookup("cluster.fabric", catalog.fabric, cfg.fabric) if cfg.fabric else None
    fitted = profile.fitted if profile else None
    idle_w = fitted.idle_power_w if fitted and fitted.idle_power_w is not None else accelerator.idle_power_w
    limit_w = accelerator.tdp_w
    if fitted and fitted.max_power_w is not None:
        limit_w = fitted.max_power_w
    if cfg.gpu_power_limit_w is not None:
        if cfg.gpu_power_limit_w < idle_w:
            raise ConfigError(
                "cluster.gpu_power_limit_w",
                f"{cfg.gpu_power_limit_w:g} W is below the GPU's idle power ({idle_w:g} W)",
            )
        limit_w = min(limit_w, cfg.gpu_power_limit_w)
    gpn = node.gpus_per_node
    network_w = fabric.switch_power_w_per_node / gpn if fabric else 0.0
    slot = SlotPowerModel(
        gpu=GpuPowerModel(idle_w=idle_w, limit_w=limit_w),
        host_idle_w=node.host_power_idle_w / gpn,
        host_max_w=node.host_power_max_w / gpn,
        network_w=network_w,
    )
    return ClusterSpec(
        node=node,
        accelerator=accelerator,
        generation=generation,
        fabric=fabric,
        nodes=cfg.nodes,
        slot_power=slot,
        gpu_hour_usd=cfg.gpu_hour_usd or 0.0,
    )
