"""Inference workloads: a service of model replicas answering a stream of requests."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from simcompute.catalog import ModelSpec
from simcompute.config.base import Duration, Strict
from simcompute.config.training import Precision


class InferenceWorkload(Strict):
    """An inference service (schema placeholder until the serving model lands)."""

    kind: Literal["inference"]
    name: str = Field(min_length=1)
    model: str | ModelSpec
    replicas: int = Field(default=1, gt=0)
    gpus_per_replica: int = Field(default=1, gt=0)
    precision: Precision = "bf16"
    arrivals: dict[str, Any] = Field(default_factory=dict)
    prompt_tokens: dict[str, Any] | int = 512
    output_tokens: dict[str, Any] | int = 256
    max_batch_size: int = Field(default=128, gt=0)
    duration: Duration | None = Field(default=None, gt=0)

    @property
    def gpus(self) -> int:
        return self.replicas * self.gpus_per_replica
