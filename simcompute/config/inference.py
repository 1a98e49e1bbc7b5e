"""Inference workloads: a service of model replicas answering a stream of requests.

Arrivals and token lengths are discriminated unions on `kind`, so each kind has exactly its
own fields and a typo is an error naming the YAML path.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BeforeValidator, Field, model_validator

from simcompute.catalog import Engine, ModelSpec
from simcompute.catalog.precision import ActivationPrecision, KvCacheDtype, WeightPrecision
from simcompute.config.base import (
    MAX_DURATION_S,
    MAX_GPUS,
    MAX_RATE_PER_S,
    MAX_REQUEST_TOKENS,
    Count,
    Duration,
    Name,
    Strict,
    field_error,
)

MAX_REQUESTS = 1e12
"""Requests of one service (the work limit refuses far fewer; see `config.limits`)."""

EngineName = Literal["generic", "vllm", "vllm-v1", "sglang", "trt-llm", "tgi"]
ENGINE_DEFAULTS = ("max_batch_size", "max_batch_tokens", "chunked_prefill", "memory_utilization")
"""Workload fields whose default is the engine's (catalog engines.yaml) unless set."""


# ---- arrivals -----------------------------------------------------------------------------
class PoissonArrivals(Strict):
    """Independent arrivals at a constant mean rate (exponential inter-arrival times)."""

    kind: Literal["poisson"]
    rate_per_s: float = Field(gt=0, le=MAX_RATE_PER_S)


class BurstyArrivals(Strict):
    """Gamma-distributed inter-arrival times: mean 1/rate, coefficient of variation `cv`.

    `cv = 1` is Poisson; `cv > 1` is burstier, `cv < 1` more regular.
    """

    kind: Literal["bursty"]
    rate_per_s: float = Field(gt=0, le=MAX_RATE_PER_S)
    cv: float = Field(ge=0.01, le=100)


class DiurnalArrivals(Strict):
    """A Poisson process whose rate follows a 24 h profile, repeated every day.

    Either a sinusoid (`mean_rate_per_s`, `peak_to_trough`, `peak_hour`) or a table of 24
    hourly rates (`hourly_rate_per_s`, hour 0 first).
    """

    kind: Literal["diurnal"]
    mean_rate_per_s: float | None = Field(default=None, gt=0, le=MAX_RATE_PER_S)
    peak_to_trough: float = Field(default=3.0, ge=1, le=1e6)
    peak_hour: float = Field(default=14.0, ge=0, lt=24)
    hourly_rate_per_s: list[Annotated[float, Field(ge=0, le=MAX_RATE_PER_S)]] | None = None

    @model_validator(mode="after")
    def _one_profile(self) -> DiurnalArrivals:
        if (self.mean_rate_per_s is None) == (self.hourly_rate_per_s is None):
            raise field_error(
                "mean_rate_per_s", "give either mean_rate_per_s or hourly_rate_per_s (not both)"
            )
        table = self.hourly_rate_per_s
        if table is not None:
            if len(table) != 24:
                raise field_error("hourly_rate_per_s", f"needs 24 values (one per hour), got {len(table)}")
            if max(table) <= 0:
                raise field_error("hourly_rate_per_s", "rates must not be all zero")
        return self


class TraceArrivals(Strict):
    """Replay of a CSV or Parquet file with columns `arrival_s, prompt_tokens, output_tokens`."""

    kind: Literal["trace"]
    path: str = Field(min_length=1, max_length=4096)


class MaxThroughputArrivals(Strict):
    """Every request arrives at t = 0, as offline max-throughput benchmarks send them
    (trtllm-bench throughput, vLLM benchmark_throughput); needs `requests`."""

    kind: Literal["max_throughput"]


Arrivals = Annotated[
    Union[PoissonArrivals, BurstyArrivals, DiurnalArrivals, TraceArrivals, MaxThroughputArrivals],
    Field(discriminator="kind"),
]
ARRIVAL_KINDS = ("poisson", "bursty", "diurnal", "trace", "max_throughput")


# ---- token lengths ------------------------------------------------------------------------
class FixedLength(Strict):
    kind: Literal["fixed"]
    value: int = Field(gt=0, le=MAX_REQUEST_TOKENS)


class UniformLength(Strict):
    """Integers uniformly in [low, high]."""

    kind: Literal["uniform"]
    low: int = Field(gt=0, le=MAX_REQUEST_TOKENS)
    high: int = Field(gt=0, le=MAX_REQUEST_TOKENS)

    @model_validator(mode="after")
    def _ordered(self) -> UniformLength:
        if self.high < self.low:
            raise field_error("high", f"{self.high} is below low = {self.low}")
        return self


class LognormalLength(Strict):
    """Log-normal lengths with the given `mean` (tokens) and `sigma` (of the log)."""

    kind: Literal["lognormal"]
    mean: float = Field(gt=0, le=MAX_REQUEST_TOKENS)
    sigma: float = Field(ge=0, le=5, description="above 5 the tail holds absurd lengths")


class EmpiricalLength(Strict):
    """Lengths drawn (with replacement) from a column of a CSV/Parquet file."""

    kind: Literal["empirical"]
    path: str = Field(min_length=1, max_length=4096)
    column: str | None = Field(
        default=None, max_length=200, description="column name; the first column if omitted"
    )


def _int_is_fixed(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return {"kind": "fixed", "value": value}
    return value


Length = Annotated[
    Union[FixedLength, UniformLength, LognormalLength, EmpiricalLength],
    Field(discriminator="kind"),
    BeforeValidator(_int_is_fixed),
]
LENGTH_KINDS = ("fixed", "uniform", "lognormal", "empirical")


# ---- the workload -------------------------------------------------------------------------
DEFAULT_PROMPT_TOKENS = 512
DEFAULT_OUTPUT_TOKENS = 256
"""Token lengths of a workload that gives none (and no trace)."""


class InferenceWorkload(Strict):
    """An inference service: `replicas` copies of a model, each on `gpus_per_replica` GPUs.

    The service is submitted at `submit_at` and starts when its GPUs are free; requests
    arrive from its start for `duration` (or until `requests` have arrived) and it runs until
    the last one is answered (or the scenario horizon), holding its GPUs (a replica whose node
    fails claims new ones).
    """

    kind: Literal["inference"]
    name: Name
    model: str | ModelSpec
    replicas: int = Field(default=1, gt=0, le=MAX_GPUS)
    gpus_per_replica: int = Field(
        default=1, gt=0, le=1024, description="tensor-parallel degree inside a replica"
    )
    precision: WeightPrecision = Field(default="bf16", description="weight precision")
    activation_precision: ActivationPrecision = Field(
        default="auto", description="format the GEMMs compute in; auto: follows the weights (int4: 16-bit)"
    )
    kv_cache_dtype: KvCacheDtype = Field(
        default="auto", description="KV-cache format; auto: the engine's default for these weights"
    )
    engine: EngineName = Field(default="generic", description="serving engine (catalog engines.yaml)")
    submit_at: Duration = Field(default=0.0, ge=0, description="when the service asks for its GPUs")
    arrivals: Arrivals
    prompt_tokens: Length | None = Field(
        default=None, description=f"default: fixed {DEFAULT_PROMPT_TOKENS} (not with traces)"
    )
    output_tokens: Length | None = Field(
        default=None, description=f"default: fixed {DEFAULT_OUTPUT_TOKENS} (not with traces)"
    )
    duration: Duration | None = Field(
        default=None,
        gt=0,
        le=MAX_DURATION_S,
        description="arrivals stop this long after the start; the service holds its GPUs as long",
    )
    requests: Count | None = Field(
        default=None, ge=1, le=MAX_REQUESTS, description="arrivals stop after this many"
    )
    scheduler: Literal["continuous", "static"] = "continuous"
    chunked_prefill: bool = Field(default=False, description="unset: the engine's default")
    max_batch_size: int = Field(
        default=256, gt=0, le=1_000_000, description="running requests; unset: the engine's default"
    )
    max_batch_tokens: int = Field(
        default=8192,
        gt=0,
        le=1_000_000_000,
        description="token budget of one iteration; unset: the engine's default",
    )
    router: Literal["round_robin", "least_outstanding"] = "round_robin"
    memory_utilization: float = Field(
        default=0.9,
        gt=0,
        le=1,
        description="share of GPU memory the server uses; unset: the engine's default",
    )
    kv_cache_tokens: int | None = Field(
        default=None, gt=0, le=1e12, description="override of the KV-cache capacity per replica, tokens"
    )
    mode: Literal["closed_form", "reference"] = Field(
        default="closed_form", description="reference: simulate every decode iteration (slow; for checks)"
    )

    @model_validator(mode="after")
    def _check(self) -> InferenceWorkload:
        trace = self.arrivals.kind == "trace"
        if trace:
            for key in ("prompt_tokens", "output_tokens"):
                if getattr(self, key) is not None:
                    raise field_error(key, "a trace carries its own token counts; remove this field")
        elif self.arrivals.kind == "max_throughput":
            if self.requests is None:
                raise field_error(
                    "requests", "max_throughput arrivals send `requests` requests at t = 0; give it"
                )
            if self.duration is not None:
                raise field_error("duration", "max_throughput arrivals all come at t = 0; remove duration")
        elif self.duration is None and self.requests is None:
            raise field_error("duration", "give duration or requests (when arrivals stop)")
        if self.activation_precision == "fp4" and self.precision != "fp4":
            raise field_error(
                "activation_precision", f"fp4 activations need fp4 weights (precision: {self.precision})"
            )
        if self.chunked_prefill and self.scheduler == "static":
            raise field_error("chunked_prefill", "chunked prefill needs scheduler: continuous")
        return self

    @property
    def gpus(self) -> int:
        return self.replicas * self.gpus_per_replica

    def with_engine_defaults(self, engine: Engine) -> InferenceWorkload:
        """This workload with `engine`'s defaults for the `ENGINE_DEFAULTS` fields the scenario
        does not set (static batching keeps chunked prefill off)."""
        unset = [k for k in ENGINE_DEFAULTS if k not in self.model_fields_set]
        if self.scheduler == "static" and "chunked_prefill" in unset:
            unset.remove("chunked_prefill")
        return self.model_copy(update={k: getattr(engine, k) for k in unset})
