"""The matrix multiplies of a transformer layer, per GPU, for a given tensor-parallel degree.

Shapes follow Megatron-LM's tensor parallelism (Shoeybi et al. 2019): QKV and MLP-up are
split by columns, attention-output and MLP-down by rows, so each GPU multiplies
`tokens x hidden` by a `hidden x (out / tp)` slice (or the transposed split).

Multi-head latent attention (MLA) splits its per-head up-projections (query up, KV up) by
columns and its output projection by rows; the two down-projections into the query and KV
latents are small and every tensor-parallel rank computes them whole, as the reference
implementation does (deepseek-ai/DeepSeek-V3 `inference/model.py`: `wq_a` and `wkv_a` are
plain `Linear`, `wq_b`/`wkv_b` `ColumnParallelLinear`, `wo` `RowParallelLinear`).
"""

from __future__ import annotations

from dataclasses import dataclass

from simcompute.catalog import LayerKind, ModelSpec


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


def attention_gemms(model: ModelSpec, tokens: int, tp: int = 1) -> tuple[Gemm, ...]:
    """Forward weight GEMMs of one layer's attention block for `tokens` tokens."""
    h = model.hidden
    if not model.mla:
        kv = model.kv_heads_eff * model.head_dim
        return (Gemm("qkv", tokens, (h + 2 * kv) // tp, h), Gemm("attn_out", tokens, h, h // tp))
    a, q_lora, kv_lora = model.heads, model.q_lora_rank, model.kv_lora_rank
    q_out = a * model.score_head_dim // tp
    if q_lora is None:
        query: tuple[Gemm, ...] = (Gemm("q", tokens, q_out, h),)
    else:
        query = (Gemm("q_down", tokens, q_lora, h), Gemm("q_up", tokens, q_out, q_lora))
    kv_up = a * (model.qk_nope_head_dim + model.value_head_dim) // tp
    return (
        *query,
        Gemm("kv_down", tokens, kv_lora + model.qk_rope_head_dim, h),
        Gemm("kv_up", tokens, kv_up, kv_lora),
        Gemm("attn_out", tokens, h, a * model.value_head_dim // tp),
    )


def layer_gemms(
    model: ModelSpec, tokens: int, tp: int = 1, kind: LayerKind | None = None
) -> tuple[Gemm, ...]:
    """Forward GEMMs of one transformer layer for `tokens` tokens (micro-batch x sequence).

    Backward costs two GEMMs of the same size per forward GEMM (input and weight gradients).
    Attention score/value products are not weight GEMMs and are not listed here. `kind` is
    the layer's FFN (`model.layer_kinds`); by default the model's main layers (MoE when it
    has experts). In an MoE layer the `mlp_*` GEMMs are the routed experts', per routed token
    (`experts_per_token` of them, each `expert_ffn_hidden` wide), and the shared experts run
    on every token as one FFN `shared_experts x expert_ffn_hidden` wide (`shared_*`).
    """
    if kind is None:
        kind = "moe" if model.experts > 1 else "dense"
    elif kind == "moe" and model.experts == 1:
        raise ValueError(f"{model.name} is dense: it has no MoE layers")
    h = model.hidden
    attention = attention_gemms(model, tokens, tp)
    if kind == "dense":
        ffn, count = model.ffn_hidden_eff, 1
    else:
        ffn, count = model.expert_ffn_hidden_eff, model.experts_per_token
    up = 2 * ffn if model.gated_ffn else ffn
    mlp = (Gemm("mlp_up", tokens, up // tp, h, count), Gemm("mlp_down", tokens, h, ffn // tp, count))
    if kind == "dense" or not model.shared_experts:
        return (*attention, *mlp)
    shared = model.shared_experts * model.expert_ffn_hidden_eff
    shared_up = 2 * shared if model.gated_ffn else shared
    return (
        *attention,
        *mlp,
        Gemm("shared_up", tokens, shared_up // tp, h),
        Gemm("shared_down", tokens, h, shared // tp),
    )


def mtp_projection_gemm(model: ModelSpec, tokens: int, tp: int = 1) -> Gemm:
    """An MTP module's projection of [normed hidden state; normed next embedding] (2h -> h)."""
    return Gemm("mtp_proj", tokens, model.hidden // tp, 2 * model.hidden)


def head_gemm(model: ModelSpec, tokens: int, tp: int = 1) -> Gemm:
    """The LM head (hidden -> vocab), split by columns across the tensor-parallel group."""
    return Gemm("lm_head", tokens, model.vocab // tp, model.hidden)
