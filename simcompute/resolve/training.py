"""Resolve a training workload: its model, its parallel layout and its performance estimate."""

from __future__ import annotations

from dataclasses import dataclass, replace

from simcompute.catalog import Accelerator, Catalog, CatalogError, Fabric, Generation, ModelSpec, Node
from simcompute.config import TrainingWorkload
from simcompute.errors import ConfigError
from simcompute.perf import TrainingEstimate, estimate_training
from simcompute.perf.layout import Layout, layout_problems
from simcompute.perf.search import Candidate, best_layout, search_layouts
from simcompute.perf.training import TrainingSystem
from simcompute.power.gpu import cap_estimate
from simcompute.profile import CalibrationProfile
from simcompute.resolve.cluster import ClusterSpec, check_power_limit
from simcompute.resolve.common import resolve_model


@dataclass(frozen=True)
class TrainingJobSpec:
    """A training workload with its model, layout and performance estimate."""

    index: int
    config: TrainingWorkload
    model: ModelSpec
    estimate: TrainingEstimate

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def layout(self) -> Layout | None:
        return self.estimate.layout

    @property
    def n_steps(self) -> int:
        return -(-int(self.config.tokens) // self.estimate.tokens_per_step)


def training_system(
    cluster: ClusterSpec, profile: CalibrationProfile | None, cfg: TrainingWorkload
) -> TrainingSystem:
    """The hardware parameters of the cluster, with calibration-profile values where present,
    and the workload's own settings (attention kernel, communication overlap)."""
    p = cfg.parallelism
    system = hardware_system(
        cluster.node, cluster.accelerator, cluster.generation, cluster.fabric, profile, p.dp_overlap_fraction
    )
    return replace(system, attention=cfg.attention, ep_overlap_fraction=p.ep_overlap_fraction)


def hardware_system(
    node: Node,
    accelerator: Accelerator,
    generation: Generation,
    fabric: Fabric | None,
    profile: CalibrationProfile | None = None,
    dp_overlap_fraction: float | None = None,
) -> TrainingSystem:
    """A `TrainingSystem` from catalog records; profile `fitted` values replace catalog ones."""
    gen, fitted = generation, (profile.fitted if profile else None)

    def pick(fitted_name: str, default: float) -> float:
        value = getattr(fitted, fitted_name, None) if fitted else None
        return default if value is None else value

    return TrainingSystem(
        accelerator=accelerator,
        gpus_per_node=node.gpus_per_node,
        nvlink_bandwidth_gbps=node.nvlink_bandwidth_gbps,
        fabric_bandwidth_gbps=fabric.bandwidth_gbps if fabric else None,
        fabric_latency_us=fabric.latency_us if fabric else None,
        gemm_max_efficiency=pick("gemm_max_efficiency", gen.gemm_efficiency_max),
        gemm_half_size_flops=pick("gemm_half_size_flops", gen.gemm_half_size_flops),
        attention_efficiency=pick("attention_efficiency", gen.attention_efficiency),
        memory_efficiency=pick("memory_efficiency", gen.memory_efficiency),
        dp_overlap_fraction=gen.dp_overlap_fraction if dp_overlap_fraction is None else dp_overlap_fraction,
        compute_activity=pick("compute_activity", gen.training_activity),
        memory_activity=pick("memory_activity", gen.decode_activity),
        communication_activity=pick("communication_activity", gen.communication_activity),
    )


def configured_layout(cfg: TrainingWorkload) -> Layout:
    """The layout written in the scenario (not `auto`), with dp derived."""
    p = cfg.parallelism
    return Layout(
        tp=p.tp, pp=p.pp, dp=cfg.dp, zero=p.zero, sequence_parallel=p.sequence_parallel,
        recompute=p.recompute, microbatch_size=p.microbatch_size, virtual_pp=p.virtual_pp, ep=p.ep,
    )  # fmt: skip


def _memory_error(
    path: str, est: TrainingEstimate, system: TrainingSystem, suggestion: Layout | None
) -> ConfigError:
    acc = system.accelerator
    mem = est.memory
    tail = (
        f"a layout that fits: {suggestion.describe()}"
        if suggestion
        else "no layout of these GPUs fits; use more GPUs"
    )
    return ConfigError(
        f"{path}.parallelism",
        f"layout {est.layout.describe()} needs {mem.total_gb:.1f} GB per GPU ({mem.describe()}) "
        f"but {acc.id} has {acc.memory_gb:g} GB; {tail}",
    )


def resolve_training(
    index: int,
    cfg: TrainingWorkload,
    cluster: ClusterSpec,
    catalog: Catalog,
    profile: CalibrationProfile | None,
) -> TrainingJobSpec:
    path = f"workloads[{index}]"
    model = resolve_model(f"{path}.model", cfg.model, catalog)
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
    try:
        cluster.accelerator.peak_flops(cfg.precision)
    except CatalogError as exc:
        raise ConfigError(f"{path}.precision", str(exc)) from None
    system = training_system(cluster, profile, cfg)
    fitted = profile.fitted if profile else None
    override = fitted.training_efficiency if fitted else None
    sequences = cfg.sequences_per_step
    search = dict(model=model, system=system, gpus=cfg.gpus, seq_len=cfg.seq_len, sequences=sequences,
                  precision=cfg.precision)  # fmt: skip
    if cfg.parallelism.auto:
        candidates = search_layouts(**search)
        best = best_layout(candidates)
        if best is None:
            if not candidates:
                raise ConfigError(
                    f"{path}.parallelism",
                    f"no valid layout for {cfg.gpus} GPUs and {sequences} sequences per step",
                )
            raise _memory_error(path, candidates[0].estimate, system, None)
        layout = best.layout
    else:
        layout = configured_layout(cfg)
        problems = layout_problems(model, layout, cfg.gpus, sequences)
        if problems:
            field, message = problems[0]
            raise ConfigError(f"{path}.parallelism.{field}", message)
    estimate = estimate_training(
        model, cluster.accelerator, gpus=cfg.gpus, seq_len=cfg.seq_len, global_batch_tokens=cfg.global_batch_tokens,
        precision=cfg.precision, efficiency=override, system=system, layout=layout,
    )  # fmt: skip
    if estimate.memory.total_bytes > system.accelerator.memory_bytes:
        best = best_layout(search_layouts(**search))
        raise _memory_error(path, estimate, system, best.layout if best else None)
    cap_w = cfg.gpu_power_limit_w if cfg.gpu_power_limit_w is not None else cluster.gpu_power_limit_w
    check_power_limit(f"{path}.gpu_power_limit_w", cap_w, cluster.slot_power.gpu)
    estimate = cap_estimate(estimate, cluster.slot_power.gpu, cap_w)
    return TrainingJobSpec(index=index, config=cfg, model=model, estimate=estimate)


def plan_layouts(
    index: int,
    cfg: TrainingWorkload,
    cluster: ClusterSpec,
    catalog: Catalog,
    profile: CalibrationProfile | None,
) -> list[Candidate]:
    """Every valid layout of workload `index`, fitting ones first, fastest first (`simcompute plan`)."""
    model = resolve_model(f"workloads[{index}].model", cfg.model, catalog)
    system = training_system(cluster, profile, cfg)
    return search_layouts(
        model,
        system,
        gpus=cfg.gpus,
        seq_len=cfg.seq_len,
        sequences=cfg.sequences_per_step,
        precision=cfg.precision,
    )
