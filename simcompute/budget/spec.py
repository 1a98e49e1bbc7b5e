"""The budget spec: limits, candidate hardware, a site, lifetime demand, data and a scaling law.

Loaded like a scenario: YAML with the safe loader, validated with pydantic, every problem one
`ConfigError` naming the file and the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from simcompute.config.base import Count, Duration, Strict, field_error
from simcompute.config.loader import format_validation_error
from simcompute.config.site import SiteConfig
from simcompute.config.training import Precision
from simcompute.errors import ConfigError


class Limits(Strict):
    """Budget limits; every one given binds. `flops`: a pure compute budget (6 N D)."""

    gpu_hours: float | None = Field(default=None, gt=0)
    cost_usd: float | None = Field(default=None, gt=0)
    energy_mwh: float | None = Field(default=None, gt=0, description="facility energy")
    co2_t: float | None = Field(default=None, gt=0, description="operational CO2 (tonnes)")
    deadline: Duration | None = Field(default=None, gt=0, description="training wall time")
    flops: Count | None = Field(default=None, gt=0, description="training FLOPs (6 N D)")

    @model_validator(mode="after")
    def _some_limit(self) -> Limits:
        if all(v is None for v in self.model_dump().values()):
            raise ValueError("give at least one of gpu_hours, cost_usd, energy_mwh, co2_t, deadline, flops")
        return self


class FixedCluster(Strict):
    """One given cluster: a catalog node type and how many."""

    node: str = Field(description="catalog node id, e.g. 'dgx-h100'")
    nodes: int = Field(gt=0)


class Hardware(Strict):
    """Candidate GPU types (catalog accelerator ids) and cluster sizes (GPUs), or one `cluster`;
    the same GPU types (or the cluster's) serve."""

    gpus: list[str] | None = Field(default=None, min_length=1, description="e.g. [a100-80gb, h100-sxm]")
    cluster_sizes: list[int] = Field(default=[64, 256, 1024], min_length=1)
    cluster: FixedCluster | None = None
    fabric: str = Field(default="ib-ndr-400", description="catalog fabric between nodes")
    gpu_hour_usd: dict[str, float] | None = Field(
        default=None, description="price per GPU-hour by GPU type (default: the catalog's list price)"
    )

    @model_validator(mode="after")
    def _check(self) -> Hardware:
        if (self.gpus is None) == (self.cluster is None):
            raise ValueError("give either gpus (with cluster_sizes) or one cluster, not both")
        for i, n in enumerate(self.cluster_sizes):
            if n <= 0:
                raise field_error(f"cluster_sizes[{i}]", f"must be > 0 (got {n})")
        return self


class Demand(Strict):
    """Lifetime inference demand: tokens or queries per day, for `days`, under a latency objective."""

    tokens_per_day: Count | None = Field(default=None, ge=0, description="output tokens per day")
    queries_per_day: Count | None = Field(default=None, ge=0)
    days: float = Field(default=365.0, gt=0)
    prompt_tokens: int = Field(default=800, gt=0)
    output_tokens: int = Field(default=200, gt=0)
    tpot: Duration = Field(default=0.05, gt=0, description="time per output token objective")
    precision: Literal["bf16", "fp16", "fp8", "int8"] = "bf16"

    @model_validator(mode="after")
    def _one_rate(self) -> Demand:
        if (self.tokens_per_day is None) == (self.queries_per_day is None):
            raise ValueError("give exactly one of tokens_per_day, queries_per_day")
        return self

    @property
    def queries_total(self) -> float:
        per_day = (
            self.queries_per_day
            if self.queries_per_day is not None
            else self.tokens_per_day / self.output_tokens
        )
        return per_day * self.days


class Law(Strict):
    """User coefficients of L(N, D) = E + A/N^alpha + B/D^beta."""

    E: float = Field(ge=0)
    A: float = Field(gt=0)
    B: float = Field(gt=0)
    alpha: float = Field(gt=0, lt=2)
    beta: float = Field(gt=0, lt=2)
    source: str = "user"


class Training(Strict):
    """How every candidate trains."""

    seq_len: int = Field(default=4096, gt=0)
    global_batch_tokens: Count = Field(default=4_194_304, gt=0)
    precision: Precision = "bf16"
    stack: str = "megatron-core"


class Candidates(Strict):
    """Model sizes to compare: `count` log-spaced parameter counts from `min_params` to `max_params`."""

    min_params: Count = Field(default=1e8, gt=0)
    max_params: Count = Field(default=1e11, gt=0)
    count: int = Field(default=16, ge=2, le=200)

    @model_validator(mode="after")
    def _ordered(self) -> Candidates:
        if self.max_params <= self.min_params:
            raise field_error("max_params", "must be above min_params")
        return self


class BudgetSpec(Strict):
    """A budget question."""

    name: str = Field(min_length=1)
    budget: Limits
    hardware: Hardware
    site: SiteConfig
    inference: Demand | None = None
    unique_tokens: Count | None = Field(default=None, gt=0, description="cap on unique training tokens")
    scaling_law: str | Law = "besiroglu2024"
    training: Training = Training()
    candidates: Candidates = Candidates()
    seed: int = 17

    @model_validator(mode="after")
    def _known_law(self) -> BudgetSpec:
        from simcompute.budget.scaling import LAW_NAMES

        if isinstance(self.scaling_law, str) and self.scaling_law not in LAW_NAMES:
            raise field_error(
                "scaling_law", f"unknown '{self.scaling_law}'; use {', '.join(LAW_NAMES)} or coefficients"
            )
        return self


def load_budget(source: str | Path | Mapping[str, Any] | BudgetSpec) -> BudgetSpec:
    """A validated `BudgetSpec` from a YAML path, a mapping, or an existing spec."""
    if isinstance(source, BudgetSpec):
        return source
    where = None
    if not isinstance(source, Mapping):
        where = str(source)
        try:
            text = Path(source).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError("", f"budget file not found: {source}") from None
        try:
            source = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f"line {mark.line + 1}: " if mark else ""
            raise ConfigError(
                "", f"not valid YAML: {line}{getattr(exc, 'problem', None) or exc}", where
            ) from None
    if not isinstance(source, Mapping):
        raise ConfigError("", "a budget spec must be a mapping of keys", where)
    try:
        return BudgetSpec.model_validate(dict(source))
    except ValidationError as exc:
        err = format_validation_error(exc, where)
        path = "budget spec" if err.path == "scenario" else err.path  # a top-level key
        raise ConfigError(path, err.message, where) from None
