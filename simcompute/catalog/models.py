"""Decoder-only transformer architecture spec, used for presets and for inline scenario models."""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field, model_validator


def llama_ffn_hidden(hidden: int, multiple_of: int = 256) -> int:
    """LLaMA's SwiGLU width rule: int(2/3 * 4 * hidden), rounded up to a multiple of 256."""
    raw = int(2 * 4 * hidden / 3)
    return multiple_of * math.ceil(raw / multiple_of)


class ModelSpec(BaseModel):
    """Architecture of a decoder-only transformer.

    Counting convention (per layer): attention q and o are hidden x hidden, k and v are
    hidden x (kv_heads * head_dim); the MLP is 2 * hidden * ffn (3 * for gated/SwiGLU), times
    `experts`; plus two norm vectors. Biases and positional tables are ignored (<0.5%).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "custom"
    layers: int = Field(gt=0)
    hidden: int = Field(gt=0)
    heads: int = Field(gt=0)
    kv_heads: int | None = Field(default=None, gt=0)
    vocab: int = Field(gt=0)
    ffn_hidden: int | None = Field(default=None, gt=0)
    gated_ffn: bool = False
    max_seq_len: int = Field(default=2048, gt=0)
    tied_embeddings: bool = False
    params: float | None = Field(default=None, gt=0)
    experts: int = Field(default=1, gt=0)
    experts_per_token: int = Field(default=1, gt=0)
    source: str | None = None

    @model_validator(mode="after")
    def _check_shapes(self) -> ModelSpec:
        if self.hidden % self.heads:
            raise ValueError(f"hidden ({self.hidden}) must be divisible by heads ({self.heads})")
        if self.kv_heads is not None and self.heads % self.kv_heads:
            raise ValueError(f"heads ({self.heads}) must be divisible by kv_heads ({self.kv_heads})")
        if self.experts_per_token > self.experts:
            raise ValueError(
                f"experts_per_token ({self.experts_per_token}) must be <= experts ({self.experts})"
            )
        return self

    # ---- resolved shapes -------------------------------------------------------------
    @property
    def kv_heads_eff(self) -> int:
        return self.kv_heads if self.kv_heads is not None else self.heads

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads

    @property
    def ffn_hidden_eff(self) -> int:
        if self.ffn_hidden is not None:
            return self.ffn_hidden
        return llama_ffn_hidden(self.hidden) if self.gated_ffn else 4 * self.hidden

    # ---- parameter counts ------------------------------------------------------------
    @property
    def attention_params_per_layer(self) -> int:
        h = self.hidden
        kv = self.kv_heads_eff * self.head_dim
        return 2 * h * h + 2 * h * kv

    @property
    def mlp_params_per_expert(self) -> int:
        mats = 3 if self.gated_ffn else 2
        return mats * self.hidden * self.ffn_hidden_eff

    @property
    def norm_params_per_layer(self) -> int:
        return 2 * self.hidden

    @property
    def params_per_layer(self) -> int:
        return (
            self.attention_params_per_layer
            + self.experts * self.mlp_params_per_expert
            + self.norm_params_per_layer
        )

    @property
    def non_embedding_params(self) -> int:
        return self.layers * self.params_per_layer + self.hidden  # + final norm

    @property
    def embedding_params(self) -> int:
        return self.vocab * self.hidden * (1 if self.tied_embeddings else 2)

    @property
    def derived_params(self) -> int:
        return self.non_embedding_params + self.embedding_params

    @property
    def total_params(self) -> float:
        """Published parameter count when given, else the derived count."""
        return float(self.params) if self.params is not None else float(self.derived_params)

    @property
    def active_non_embedding_params(self) -> int:
        """Non-embedding params touched per token (MoE: only experts_per_token experts)."""
        inactive = (self.experts - self.experts_per_token) * self.mlp_params_per_expert
        return self.non_embedding_params - self.layers * inactive

    @property
    def active_params(self) -> float:
        """Params used per token. Equals total_params for dense models."""
        if self.experts == self.experts_per_token:
            return self.total_params
        return float(self.active_non_embedding_params + self.embedding_params)

    def kv_cache_bytes_per_token(self, bytes_per_elem: float = 2.0) -> float:
        """K and V for every layer for one token."""
        return 2.0 * self.layers * self.kv_heads_eff * self.head_dim * bytes_per_elem
