"""The matrix multiplies of a transformer layer, per GPU, for a given tensor-parallel degree.

Shapes follow Megatron-LM's tensor parallelism (Shoeybi et al. 2019): QKV and MLP-up are
split by columns, attention-output and MLP-down by rows, so each GPU multiplies
`tokens x hidden` by a `hidden x (out / tp)` slice (or the transposed split).
"""

from __future__ import annotations

from dataclasses import dataclass

from simcompute.catalog import ModelSpec


@dataclass(frozen=True)
class Gemm:
    """`count` multiplies of (m x k) @ (k x n) on one GPU, in the forward pass."""

    name: str
    m: int
    n: int
    k: int
    count: int = 1

    @property
    def flops(self) -> float:
        """FLOPs of one of these multiplies (2 m n k)."""
        return 2.0 * self.m * self.n * self.k

    @property
    def total_flops(self) -> float:
        return self.flops * self.count


def layer_gemms(model: ModelSpec, tokens: int, tp: int = 1) -> tuple[Gemm, ...]:
    """Forward GEMMs of one transformer layer for `tokens` tokens (micro-batch x sequence).

    Backward costs two GEMMs of the same size per forward GEMM (input and weight gradients).
    Attention score/value products are not weight GEMMs and are not listed here. For MoE
    models the MLP GEMMs are per routed token (`experts_per_token` of them).
    """
    h, kv = model.hidden, model.kv_heads_eff * model.head_dim
    ffn = model.ffn_hidden_eff
    up = 2 * ffn if model.gated_ffn else ffn
    return (
        Gemm("qkv", tokens, (h + 2 * kv) // tp, h),
        Gemm("attn_out", tokens, h, h // tp),
        Gemm("mlp_up", tokens, up // tp, h, model.experts_per_token),
        Gemm("mlp_down", tokens, h, ffn // tp, model.experts_per_token),
    )


def head_gemm(model: ModelSpec, tokens: int, tp: int = 1) -> Gemm:
    """The LM head (hidden -> vocab), split by columns across the tensor-parallel group."""
    return Gemm("lm_head", tokens, model.vocab // tp, model.hidden)
