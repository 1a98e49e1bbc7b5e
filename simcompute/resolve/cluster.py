"""Resolve `cluster:` into hardware specs, the one simulated GPU, the per-GPU-slot power model,
embodied carbon and cost."""

from __future__ import annotations

from dataclasses import dataclass

from simcompute.catalog import Accelerator, Catalog, Fabric, Generation, Node
from simcompute.config import Scenario
from simcompute.errors import ConfigError
from simcompute.perf.gpu import SimulatedGpu
from simcompute.power import GpuPowerModel, SlotPowerModel
from simcompute.power.cost import CloudCost, OwnedCost
from simcompute.power.embodied import Embodied, load_embodied_table
from simcompute.profile import CalibrationProfile
from simcompute.realism.nodepower import host_max_w
from simcompute.resolve.common import lookup


@dataclass(frozen=True)
class ClusterSpec:
    """The hardware of the cluster, resolved from the catalog.

    `gpu` is the cluster's one simulated GPU under the cluster's power cap; a workload with
    its own cap asks `gpu_for` for the same GPU under that cap.
    """

    node: Node
    accelerator: Accelerator
    generation: Generation
    fabric: Fabric | None
    nodes: int
    gpu: SimulatedGpu
    slot_power: SlotPowerModel
    gpu_hour_usd: float
    embodied: Embodied | None = None
    cost: CloudCost | OwnedCost | None = None

    @property
    def total_gpus(self) -> int:
        return self.nodes * self.node.gpus_per_node

    @property
    def hardware_usd_per_gpu_hour(self) -> float:
        return self.cost.usd_per_gpu_hour if self.cost is not None else self.gpu_hour_usd

    def gpu_for(self, path: str, cap_w: float | None) -> SimulatedGpu:
        """The GPU under a workload's own cap `cap_w` (None: the cluster's); `path` names the
        field in the error when the cap cannot apply."""
        if cap_w is None:
            return self.gpu
        return capped_gpu(path, self.gpu, cap_w, self.slot_power)


def simulated_gpu(
    accelerator: Accelerator, generation: Generation, profile: CalibrationProfile | None
) -> SimulatedGpu:
    """The uncapped GPU: the calibration profile's value of each parameter, else the catalog's.

    The one place where profile values replace catalog ones (accelerator idle power and TDP,
    generation efficiencies and activities).
    """
    fitted = profile.fitted if profile else None

    def pick(name: str, default: float) -> float:
        value = getattr(fitted, name, None) if fitted else None
        return default if value is None else value

    gen = generation
    idle_w, limit_w = pick("idle_power_w", accelerator.idle_power_w), pick("max_power_w", accelerator.tdp_w)
    if not idle_w < limit_w:
        raise ConfigError(
            "calibration",
            f"the profile's idle power {idle_w:g} W is not below its maximum power {limit_w:g} W",
        )
    power = GpuPowerModel(
        idle_w=idle_w,
        limit_w=limit_w,
        compute_activity=pick("compute_activity", gen.training_activity),
        memory_activity=pick("memory_activity", gen.decode_activity),
        communication_activity=pick("communication_activity", gen.communication_activity),
    )
    return SimulatedGpu(
        accelerator=accelerator,
        power=power,
        gemm_max_efficiency=pick("gemm_max_efficiency", gen.gemm_efficiency_max),
        gemm_half_size_flops=pick("gemm_half_size_flops", gen.gemm_half_size_flops),
        attention_efficiency=pick("attention_efficiency", gen.attention_efficiency),
        memory_efficiency=pick("memory_efficiency", gen.memory_efficiency),
        dp_overlap_fraction=gen.dp_overlap_fraction,
        typical_mfu=pick("training_efficiency", gen.typical_mfu),
        measured_mfu=fitted.training_efficiency if fitted else None,
        low_precision_gemm_ratio=gen.low_precision_gemm_ratio,
    )


def capped_gpu(path: str, gpu: SimulatedGpu, cap_w: float | None, slot: SlotPowerModel) -> SimulatedGpu:
    """`gpu` under `cap_w`, or a `ConfigError` at `path` when the cap cannot apply (below idle,
    above the GPU's limit, below what it can be held to, or beside a measured busy power)."""
    if cap_w is None:
        return gpu.with_cap(None)
    if slot.measured_busy_w is not None:
        raise ConfigError(
            path,
            "cannot apply beside cluster.measured_power_per_gpu_w (a measured busy power fixes the draw)",
        )
    try:
        return gpu.with_cap(cap_w)
    except ValueError as exc:
        raise ConfigError(path, str(exc)) from None


def resolve_cluster(scenario: Scenario, catalog: Catalog, profile: CalibrationProfile | None) -> ClusterSpec:
    cfg = scenario.cluster
    node = lookup("cluster.node", catalog.node, cfg.node)
    accelerator = catalog.accelerator(node.gpu)
    generation = catalog.generation(accelerator.generation)
    fabric = lookup("cluster.fabric", catalog.fabric, cfg.fabric) if cfg.fabric else None
    uncapped = simulated_gpu(accelerator, generation, profile)
    gpn = node.gpus_per_node
    network_w = fabric.switch_power_w_per_node / gpn if fabric else 0.0
    slot = SlotPowerModel(
        gpu=uncapped.power,
        host_idle_w=node.host_power_idle_w / gpn,
        host_max_w=host_max_w(
            node, uncapped.power.power_w(uncapped.power.compute_activity), uncapped.power.compute_activity
        )
        / gpn,
        network_w=network_w,
        rated_w=node.rated_power_w / gpn,
        measured_busy_w=cfg.measured_power_per_gpu_w,
    )
    gpu = capped_gpu("cluster.gpu_power_limit_w", uncapped, cfg.gpu_power_limit_w, slot)
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
        gpu=gpu,
        slot_power=slot,
        gpu_hour_usd=cfg.gpu_hour_usd or 0.0,
        embodied=embodied,
        cost=cost,
    )


def _pick(override: float | None, default: float) -> float:
    return override if override is not None else default
