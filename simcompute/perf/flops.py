"""FLOP counts of transformer training and inference (DESIGN.md section 4)."""

from __future__ import annotations

from simcompute.catalog import ModelSpec


def matmul_params(model: ModelSpec) -> float:
    """Weights that take part in a matrix multiply per token (active experts only).

    Non-embedding parameters plus the output projection (LM head): the input embedding is a
    lookup and costs no FLOPs, the head is a `hidden x vocab` GEMM for every token.
    """
    return model.active_params - model.vocab * model.hidden * (0 if model.tied_embeddings else 1)


def attention_flops_per_token(model: ModelSpec, seq_len: int) -> float:
    """Forward+backward attention-score FLOPs per token: `12 * L * H * Q * T` (PaLM app. B)."""
    return 12.0 * model.layers * model.heads * model.head_dim * seq_len


def training_flops_per_token(model: ModelSpec, seq_len: int) -> float:
    """Model FLOPs per trained token: `6 N + 12 L H Q T` (PaLM, Chowdhery et al. 2022, app. B).

    These are *model* FLOPs: activation recomputation is hardware work on top and does not
    count towards MFU.
    """
    return 6.0 * matmul_params(model) + attention_flops_per_token(model, seq_len)


def inference_flops_per_token(model: ModelSpec, context_len: int) -> float:
    """Forward FLOPs for one token that attends to `context_len` earlier tokens.

    `2 N` for the weights plus `4 * L * H * Q * context` for the score and value products.
    """
    return 2.0 * matmul_params(model) + 4.0 * model.layers * model.heads * model.head_dim * context_len
