"""Decoder-only transformer architecture spec, used for presets and for inline scenario models."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

LayerKind = Literal["dense", "moe"]
"""A transformer layer with a dense FFN, or with a mixture-of-experts FFN."""


def llama_ffn_hidden(hidden: int, multiple_of: int = 256) -> int:
    """LLaMA's SwiGLU width rule: int(2/3 * 4 * hidden), rounded up to a multiple of 256."""
    raw = int(2 * 4 * hidden / 3)
    return multiple_of * math.ceil(raw / multiple_of)


class ModelSpec(BaseModel):
    """Architecture of a decoder-only transformer.

    Counting convention (per layer): attention q and o are hidden x hidden, k and v are
    hidden x (kv_heads * head_dim); the MLP is 2 * hidden * ffn (3 * for gated/SwiGLU), times
    `experts`; plus two norm vectors. Biases, positional tables and MoE router weights
    (experts x hidden per MoE layer) are ignored (<0.5%).

    Mixture of experts (`experts > 1`): each MoE layer holds `experts` routed experts, of
    which `experts_per_token` work on each token, plus `shared_experts` that work on every
    token (DeepSeekMoE, Dai et al. 2024, arXiv:2401.06066); each expert is an FFN of width
    `expert_ffn_hidden` (default `ffn_hidden`). The first `dense_layers` layers keep a dense
    FFN of width `ffn_hidden` (DeepSeek-V3: 3).

    Multi-head latent attention (MLA, DeepSeek-V2, arXiv:2405.04434, Sec. 2.1), on when
    `kv_lora_rank` is set: the query goes through a `q_lora_rank` bottleneck (a full
    hidden x heads*(qk_nope + qk_rope) projection when None), keys and values are compressed
    jointly into `kv_lora_rank` latents plus one shared `qk_rope_head_dim` RoPE key, then
    expanded per head to `qk_nope_head_dim` keys and `v_head_dim` values; the output
    projection is heads*v_head_dim x hidden. The two latent RMSNorm vectors count as
    attention parameters.

    Multi-token prediction (DeepSeek-V3, arXiv:2412.19437, Sec. 2.2): `mtp_layers` modules
    trained beside the model, each one more layer of the model's main kind, a 2*hidden x
    hidden projection and two norms, sharing the embedding and the LM head. Published counts
    leave them out, and so do the parameter counts and model FLOPs here (`mtp_params` holds
    their weights); the training step, its memory and its pipeline partition count them.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    # Upper bounds are 10-100x beyond any published model; they refuse typos, not architectures.
    name: str = Field(default="custom", max_length=200)
    layers: int = Field(gt=0, le=100_000)
    hidden: int = Field(gt=0, le=10_000_000)
    heads: int = Field(gt=0, le=1_000_000)
    kv_heads: int | None = Field(default=None, gt=0, le=1_000_000)
    vocab: int = Field(gt=0, le=100_000_000)
    ffn_hidden: int | None = Field(default=None, gt=0, le=100_000_000)
    gated_ffn: bool = False
    max_seq_len: int = Field(default=2048, gt=0, le=100_000_000)
    tied_embeddings: bool = False
    params: float | None = Field(default=None, gt=0, le=1e16)
    experts: int = Field(default=1, gt=0, le=1_000_000)
    experts_per_token: int = Field(default=1, gt=0, le=1_000_000)
    shared_experts: int = Field(default=0, ge=0, le=1_000_000)
    expert_ffn_hidden: int | None = Field(default=None, gt=0, le=100_000_000)
    dense_layers: int = Field(default=0, ge=0, le=100_000)
    q_lora_rank: int | None = Field(default=None, gt=0, le=10_000_000)
    kv_lora_rank: int | None = Field(default=None, gt=0, le=10_000_000)
    qk_rope_head_dim: int | None = Field(default=None, gt=0, le=1_000_000)
    qk_nope_head_dim: int | None = Field(default=None, gt=0, le=1_000_000)
    v_head_dim: int | None = Field(default=None, gt=0, le=1_000_000)
    mtp_layers: int = Field(default=0, ge=0, le=1_000)
    source: str | None = Field(default=None, max_length=4096)

    @model_validator(mode="after")
    def _check_shapes(self) -> ModelSpec:
        if self.kv_lora_rank is None and self.hidden % self.heads:
            raise ValueError(f"hidden ({self.hidden}) must be divisible by heads ({self.heads})")
        if self.kv_heads is not None and self.heads % self.kv_heads:
            raise ValueError(f"heads ({self.heads}) must be divisible by kv_heads ({self.kv_heads})")
        if self.experts_per_token > self.experts:
            raise ValueError(
                f"experts_per_token ({self.experts_per_token}) must be <= experts ({self.experts})"
            )
        if self.experts == 1:
            for name in ("shared_experts", "expert_ffn_hidden", "dense_layers"):
                if getattr(self, name):
                    raise ValueError(f"{name} needs a mixture-of-experts model (experts > 1)")
        if self.dense_layers >= self.layers:
            raise ValueError(
                f"dense_layers ({self.dense_layers}) must be < layers ({self.layers}): "
                "the layers after them are the MoE layers"
            )
        mla = ("q_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim")
        if self.kv_lora_rank is None:
            for name in mla:
                if getattr(self, name) is not None:
                    raise ValueError(f"{name} needs kv_lora_rank (multi-head latent attention)")
        else:
            for name in mla[1:]:
                if getattr(self, name) is None:
                    raise ValueError(f"kv_lora_rank (multi-head latent attention) needs {name}")
            if self.kv_heads is not None:
                raise ValueError(
                    "kv_heads does not apply to multi-head latent attention (kv_lora_rank): "
                    "every head expands its keys and values from the shared latent"
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
    def mla(self) -> bool:
        """Multi-head latent attention (set by `kv_lora_rank`)."""
        return self.kv_lora_rank is not None

    @property
    def score_head_dim(self) -> int:
        """Per-head width of queries and keys (the q.k dot product)."""
        if self.kv_lora_rank is not None:
            return self.qk_nope_head_dim + self.qk_rope_head_dim
        return self.head_dim

    @property
    def value_head_dim(self) -> int:
        """Per-head width of values (and of the attention output before its projection)."""
        return self.v_head_dim if self.kv_lora_rank is not None else self.head_dim

    @property
    def kv_cache_heads(self) -> int:
        """Distinct cached key/value groups per layer: kv heads, or 1 shared latent with MLA."""
        return 1 if self.kv_lora_rank is not None else self.kv_heads_eff

    @property
    def ffn_hidden_eff(self) -> int:
        if self.ffn_hidden is not None:
            return self.ffn_hidden
        return llama_ffn_hidden(self.hidden) if self.gated_ffn else 4 * self.hidden

    @property
    def expert_ffn_hidden_eff(self) -> int:
        """FFN width of each routed and shared expert."""
        return self.expert_ffn_hidden if self.expert_ffn_hidden is not None else self.ffn_hidden_eff

    # ---- layer kinds -----------------------------------------------------------------
    @property
    def moe_layers(self) -> int:
        """Layers with a mixture-of-experts FFN (all after the first `dense_layers`)."""
        return self.layers - self.dense_layers if self.experts > 1 else 0

    @property
    def main_layer_kind(self) -> LayerKind:
        """The kind of most of the model's layers (and of its MTP modules' layers)."""
        return "moe" if self.experts > 1 else "dense"

    @property
    def pipeline_layers(self) -> int:
        """Layers a pipeline partitions: the transformer layers, then the MTP modules' layers."""
        return self.layers + self.mtp_layers

    @property
    def layer_kinds(self) -> tuple[tuple[LayerKind, int], ...]:
        """`(kind, count)` of the model's layers in order, kinds with no layer left out."""
        dense = self.layers - self.moe_layers
        return tuple((k, n) for k, n in (("dense", dense), ("moe", self.moe_layers)) if n)

    # ---- parameter counts ------------------------------------------------------------
    @property
    def attention_params_per_layer(self) -> int:
        h = self.hidden
        if self.kv_lora_rank is None:
            kv = self.kv_heads_eff * self.head_dim
            return 2 * h * h + 2 * h * kv
        a, q_lora, kv_lora = self.heads, self.q_lora_rank, self.kv_lora_rank
        q_out = a * self.score_head_dim
        q = h * q_out if q_lora is None else h * q_lora + q_lora + q_lora * q_out  # + q norm
        kv = h * (kv_lora + self.qk_rope_head_dim) + kv_lora  # down-projection + kv norm
        kv += kv_lora * a * (self.qk_nope_head_dim + self.v_head_dim)  # up-projection
        return q + kv + a * self.v_head_dim * h

    @property
    def mlp_params_per_expert(self) -> int:
        """Weights of one routed (or shared) expert; of the MLP of a dense model."""
        mats = 3 if self.gated_ffn else 2
        return mats * self.hidden * self.expert_ffn_hidden_eff

    @property
    def dense_mlp_params(self) -> int:
        """Weights of the dense FFN (`ffn_hidden`) of a dense layer."""
        mats = 3 if self.gated_ffn else 2
        return mats * self.hidden * self.ffn_hidden_eff

    @property
    def norm_params_per_layer(self) -> int:
        return 2 * self.hidden

    def layer_params(self, kind: LayerKind) -> int:
        """All weights of one layer of `kind` (MoE: every routed and shared expert)."""
        if kind == "dense":
            mlp = self.dense_mlp_params
        else:
            mlp = (self.experts + self.shared_experts) * self.mlp_params_per_expert
        return self.attention_params_per_layer + mlp + self.norm_params_per_layer

    def active_layer_params(self, kind: LayerKind) -> int:
        """Weights of one layer of `kind` that work on a token (routed: `experts_per_token`)."""
        if kind == "dense":
            return self.layer_params("dense")
        mlp = (self.experts_per_token + self.shared_experts) * self.mlp_params_per_expert
        return self.attention_params_per_layer + mlp + self.norm_params_per_layer

    @property
    def params_per_layer(self) -> int:
        """Weights of one of the model's main layers (its MoE layers when it has experts)."""
        return self.layer_params(self.main_layer_kind)

    @property
    def mtp_projection_params(self) -> int:
        """Weights of an MTP module besides its layer: the 2h x h projection and two norms."""
        return 2 * self.hidden * self.hidden + 2 * self.hidden

    @property
    def mtp_params(self) -> int:
        """Weights of all MTP modules (the embedding and LM head are shared, not counted)."""
        return self.mtp_layers * (self.params_per_layer + self.mtp_projection_params)

    @property
    def non_embedding_params(self) -> int:
        layers = sum(n * self.layer_params(kind) for kind, n in self.layer_kinds)
        return layers + self.hidden  # + final norm

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
        """Non-embedding params touched per token (MoE: experts_per_token routed + shared experts)."""
        return sum(n * self.active_layer_params(kind) for kind, n in self.layer_kinds) + self.hidden

    @property
    def active_params(self) -> float:
        """Params used per token. Equals total_params for dense models."""
        if self.experts == self.experts_per_token:
            return self.total_params
        return float(self.active_non_embedding_params + self.embedding_params)

    def kv_cache_bytes_per_token(self, bytes_per_elem: float = 2.0) -> float:
        """K and V for every layer for one token.

        With MLA only the KV latent and the shared RoPE key are cached, `(kv_lora_rank +
        qk_rope_head_dim) x layers` elements (DeepSeek-V2, arXiv:2405.04434, Table 1).
        """
        if self.kv_lora_rank is not None:
            return 1.0 * self.layers * (self.kv_lora_rank + self.qk_rope_head_dim) * bytes_per_elem
        return 2.0 * self.layers * self.kv_heads_eff * self.head_dim * bytes_per_elem
