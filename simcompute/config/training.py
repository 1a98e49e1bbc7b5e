"""Training workloads: a job that processes a number of tokens on a fixed set of GPUs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from simcompute.catalog import ModelSpec
from simcompute.config.base import (
    MAX_BATCH_TOKENS,
    MAX_DURATION_S,
    MAX_GPUS,
    MAX_PARALLEL_DEGREE,
    MAX_POWER_W,
    MAX_PRIORITY,
    MAX_SEQ_LEN_TOKENS,
    MAX_TOKENS,
    Count,
    Duration,
    Name,
    Strict,
    field_error,
)
from simcompute.errors import show

Precision = Literal["fp32", "tf32", "fp16", "bf16", "fp8", "int8", "fp4"]
Recompute = Literal["none", "selective", "full"]


class Parallelism(Strict):
    """Parallel layout of a training job (Megatron-LM / DeepSpeed vocabulary).

    `dp` is derived as gpus / (tp * pp) when omitted. `ep` (expert parallel, MoE only) is
    carved out of the data-parallel group and must divide `dp`. `zero` is the ZeRO stage
    (1 = optimizer states sharded over dp, 2 = + gradients, 3 = + weights, i.e. FSDP).
    `recompute: selective` (the default) recomputes only the attention core, as flash
    attention does; `none` stores the attention scores too, `full` keeps only each layer's
    input (Korthikanti et al. 2022). `virtual_pp` > 1 is Megatron's interleaved 1F1B schedule. `auto: true` (or writing
    `parallelism: auto`) lets the resolver search all valid layouts and take the fastest.
    """

    auto: bool = False
    tp: int = Field(default=1, gt=0, le=MAX_PARALLEL_DEGREE)
    pp: int = Field(default=1, gt=0, le=MAX_PARALLEL_DEGREE)
    dp: int | None = Field(default=None, gt=0, le=MAX_PARALLEL_DEGREE)
    zero: Literal[0, 1, 2, 3] = 1
    sequence_parallel: bool = False
    recompute: Recompute = "selective"
    microbatch_size: int = Field(default=1, gt=0, le=MAX_PARALLEL_DEGREE)
    virtual_pp: int = Field(default=1, gt=0, le=1000)
    ep: int = Field(default=1, gt=0, le=MAX_PARALLEL_DEGREE)
    dp_overlap_fraction: float | None = Field(default=None, ge=0, le=1)
    ep_overlap_fraction: float = Field(default=0.0, ge=0, le=1)

    @model_validator(mode="after")
    def _check_combinations(self) -> Parallelism:
        if self.sequence_parallel and self.tp == 1:
            raise field_error("sequence_parallel", "needs tp > 1 (it splits activations across the tp group)")
        if self.ep_overlap_fraction > 0 and self.ep == 1:
            raise field_error("ep_overlap_fraction", "needs ep > 1 (there is no expert all-to-all to hide)")
        if self.virtual_pp > 1 and self.pp == 1:
            raise field_error("virtual_pp", "interleaved stages need pp > 1")
        if self.zero >= 2 and self.pp > 1:
            # DeepSpeed documents ZeRO-2/3 as incompatible with its pipeline engine
            # (https://www.deepspeed.ai/tutorials/pipeline/); Megatron's distributed optimizer is ZeRO-1.
            raise field_error(
                "zero", f"ZeRO stage {self.zero} cannot be combined with pipeline parallelism (pp > 1)"
            )
        return self


class BatchRamp(Strict):
    """A linear batch-size ramp-up at the start of training (e.g. DeepSeek-V3: 3,072 to 15,360
    sequences over the first 469B tokens)."""

    tokens: Count = Field(gt=0, description="tokens over which the batch grows to global_batch_tokens")
    start_global_batch_tokens: Count = Field(gt=0, description="global batch at the start, in tokens")


def _fitting_dp(gpus: int, model_parallel: int, sequences: int) -> str:
    """`; e.g. tp*pp = N (dp = M)`: the smallest model-parallel size above the given one whose
    data-parallel degree divides the batch, or nothing if none does."""
    for mp in range(model_parallel + 1, gpus + 1):
        if gpus % mp == 0 and gpus // mp > 1 and sequences % (gpus // mp) == 0:
            return f"; e.g. tp*pp = {mp} (dp = {gpus // mp} divides {sequences} sequences)"
    return ""


class TrainingWorkload(Strict):
    """A training job: runs until `tokens` have been processed (or the horizon ends)."""

    kind: Literal["training"]
    name: Name
    model: str | ModelSpec
    tokens: Count = Field(ge=1, le=MAX_TOKENS)
    gpus: int = Field(gt=0, le=MAX_GPUS)
    global_batch_tokens: Count = Field(gt=0, le=MAX_BATCH_TOKENS)
    seq_len: int = Field(default=2048, gt=0, le=MAX_SEQ_LEN_TOKENS)
    precision: Precision = "bf16"
    parallelism: Parallelism = Parallelism()
    checkpoint_every: Duration | None = Field(default=None, gt=0, le=MAX_DURATION_S)
    submit_at: Duration = Field(default=0.0, le=MAX_DURATION_S)
    gpu_power_limit_w: float | None = Field(
        default=None, gt=0, le=MAX_POWER_W, description="per-job cap; overrides the cluster's"
    )
    attention: Literal["flash", "standard"] = Field(
        default="flash",
        description="attention kernel: fused flash attention, or standard (s x s scores in HBM)",
    )
    batch_ramp: BatchRamp | None = None
    stack: str = Field(
        default="unknown",
        min_length=1,
        description="software stack (megatron-core, nemo, deepspeed, pytorch-fsdp, llm-foundry, jax-maxtext, unknown)",
    )

    @model_validator(mode="before")
    @classmethod
    def _omitted_layout_is_searched(cls, data: Any) -> Any:
        """No `parallelism` given: the layout search (`auto`), as with `parallelism: auto`."""
        if isinstance(data, dict) and data.get("parallelism") is None:
            return {**data, "parallelism": {"auto": True}}
        return data

    @field_validator("parallelism", mode="before")
    @classmethod
    def _auto_shorthand(cls, v: Any) -> Any:
        if isinstance(v, str):
            if v.strip().lower() != "auto":
                raise ValueError(f"must be a mapping of tp, pp, dp, ... or 'auto' (got {show(v)})")
            return {"auto": True}
        return v

    priority: int = Field(
        default=0,
        ge=-MAX_PRIORITY,
        le=MAX_PRIORITY,
        description="higher runs first under scheduling.policy: priority",
    )

    @model_validator(mode="after")
    def _check_layout(self) -> TrainingWorkload:
        p = self.parallelism
        if self.global_batch_tokens < self.seq_len:
            raise field_error(
                "global_batch_tokens",
                f"{self.global_batch_tokens:g} is smaller than one sequence (seq_len = {self.seq_len})",
            )
        ramp = self.batch_ramp
        if ramp is not None and ramp.start_global_batch_tokens >= self.global_batch_tokens:
            raise field_error(
                "batch_ramp.start_global_batch_tokens",
                f"{ramp.start_global_batch_tokens:g} must be below global_batch_tokens ({self.global_batch_tokens:g})",
            )
        if ramp is not None and ramp.tokens > self.tokens:
            raise field_error(
                "batch_ramp.tokens", f"{ramp.tokens:g} is more than the run's tokens ({self.tokens:g})"
            )
        if p.auto:
            return self
        if p.dp is None:
            if self.gpus % (p.tp * p.pp):
                raise field_error("parallelism", f"tp*pp = {p.tp * p.pp} does not divide gpus = {self.gpus}")
        elif p.tp * p.pp * p.dp != self.gpus:
            raise field_error("parallelism.dp", f"tp*pp*dp = {p.tp * p.pp * p.dp} but gpus = {self.gpus}")
        dp = self.dp
        if dp % p.ep:
            raise field_error(
                "parallelism.ep", f"ep = {p.ep} does not divide dp = {dp} (experts are spread over dp)"
            )
        seqs = self.sequences_per_step
        if seqs % dp:
            below, above = max(dp, seqs // dp * dp), -(-seqs // dp) * dp
            options = " or ".join(f"{n * self.seq_len} ({n} sequences)" for n in sorted({below, above}))
            raise field_error(
                "parallelism.dp",
                f"dp = {dp} does not divide the global batch of {seqs} sequences; set "
                f"global_batch_tokens to {options}, or omit parallelism to let the layout search pick one"
                + _fitting_dp(self.gpus, p.tp * p.pp, seqs),
            )
        if (seqs // dp) % p.microbatch_size:
            raise field_error(
                "parallelism.microbatch_size",
                f"{p.microbatch_size} does not divide the {seqs // dp} sequences per data-parallel rank",
            )
        if p.virtual_pp > 1 and self.microbatches % p.pp:
            raise field_error(
                "parallelism.virtual_pp",
                f"the interleaved schedule needs the microbatch count ({self.microbatches}) to be a multiple of pp = {p.pp}",
            )
        return self

    @property
    def sequences_per_step(self) -> int:
        """Whole sequences in one global batch (at least one)."""
        return max(1, round(self.global_batch_tokens / self.seq_len))

    @property
    def dp(self) -> int:
        p = self.parallelism
        return p.dp if p.dp is not None else self.gpus // (p.tp * p.pp)

    @property
    def microbatches(self) -> int:
        """Microbatches per step on each pipeline (gradient-accumulation steps)."""
        return self.sequences_per_step // (self.dp * self.parallelism.microbatch_size)
