"""Training workloads: a job that processes a number of tokens on a fixed set of GPUs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simcompute.catalog import ModelSpec
from simcompute.config.base import Count, Duration, Strict, field_error

Precision = Literal["fp32", "tf32", "fp16", "bf16", "fp8", "int8", "fp4"]


class Parallelism(Strict):
    """Parallel layout of a training job; `dp` is derived as gpus / (tp * pp) when omitted."""

    tp: int = Field(default=1, gt=0)
    pp: int = Field(default=1, gt=0)
    dp: int | None = Field(default=None, gt=0)


class TrainingWorkload(Strict):
    """A training job: runs until `tokens` have been processed (or the horizon ends)."""

    kind: Literal["training"]
    name: str = Field(min_length=1)
    model: str | ModelSpec
    tokens: Count = Field(gt=0)
    gpus: int = Field(gt=0)
    global_batch_tokens: Count = Field(gt=0)
    seq_len: int = Field(default=2048, gt=0)
    precision: Precision = "bf16"
    parallelism: Parallelism = Parallelism()
    checkpoint_every: Duration | None = Field(default=None, gt=0)
    submit_at: Duration = 0.0
    priority: int = Field(default=0, description="higher runs first under scheduling.policy: priority")

    @model_validator(mode="after")
    def _check_layout(self) -> TrainingWorkload:
        p = self.parallelism
        if p.dp is None:
            if self.gpus % (p.tp * p.pp):
                raise field_error("parallelism", f"tp*pp = {p.tp * p.pp} does not divide gpus = {self.gpus}")
        elif p.tp * p.pp * p.dp != self.gpus:
            raise field_error("parallelism", f"tp*pp*dp = {p.tp * p.pp * p.dp} but gpus = {self.gpus}")
        if self.global_batch_tokens < self.seq_len:
            raise field_error(
                "global_batch_tokens",
                f"{self.global_batch_tokens:g} is smaller than one sequence (seq_len = {self.seq_len})",
            )
        return self

    @property
    def dp(self) -> int:
        p = self.parallelism
        return p.dp if p.dp is not None else self.gpus // (p.tp * p.pp)
