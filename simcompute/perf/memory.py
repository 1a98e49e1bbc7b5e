"""Memory per GPU of a training layout: model states (ZeRO) and activations (Korthikanti).

Model states follow Rajbhandari et al. 2020 (ZeRO, arXiv:1910.02054, Sec. 3.1): mixed
precision Adam keeps 16-bit weights (2 bytes/param), 16-bit gradients (2) and fp32 master
weights + momentum + variance (K = 12); fp32 training keeps 4 + 4 + 8. ZeRO stage 1 shards
the optimizer states over the data-parallel group, stage 2 also the gradients, stage 3 also
the weights. Activations follow Korthikanti et al. 2022 ("Reducing Activation Recomputation
in Large Transformer Models", arXiv:2205.05198, Sec. 4 and Table 2) with 16-bit activations.
Training keeps no KV cache. Framework workspace and allocator fragmentation are not counted.
"""

from __future__ import annotations

from dataclasses import dataclass

from simcompute.catalog import ModelSpec
from simcompute.perf.layout import Layout, layers_per_stage, stage_layer_kinds
from simcompute.units import BYTES_PER_GIB

ACTIVATION_BYTES = 2.0
"""Bytes per activation element: 16-bit activations and gradients (stored and on the wire)."""


def bytes_per_param(precision: str) -> tuple[float, float, float]:
    """(weights, gradients, optimizer states) bytes per parameter (ZeRO paper Sec. 3.1)."""
    if precision in ("fp32", "tf32"):
        return 4.0, 4.0, 8.0
    return 2.0, 2.0, 12.0


@dataclass(frozen=True, slots=True)
class MemoryBreakdown:
    """Bytes on the most loaded GPU, split by what they hold."""

    weights_bytes: float
    gradients_bytes: float
    optimizer_bytes: float
    activations_bytes: float

    @property
    def total_bytes(self) -> float:
        return self.weights_bytes + self.gradients_bytes + self.optimizer_bytes + self.activations_bytes

    @property
    def total_gib(self) -> float:
        return self.total_bytes / BYTES_PER_GIB

    def describe(self) -> str:
        """`weights 13.5, grads 13.5, optimizer 5.1, activations 12.0` (GiB)."""
        return (
            f"weights {self.weights_bytes / BYTES_PER_GIB:.1f}, grads {self.gradients_bytes / BYTES_PER_GIB:.1f}, "
            f"optimizer {self.optimizer_bytes / BYTES_PER_GIB:.1f}, activations {self.activations_bytes / BYTES_PER_GIB:.1f}"
        )


def stage_params(model: ModelSpec, layout: Layout) -> tuple[float, float]:
    """(dense, expert) parameters held by one GPU of the most loaded pipeline stage.

    Layer weights are split by tp (and routed-expert weights also by ep); the first stage
    holds the input embedding, the last the LM head (the same matrix when tied and pp == 1).
    `expert` counts the routed experts of the stage's MoE layers; everything else, shared
    experts included, is `dense`: replicated over the ep group, its gradients reduced over
    all of dp. The stage's layers are those of the last stage (`stage_layer_kinds`).
    """
    lps = layers_per_stage(model, layout.pp)
    emb = model.vocab * model.hidden
    first = emb
    last = emb if (layout.pp > 1 or not model.tied_embeddings) else 0
    ends = first + last if layout.pp == 1 else max(first, last)
    routed = model.experts * model.mlp_params_per_expert
    dense_layers = expert_layers = 0
    for kind, n in stage_layer_kinds(model, lps):
        expert_layer = routed if kind == "moe" else 0
        dense_layers += n * (model.layer_params(kind) - expert_layer)
        expert_layers += n * expert_layer
    dense_layers += model.mtp_layers * model.mtp_projection_params
    dense = (dense_layers + ends) / layout.tp
    expert = expert_layers / (layout.tp * layout.ep)
    return dense, expert


def activation_bytes_per_layer(
    model: ModelSpec, layout: Layout, seq_len: int, attention: str = "flash"
) -> float:
    """Stored activations of one layer for one microbatch (Korthikanti et al. 2022, Table 2).

    Full recompute keeps only the layer input (2sbh, /t with sequence parallelism). Otherwise
    `sbh (10 + 24/t)` without and `34 sbh / t` with sequence parallelism. `standard`
    attention adds the score terms `5 a s^2 b / t` unless they are recomputed (selective
    recompute); flash attention never stores the score matrix, only each query row's fp32
    log-sum-exp for its backward pass (`4 a s b / t`; Dao 2023, FlashAttention-2, Alg. 1).
    The formula is that of a dense GPT layer and is applied as is to MoE and MLA layers (an
    approximation: top-k routing stores k copies of the expert inputs and intermediates, MLA
    stores its latents and 192-wide per-head queries and keys instead of `hidden`-wide ones).
    """
    s, b, h, a, t = seq_len, layout.microbatch_size, model.hidden, model.heads, layout.tp
    sp = layout.sequence_parallel
    if layout.recompute == "full":
        return 2.0 * s * b * h / (t if sp else 1)
    base = 34.0 * s * b * h / t if sp else s * b * h * (10.0 + 24.0 / t)
    if attention == "flash":
        base += 4.0 * a * s * b / t
    elif layout.recompute == "none":
        base += 5.0 * a * s * s * b / t
    return base


def activation_bytes(
    model: ModelSpec, layout: Layout, seq_len: int, microbatches: int, attention: str = "flash"
) -> float:
    """Activations held at the peak of a 1F1B schedule on the most loaded stage.

    The first stage keeps `min(m, pp)` microbatches of its `L/pp` layers in flight, i.e. the
    activations of `L` layers when m >= pp (Korthikanti et al. 2022, Sec. 4.2.3); the
    interleaved schedule multiplies this by `1 + (pp-1)/(pp*v)`. It also keeps the embedding
    output (sbh/t with sp); the last stage keeps fp32 logits for the loss (4 s b v / t).
    """
    p = layout
    in_flight = min(microbatches, p.pp)
    per_layer = activation_bytes_per_layer(model, p, seq_len, attention)
    lps = layers_per_stage(model, p.pp)
    layers_held = lps * in_flight
    if p.virtual_pp > 1:
        layers_held *= 1.0 + (p.pp - 1) / (p.pp * p.virtual_pp)
    sbh = seq_len * p.microbatch_size * model.hidden
    first = per_layer * layers_held + 2.0 * sbh * in_flight / (p.tp if p.sequence_parallel else 1)
    logits = (1 + model.mtp_layers) * 4.0 * seq_len * p.microbatch_size * model.vocab / p.tp  # + MTP heads
    last = per_layer * lps + logits
    return max(first + (logits if p.pp == 1 else 0.0), last)


def training_memory(
    model: ModelSpec,
    layout: Layout,
    *,
    seq_len: int,
    microbatches: int,
    precision: str,
    attention: str = "flash",
) -> MemoryBreakdown:
    """Memory on the most loaded GPU for `layout` (see the module docstring for the sources)."""
    w, g, o = bytes_per_param(precision)
    dense, expert = stage_params(model, layout)
    dp, edp = layout.dp, max(1, layout.dp // layout.ep)
    z = layout.zero
    return MemoryBreakdown(
        weights_bytes=w * (dense / dp + expert / edp if z >= 3 else dense + expert),
        gradients_bytes=g * (dense / dp + expert / edp if z >= 2 else dense + expert),
        optimizer_bytes=o * (dense / dp + expert / edp if z >= 1 else dense + expert),
        activations_bytes=activation_bytes(model, layout, seq_len, microbatches, attention),
    )
