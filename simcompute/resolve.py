"""Second configuration stage: a validated `Scenario` + catalog -> concrete specs to simulate.

Looks up every catalog name, applies overrides and calibration, checks the cross-field rules
(does the workload fit the cluster?) and computes per-workload performance. Errors name the
YAML path of the offending field.
"""

from __future__ import annotations

from dataclasses import dataclass

from simcompute.catalog import (
    Accelerator,
    Catalog,
    CatalogError,
    Fabric,
    Generation,
    ModelSpec,
    Node,
    Region,
    load_catalog,
)
from simcompute.config import InferenceWorkload, Scenario, TrainingWorkload
from simcompute.errors import ConfigError, NotSupportedError
from simcompute.perf import TrainingEstimate, estimate_training
from simcompute.power import (
    DEFAULT_PUE,
    DEFAULT_WUE_L_PER_KWH,
    ConstantPue,
    GpuPowerModel,
    Grid,
    SlotPowerModel,
)
from simcompute.profile import CalibrationProfile, load_profile


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


@dataclass(frozen=True)
class SiteSpec:
    """Facility and grid of the site."""

    region: Region
    facility: ConstantPue
    grid: Grid
    wue_l_per_kwh: float


@dataclass(frozen=True)
class TrainingJobSpec:
    """A training workload with its model and performance estimate."""

    index: int
    config: TrainingWorkload
    model: ModelSpec
    estimate: TrainingEstimate

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def n_steps(self) -> int:
        return -(-int(self.config.tokens) // self.estimate.tokens_per_step)


@dataclass(frozen=True)
class ResolvedScenario:
    """Everything the engine needs, with no names left to look up."""

    scenario: Scenario
    cluster: ClusterSpec
    site: SiteSpec
    jobs: tuple[TrainingJobSpec, ...]
    calibration: CalibrationProfile | None


def _lookup(path: str, fn, key: str):
    try:
        return fn(key)
    except CatalogError as exc:
        raise ConfigError(path, str(exc)) from None


def _resolve_model(path: str, model: str | ModelSpec, catalog: Catalog) -> ModelSpec:
    if isinstance(model, ModelSpec):
        return model
    return _lookup(path, catalog.model, model)


def resolve_cluster(scenario: Scenario, catalog: Catalog, profile: CalibrationProfile | None) -> ClusterSpec:
    cfg = scenario.cluster
    node = _lookup("cluster.node", catalog.node, cfg.node)
    accelerator = catalog.accelerator(node.gpu)
    generation = catalog.generation(accelerator.generation)
    fabric = _lookup("cluster.fabric", catalog.fabric, cfg.fabric) if cfg.fabric else None
    fitted = profile.fitted if profile else None
    idle_w = fitted.idle_power_w if fitted and fitted.idle_power_w is not None else accelerator.idle_power_w
    limit_w = accelerator.tdp_w
    if fitted and fitted.active_power_w is not None:
        limit_w = fitted.active_power_w
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


def resolve_site(scenario: Scenario, catalog: Catalog) -> SiteSpec:
    cfg = scenario.site
    region = _lookup("site.region", catalog.region, cfg.region)

    def pick(override: float | None, default: float | None) -> float:
        return override if override is not None else (default or 0.0)

    grid = Grid(
        carbon_intensity_g_per_kwh=pick(cfg.carbon_intensity_g_per_kwh, region.carbon_intensity_g_per_kwh),
        electricity_usd_per_kwh=pick(cfg.electricity_usd_per_kwh, region.electricity_usd_per_kwh),
        water_intensity_l_per_kwh=pick(cfg.water_intensity_l_per_kwh, region.water_intensity_l_per_kwh),
    )
    return SiteSpec(
        region=region,
        facility=ConstantPue(cfg.pue if cfg.pue is not None else DEFAULT_PUE),
        grid=grid,
        wue_l_per_kwh=pick(cfg.wue_l_per_kwh, DEFAULT_WUE_L_PER_KWH),
    )


def resolve_training(
    index: int,
    cfg: TrainingWorkload,
    cluster: ClusterSpec,
    catalog: Catalog,
    profile: CalibrationProfile | None,
) -> TrainingJobSpec:
    path = f"workloads[{index}]"
    model = _resolve_model(f"{path}.model", cfg.model, catalog)
    if cfg.gpus > cluster.total_gpus:
        raise ConfigError(
            f"{path}.gpus",
            f"{cfg.gpus} GPUs requested but the cluster has {cluster.total_gpus} "
            f"({cluster.nodes} x {cluster.node.id} with {cluster.node.gpus_per_node} each)",
        )
    if cfg.seq_len > model.max_seq_len:
        raise ConfigError(
            f"{path}.seq_len", f"{cfg.seq_len} exceeds the model's max_seq_len {model.max_seq_len}"
        )
    fitted = profile.fitted if profile else None
    efficiency = cluster.generation.training_efficiency
    if fitted and fitted.training_efficiency is not None:
        efficiency = fitted.training_efficiency
    activity = cluster.generation.training_activity
    if fitted and fitted.training_activity is not None:
        activity = fitted.training_activity
    try:
        estimate = estimate_training(
            model,
            cluster.accelerator,
            gpus=cfg.gpus,
            seq_len=cfg.seq_len,
            global_batch_tokens=cfg.global_batch_tokens,
            precision=cfg.precision,
            efficiency=efficiency,
            activity=activity,
        )
    except CatalogError as exc:
        raise ConfigError(f"{path}.precision", str(exc)) from None
    return TrainingJobSpec(index=index, config=cfg, model=model, estimate=estimate)


def resolve(
    scenario: Scenario, catalog: Catalog | None = None, calibration: str | None = None
) -> ResolvedScenario:
    """Resolve names, overrides and calibration; compute each workload's performance.

    `calibration` (a profile path) takes precedence over the scenario's `calibration:`.
    """
    catalog = catalog or load_catalog()
    profile_path = calibration or scenario.calibration
    profile = load_profile(profile_path) if profile_path else None
    cluster = resolve_cluster(scenario, catalog, profile)
    if profile is not None and profile.gpu != cluster.accelerator.id:
        raise ConfigError(
            "calibration",
            f"profile {profile.path} was measured on '{profile.gpu}' but the cluster's GPU is "
            f"'{cluster.accelerator.id}'; a profile applies only to its own GPU type",
        )
    site = resolve_site(scenario, catalog)
    jobs = []
    for i, workload in enumerate(scenario.workloads):
        if isinstance(workload, InferenceWorkload):
            raise NotSupportedError(
                f"workloads[{i}]: kind 'inference' is not yet supported by this version of simcompute"
            )
        jobs.append(resolve_training(i, workload, cluster, catalog, profile))
    return ResolvedScenario(
        scenario=scenario, cluster=cluster, site=site, jobs=tuple(jobs), calibration=profile
    )
