"""Resolve a training workload: its model, its parallel layout and its performance estimate."""

from __future__ import annotations

from dataclasses import dataclass, replace

from simcompute.catalog import Accelerator, Catalog, CatalogError, Fabric, Generation, ModelSpec, Node
from simcompute.config import Scenario, TrainingWorkload
from simcompute.errors import ConfigError
from simcompute.perf import TrainingEstimate, estimate_training
from simcompute.perf.gpu import SimulatedGpu
from simcompute.perf.layout import Layout, layout_problems
from simcompute.perf.search import Candidate, best_layout, search_layouts
from simcompute.perf.training import TrainingSystem
from simcompute.profile import CalibrationProfile
from simcompute.realism.wholerun import RunShape
from simcompute.resolve.cluster import ClusterSpec, simulated_gpu
from simcompute.resolve.common import resolve_model
from simcompute.resolve.wholerun import expected_training


@dataclass(frozen=True)
class TrainingJobSpec:
    """A training workload with its model, layout and performance estimates.

    `estimate` is the step the engine simulates: the expected step (the achievable step plus
    the stack's and the per-step operations' phases) unless the scenario asks for `realism:
    ideal`; `achievable` is the step model's own; `whole_run` the run's shape for the
    P10/P50/P90 of the whole-run layer (None for an ideal run).
    """

    index: int
    config: TrainingWorkload
    model: ModelSpec
    estimate: TrainingEstimate
    achievable: TrainingEstimate | None = None
    whole_run: RunShape | None = None

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def layout(self) -> Layout | None:
        return self.estimate.layout

    @property
    def n_steps(self) -> int:
        return -(-int(self.config.tokens) // self.estimate.tokens_per_step)


def training_system(cluster: ClusterSpec, cfg: TrainingWorkload, path: str) -> TrainingSystem:
    """The cluster's GPU under the workload's cap (its own `gpu_power_limit_w`, else the
    cluster's), its node and fabric, and the workload's own settings (attention kernel,
    communication overlap)."""
    p = cfg.parallelism
    gpu = cluster.gpu_for(f"{path}.gpu_power_limit_w", cfg.gpu_power_limit_w)
    system = gpu_system(cluster.node, gpu, cluster.fabric, p.dp_overlap_fraction)
    return replace(system, attention=cfg.attention, ep_overlap_fraction=p.ep_overlap_fraction)


def gpu_system(
    node: Node, gpu: SimulatedGpu, fabric: Fabric | None, dp_overlap_fraction: float | None = None
) -> TrainingSystem:
    """A `TrainingSystem` of the simulated GPU `gpu` in `node`, nodes joined by `fabric`."""
    return TrainingSystem(
        accelerator=gpu.accelerator,
        gpus_per_node=node.gpus_per_node,
        nvlink_bandwidth_gbps=node.nvlink_bandwidth_gbps,
        fabric_bandwidth_gbps=fabric.bandwidth_gbps if fabric else None,
        fabric_latency_us=fabric.latency_us if fabric else None,
        gemm_max_efficiency=gpu.gemm_max_efficiency,
        gemm_half_size_flops=gpu.gemm_half_size_flops,
        attention_efficiency=gpu.attention_efficiency,
        memory_efficiency=gpu.memory_efficiency,
        dp_overlap_fraction=gpu.dp_overlap_fraction if dp_overlap_fraction is None else dp_overlap_fraction,
        power=gpu.power,
        low_precision_gemm_ratio=gpu.low_precision_gemm_ratio,
    )


def hardware_system(
    node: Node,
    accelerator: Accelerator,
    generation: Generation,
    fabric: Fabric | None,
    profile: CalibrationProfile | None = None,
) -> TrainingSystem:
    """An uncapped `TrainingSystem` straight from catalog records (and a profile), for tools
    that have no scenario (validation, benchmarks)."""
    return gpu_system(node, simulated_gpu(accelerator, generation, profile), fabric)


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
        f"layout {est.layout.describe()} needs {mem.total_gib:.1f} GiB per GPU ({mem.describe()}) "
        f"but {acc.id} has {acc.memory_gib:g} GiB; {tail}",
    )


def resolve_training(
    index: int,
    cfg: TrainingWorkload,
    cluster: ClusterSpec,
    catalog: Catalog,
    scenario: Scenario | None = None,
) -> TrainingJobSpec:
    """Workload `index` resolved; with `scenario`, its expected run (its `realism`), else the
    achievable step alone."""
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
    system = training_system(cluster, cfg, path)
    override = cluster.gpu.measured_mfu
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
    if scenario is None:
        return TrainingJobSpec(index=index, config=cfg, model=model, estimate=estimate, achievable=estimate)
    expected, shape = expected_training(path, cfg, cluster, model, estimate, scenario)
    return TrainingJobSpec(index, cfg, model, expected, achievable=estimate, whole_run=shape)


def plan_layouts(
    index: int,
    cfg: TrainingWorkload,
    cluster: ClusterSpec,
    catalog: Catalog,
) -> list[Candidate]:
    """Every valid layout of workload `index`, fitting ones first, fastest first (`simcompute plan`)."""
    path = f"workloads[{index}]"
    model = resolve_model(f"{path}.model", cfg.model, catalog)
    system = training_system(cluster, cfg, path)
    return search_layouts(
        model,
        system,
        gpus=cfg.gpus,
        seq_len=cfg.seq_len,
        sequences=cfg.sequences_per_step,
        precision=cfg.precision,
    )
