"""Serving engines: per-iteration CPU overhead, defaults and kernel efficiencies (engines.yaml).

An engine record holds what differs measurably between serving engines on the same GPU:
the CPU time per iteration the engine leaves exposed (fixed, per running sequence and per extra
tensor-parallel worker), the
defaults a user gets (batch and token limits, memory share, chunked prefill, KV block size,
the KV-cache dtype `auto` picks for quantised weights, whether admission reserves KV for the whole
answer, whether the memory share is of all memory or of what weights and activations leave, and
whether static batches draw on that KV pool or on one contiguous KV tensor preallocated for the
whole batch), the largest decode batch captured in a CUDA graph, and the bandwidth efficiency of
its decode kernels.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .hardware import _Record

KvDtype = Literal["bf16", "fp16", "fp8", "int8"]


class Engine(_Record):
    name: str
    chunked_prefill: bool
    kv_cache_dtype_quantized: KvDtype
    reserve_full_output: bool
    memory_share_of: Literal["total", "free"]
    static_kv_cache: Literal["pool", "contiguous"]
    step_overhead_s: float = Field(ge=0)
    seq_overhead_s: float = Field(ge=0)
    tp_step_overhead_s: float = Field(ge=0)
    max_batch_size: int = Field(gt=0)
    max_batch_tokens: int = Field(gt=0)
    kv_block_tokens: int = Field(gt=0)
    memory_utilization: float = Field(gt=0, le=1)
    cuda_graph_max_batch: int = Field(gt=0)
    decode_attention_bandwidth_efficiency: float = Field(gt=0, le=1)
    weight_read_bandwidth_efficiency: float = Field(gt=0, le=1)
