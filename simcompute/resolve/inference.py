"""Resolve an inference workload: its model, replica performance and request stream size checks."""

from __future__ import annotations

from dataclasses import dataclass

from simcompute.catalog import Catalog, CatalogError, Engine, ModelSpec
from simcompute.catalog.precision import compute_precision, kv_cache_dtype
from simcompute.config import InferenceWorkload
from simcompute.errors import ConfigError
from simcompute.perf.inference import ReplicaPerf, estimate_replica
from simcompute.resolve.cluster import ClusterSpec
from simcompute.resolve.common import resolve_model


@dataclass(frozen=True)
class InferenceServiceSpec:
    """An inference workload with its model, engine and per-replica performance; `config`
    carries the engine's defaults for the fields the scenario leaves unset."""

    index: int
    config: InferenceWorkload
    model: ModelSpec
    engine: Engine
    perf: ReplicaPerf

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def path(self) -> str:
        return f"workloads[{self.index}]"

    @property
    def kv_capacity_tokens(self) -> int:
        """KV-cache tokens per replica (the scenario's override, else from memory)."""
        override = self.config.kv_cache_tokens
        return override if override is not None else self.perf.kv_capacity_tokens


def resolve_inference(
    index: int,
    cfg: InferenceWorkload,
    cluster: ClusterSpec,
    catalog: Catalog,
) -> InferenceServiceSpec:
    path = f"workloads[{index}]"
    model = resolve_model(f"{path}.model", cfg.model, catalog)
    engine = catalog.engine(cfg.engine)
    cfg = cfg.with_engine_defaults(engine)
    gpn = cluster.node.gpus_per_node
    if cfg.gpus_per_replica > gpn:
        raise ConfigError(
            f"{path}.gpus_per_replica",
            f"{cfg.gpus_per_replica} exceeds the {gpn} GPUs of one {cluster.node.id} node "
            "(tensor parallelism stays inside a node)",
        )
    if cfg.gpus > cluster.total_gpus:
        raise ConfigError(
            f"{path}.replicas",
            f"{cfg.replicas} replicas x {cfg.gpus_per_replica} GPUs = {cfg.gpus} GPUs but the cluster has "
            f"{cluster.total_gpus}",
        )
    try:
        compute = compute_precision(cfg.precision, cfg.activation_precision, cluster.accelerator)
    except CatalogError as exc:
        field = "precision" if cfg.activation_precision == "auto" else "activation_precision"
        raise ConfigError(f"{path}.{field}", str(exc)) from None
    try:
        perf = estimate_replica(
            model,
            cluster.gpu,
            cluster.node,
            engine,
            tp=cfg.gpus_per_replica,
            precision=cfg.precision,
            compute_precision=compute,
            kv_cache_dtype=kv_cache_dtype(cfg.kv_cache_dtype, cfg.precision, engine.kv_cache_dtype_quantized),
            max_batch_size=cfg.max_batch_size,
            max_batch_tokens=cfg.max_batch_tokens,
            memory_utilization=cfg.memory_utilization,
        )
    except ValueError as exc:
        raise ConfigError(f"{path}.gpus_per_replica", f"the model does not fit: {exc}") from None
    return InferenceServiceSpec(index=index, config=cfg, model=model, engine=engine, perf=perf)
