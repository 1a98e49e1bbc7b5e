"""The `scheduling:` section: queue policy, placement, checkpoint storage and a job trace."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from simcompute.config.base import (
    MAX_BATCH_TOKENS,
    MAX_DURATION_S,
    MAX_SEQ_LEN_TOKENS,
    Count,
    Duration,
    Strict,
)

CHECKPOINT_BYTES_PER_PARAM = 14.0
"""bf16 weights (2 B) + fp32 master weights, Adam momentum and variance (4 + 4 + 4 B) per
parameter: mixed-precision Adam state, ZeRO (Rajbhandari et al. 2020, Sec. 3.1, K = 12)
https://arxiv.org/abs/1910.02054; gradients are not checkpointed."""


class JobTraceConfig(Strict):
    """A CSV/Parquet file of jobs (`submit_s, gpus, model|flops, tokens|duration_s, priority, name`)."""

    path: str = Field(min_length=1, max_length=4096)
    checkpoint_every: Duration | None = Field(
        default=None, gt=0, le=MAX_DURATION_S, description="for rows without one"
    )
    global_batch_tokens: Count = Field(
        default=4_194_304, gt=0, le=MAX_BATCH_TOKENS, description="for model+tokens rows"
    )
    seq_len: int = Field(default=2048, gt=0, le=MAX_SEQ_LEN_TOKENS, description="for model+tokens rows")


class SchedulingConfig(Strict):
    """How queued training jobs get GPUs, and how checkpoints are written."""

    policy: Literal["fifo", "priority", "easy"] = Field(
        default="fifo", description="fifo; priority (with preemption); easy (FIFO + EASY backfill)"
    )
    placement: Literal["gpu", "node"] = Field(
        default="gpu", description="gpu: any free GPUs (packed); node: whole nodes only"
    )
    backfill_depth: int = Field(
        default=100,
        gt=0,
        le=1_000_000,
        description="queued jobs examined per backfill pass (Slurm's bf_max_job_test)",
    )
    storage_bandwidth_gbps: float | None = Field(
        default=None,
        gt=0,
        le=1e6,
        description="checkpoint write bandwidth per job, GB/s; none: writes take no time",
    )
    checkpoint_async: bool = Field(
        default=False, description="training continues while a checkpoint is written"
    )
    checkpoint_bytes_per_param: float = Field(default=CHECKPOINT_BYTES_PER_PARAM, gt=0, le=1000)
    jobs: JobTraceConfig | None = None

    @field_validator("jobs", mode="before")
    @classmethod
    def _path_shorthand(cls, value: Any) -> Any:
        """`jobs: traces/x.csv` is short for `jobs: {path: traces/x.csv}`."""
        return {"path": value} if isinstance(value, str) else value
