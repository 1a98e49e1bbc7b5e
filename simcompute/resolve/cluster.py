"""Resolve `cluster:` into hardware specs, the per-GPU-slot power model, embodied carbon and cost."""

from __future__ import annotations

from dataclasses import dataclass

from simcompute.catalog import Accelerator, Catalog, Fabric, Generation, Node
from simcompute.config import Scenario
from simcompute.errors import ConfigError
from simcompute.power import GpuPowerModel, SlotPowerModel
from simcompute.power.cost import CloudCost, OwnedCost
from simcompute.power.embodied import Embodied, load_embodied_table
from simcompute.power.gpu import DEFAULT_COMMUNICATION_ACTIVITY
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
    gpu_power_limit_w: float | None = None
    embodied: Embodied | None = None
    cost: CloudCost | OwnedCost | None = None

    @property
    def total_gpus(self) -> int:
        return self.nodes * self.node.gpus_per_node

    @property
    def hardware_usd_per_gpu_hour(self) -> float:
        return self.cost.usd_per_gpu_hour if self.cost is not None else self.gpu_hour_usd


def gpu_power_model(accelerator: Accelerator, generation: Generation, profile: CalibrationProfile | None):
    """Catalog defaults (accelerator idle/TDP, generation activities), overridden by a profile."""
    fitted = profile.fitted if profile else None

    def pick(name: str, default: float) -> float:
        value = getattr(fitted, name, None) if fitted else None
        return value if value is not None else default

    idle_w, limit_w = pick("idle_power_w", accelerator.idle_power_w), pick("max_power_w", accelerator.tdp_w)
    if not idle_w < limit_w:
        raise ConfigError(
            "calibration",
            f"the profile's idle power {idle_w:g} W is not below its maximum power {limit_w:g} W",
        )
    return GpuPowerModel(
        idle_w=idle_w,
        limit_w=limit_w,
        compute_activity=pick("compute_activity", generation.training_activity),
        memory_activity=pick("memory_activity", generation.decode_activity),
        communication_activity=pick("communication_activity", DEFAULT_COMMUNICATION_ACTIVITY),
    )


def check_power_limit(path: str, cap_w: float | None, gpu: GpuPowerModel) -> None:
    """A power cap must sit above the GPU's idle power."""
    if cap_w is not None and cap_w < gpu.idle_w:
        raise ConfigError(path, f"{cap_w:g} W is below the GPU's idle power ({gpu.idle_w:g} W)")


def resolve_cluster(scenario: Scenario, catalog: Catalog, profile: CalibrationProfile | None) -> ClusterSpec:
    cfg = scenario.cluster
    node = lookup("cluster.node", catalog.node, cfg.node)
    accelerator = catalog.accelerator(node.gpu)
    generation = catalog.generation(accelerator.generation)
    fabric = lookup("cluster.fabric", catalog.fabric, cfg.fabric) if cfg.fabric else None
    gpu = gpu_power_model(accelerator, generation, profile)
    check_power_limit("cluster.gpu_power_limit_w", cfg.gpu_power_limit_w, gpu)
    gpn = node.gpus_per_node
    network_w = fabric.switch_power_w_per_node / gpn if fabric else 0.0
    slot = SlotPowerModel(
        gpu=gpu,
        host_idle_w=node.host_power_idle_w / gpn,
        host_max_w=node.host_power_max_w / gpn,
        network_w=network_w,
        rated_w=node.rated_power_w / gpn,
        measured_busy_w=cfg.measured_power_per_gpu_w,
    )
    table = load_embodied_table()
    override = cfg.embodied
    embodied = Embodied(
        gpu_kgco2e=_pick(override and override.gpu_kgco2e, table["accelerators"].get(accelerator.id, 0.0)),
        server_kgco2e=_pick(override and override.server_kgco2e, table["nodes"].get(node.id, 0.0)),
        gpus_per_node=gpn,
        lifetime_years=_pick(override and override.lifetime_years, table["lifetime_years"]),
    )
    if cfg.owned is not None:
        cost: CloudCost | OwnedCost = OwnedCost(
            capex_usd_per_node=cfg.owned.capex_usd_per_node,
            network_capex_usd_per_node=cfg.owned.network_capex_usd_per_node,
            lifetime_years=cfg.owned.lifetime_years,
            colocation_usd_per_kw_month=cfg.owned.colocation_usd_per_kw_month,
            gpus_per_node=gpn,
            provisioned_kw_per_gpu=slot.provisioned_w / 1000.0,
        )
    else:
        cost = CloudCost(cfg.gpu_hour_usd or 0.0)
    return ClusterSpec(
        node=node,
        accelerator=accelerator,
        generation=generation,
        fabric=fabric,
        nodes=cfg.nodes,
        slot_power=slot,
        gpu_hour_usd=cfg.gpu_hour_usd or 0.0,
        gpu_power_limit_w=cfg.gpu_power_limit_w,
        embodied=embodied,
        cost=cost,
    )


def _pick(override: float | None, default: float) -> float:
    return override if override is not None else default
