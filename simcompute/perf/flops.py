"""FLOP counts of transformer training and inference (PaLM, Chowdhery et al. 2022, app. B)."""

from __future__ import annotations

from simcompute.catalog import ModelSpec


def matmul_params(model: ModelSpec) -> float:
    """Weights that take part in a matrix multiply per token (active experts only).

    Non-embedding parameters plus the output projection (LM head): the input embedding is a
    lookup and costs no FLOPs, the head is a `hidden x vocab` GEMM for every token.
    """
    return model.active_params - model.vocab * model.hidden * (0 if model.tied_embeddings else 1)


def attention_forward_flops(model: ModelSpec, context_len: float) -> float:
    """Forward score and value FLOPs of one token in one layer attending to `context_len` tokens.

    `2 H (Q_k + Q_v) context`: the score product runs over the query/key width and the value
    product over the value width, which differ with MLA (192 and 128 in DeepSeek-V3).
    """
    return 2.0 * model.heads * (model.score_head_dim + model.value_head_dim) * context_len


def attention_flops_per_token(model: ModelSpec, seq_len: int) -> float:
    """Forward+backward attention-score FLOPs per token: `12 * L * H * Q * T` (PaLM app. B),
    i.e. three times the forward pass (`attention_forward_flops`) in every layer."""
    return 3.0 * model.layers * attention_forward_flops(model, seq_len)


def training_flops_per_token(model: ModelSpec, seq_len: int) -> float:
    """Model FLOPs per trained token: `6 N + 12 L H Q T` (PaLM, Chowdhery et al. 2022, app. B).

    These are *model* FLOPs: activation recomputation is hardware work on top and does not
    count towards MFU.
    """
    return 6.0 * matmul_params(model) + attention_flops_per_token(model, seq_len)


def inference_flops_per_token(model: ModelSpec, context_len: int) -> float:
    """Forward FLOPs for one token that attends to `context_len` earlier tokens.

    `2 N` for the weights plus `4 * L * H * Q * context` for the score and value products
    (`2 L H (Q_k + Q_v) context`; MLA: per-head query/key and value widths). MLA decoders
    that absorb the KV up-projection into the query do more score FLOPs per context token
    (`Q_k, Q_v` become `kv_lora_rank + qk_rope_head_dim` and `kv_lora_rank`); not modelled.
    """
    return 2.0 * matmul_params(model) + model.layers * attention_forward_flops(model, context_len)
