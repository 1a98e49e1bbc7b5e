"""Resolve an inference workload: its model, replica performance and request stream size checks."""

from __future__ import annotations

from dataclasses import dataclass

from simcompute.catalog import Catalog, CatalogError, Engine, ModelSpec
from simcompute.catalog.precision import compute_precision, kv_cache_dtype
from simcompute.config import InferenceWorkload
from simcompute.config.inference import DEFAULT_OUTPUT_TOKENS, DEFAULT_PROMPT_TOKENS, Length
from simcompute.errors import ConfigError
from simcompute.perf.inference import ReplicaPerf, SessionTooLarge, estimate_replica
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
    preallocated = None
    if cfg.scheduler == "static" and engine.static_kv_cache == "contiguous":
        preallocated = _longest_sequence(path, cfg)
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
            preallocated_seq_len=preallocated,
        )
    except SessionTooLarge as exc:
        raise ConfigError(f"{path}.max_batch_size", str(exc)) from None
    except ValueError as exc:
        raise ConfigError(f"{path}.gpus_per_replica", f"the model does not fit: {exc}") from None
    return InferenceServiceSpec(index=index, config=cfg, model=model, engine=engine, perf=perf)


def _longest(length: Length | None, default: int) -> int | None:
    """The longest length a workload's distribution can draw (None: unbounded or from a file)."""
    if length is None:
        return default
    if length.kind == "fixed":
        return length.value
    if length.kind == "uniform":
        return length.high
    return None


def _longest_sequence(path: str, cfg: InferenceWorkload) -> int:
    """Prompt + output tokens of the longest request: the max sequence length a static session
    with a contiguous KV cache (TensorRT-LLM GptSession) is set up for."""
    if cfg.arrivals.kind == "trace":
        field, prompt, output = "arrivals", None, None
    else:
        prompt = _longest(cfg.prompt_tokens, DEFAULT_PROMPT_TOKENS)
        output = _longest(cfg.output_tokens, DEFAULT_OUTPUT_TOKENS)
        field = "prompt_tokens" if prompt is None else "output_tokens"
    if prompt is None or output is None:
        raise ConfigError(
            f"{path}.{field}",
            f"a static {cfg.engine} session preallocates KV for the longest prompt + output: "
            "give fixed or uniform lengths",
        )
    return prompt + output
