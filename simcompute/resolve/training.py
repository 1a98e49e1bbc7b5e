"""Resolve a training workload: its model and its performance estimate."""

from __future__ import annotations

from dataclasses import dataclass

from simcompute.catalog import Catalog, CatalogError, ModelSpec
from simcompute.config import TrainingWorkload
from simcompute.errors import ConfigError
from simcompute.perf import TrainingEstimate, estimate_training
from simcompute.power.gpu import cap_estimate
from simcompute.profile import CalibrationProfile
from simcompute.resolve.cluster import ClusterSpec, check_power_limit
from simcompute.resolve.common import resolve_model


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
    fitted = profile.fitted if profile else None
    efficiency = cluster.generation.training_efficiency
    if fitted and fitted.training_efficiency is not None:
        efficiency = fitted.training_efficiency
    activity = cluster.generation.training_activity
    if fitted and fitted.compute_activity is not None:
        activity = fitted.compute_activity
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
    cap_w = cfg.gpu_power_limit_w if cfg.gpu_power_limit_w is not None else cluster.gpu_power_limit_w
    check_power_limit(f"{path}.gpu_power_limit_w", cap_w, cluster.slot_power.gpu)
    estimate = cap_estimate(estimate, cluster.slot_power.gpu, cap_w)
    return TrainingJobSpec(index=index, config=cfg, model=model, estimate=estimate)
