"""The `failures:` section: hardware failure processes, repair, and restart of interrupted jobs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simcompute.config.base import MAX_DURATION_S, MAX_NODES, Duration, Strict, field_error

MIN_MTBF_H = 0.01
"""36 s: shorter is a typo (real GPUs: ~50,000 h); tests use minutes to force failures."""
MAX_MTBF_H = 1e9

DEFAULT_REPAIR_TIME_S = 24 * 3600.0
"""Estimate: a failed node is drained, diagnosed and repaired (or swapped) in about a day. No
published mean time to repair for GPU nodes was found; Kokolis et al. 2024 (Meta RSC clusters,
https://arxiv.org/abs/2410.21680) describe automated health checks removing nodes for repair.
Set `repair_time` for your site."""


class CorrelatedFailures(Strict):
    """A failure domain (rack, leaf switch, PDU) that takes all of its nodes down at once."""

    nodes: int = Field(gt=0, le=MAX_NODES, description="nodes per failure domain (consecutive node ids)")
    mtbf_h: float = Field(
        ge=MIN_MTBF_H, le=MAX_MTBF_H, description="mean time between failures of one domain, hours"
    )
    repair_time: Duration = Field(default=DEFAULT_REPAIR_TIME_S, gt=0, le=MAX_DURATION_S)


class FailuresConfig(Strict):
    """Random hardware failures: per-GPU and per-node processes, optional correlated domains.

    Any failure takes its whole node out until it is repaired (a GPU swap needs the server
    drained and powered down); every job with GPUs on that node stops and restarts from its
    last checkpoint once it gets healthy GPUs again.
    """

    gpu_mtbf_h: float | None = Field(
        default=None, ge=MIN_MTBF_H, le=MAX_MTBF_H, description="mean time between failures of one GPU"
    )
    node_mtbf_h: float | None = Field(
        default=None,
        ge=MIN_MTBF_H,
        le=MAX_MTBF_H,
        description="mean time between failures of one node's non-GPU parts",
    )
    distribution: Literal["exponential", "weibull"] = "exponential"
    weibull_shape: float = Field(
        default=1.0, ge=0.1, le=20, description="Weibull shape k (k < 1: infant mortality)"
    )
    repair_time: Duration = Field(
        default=DEFAULT_REPAIR_TIME_S, gt=0, le=MAX_DURATION_S, description="until a failed node returns"
    )
    restart_overhead: Duration = Field(
        default=600.0,
        le=MAX_DURATION_S,
        description="time from getting GPUs back until training resumes (assumption)",
    )
    failed_power: Literal["idle", "off"] = Field(
        default="idle", description="power of a node under repair: idle (drained, powered) or off"
    )
    correlated: CorrelatedFailures | None = None

    @model_validator(mode="after")
    def _some_process(self) -> FailuresConfig:
        if self.gpu_mtbf_h is None and self.node_mtbf_h is None and self.correlated is None:
            raise field_error("gpu_mtbf_h", "set at least one of gpu_mtbf_h, node_mtbf_h, correlated")
        if self.distribution == "exponential" and self.weibull_shape != 1.0:
            raise field_error("weibull_shape", "only used with distribution: weibull")
        return self
