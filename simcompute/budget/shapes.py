"""A real architecture for a parameter count, by the shape rule of the Llama family.

Rule (documented, not fitted): a dense decoder with SwiGLU MLP of width `llama_ffn_hidden`
(8/3 hidden rounded up to 256; Touvron et al. 2023, arXiv:2302.13971, Sec. 2.2), head
dimension 128 (heads = hidden / 128, no GQA) and the Llama-2 7B/13B aspect ratio
hidden / layers = 128 (4096/32, 5120/40; Touvron et al. 2023, arXiv:2307.09288, Table 1),
vocabulary 32,000 (Llama 2). With about 12 hidden^2 parameters per layer, `params` =
12 hidden^3 / 128 gives the width, rounded to a multiple of 1,024 (8 heads, so tensor
parallelism over the 8 GPUs of a node divides the heads, as Llama's 32/40/64 do; a multiple of
128 below 1,024); the layers then fill the
remaining count after the embeddings (at least 2). The candidate's parameter count is the
derived count of that architecture, not the target.
"""

from __future__ import annotations

from simcompute.catalog import ModelSpec

HEAD_DIM = 128
ASPECT_RATIO = 128  # hidden / layers
VOCAB = 32_000
HEADS_MULTIPLE = 8
MIN_HIDDEN = 256
MIN_LAYERS = 2


def model_for_params(params: float, seq_len: int) -> ModelSpec:
    """The architecture nearest `params` parameters by the rule above."""
    width = (ASPECT_RATIO * params / 12.0) ** (1.0 / 3.0)
    step = HEAD_DIM * HEADS_MULTIPLE if width >= HEAD_DIM * HEADS_MULTIPLE else HEAD_DIM
    hidden = max(MIN_HIDDEN, step * round(width / step))
    per_layer = ModelSpec(layers=1, hidden=hidden, heads=hidden // HEAD_DIM, vocab=VOCAB, gated_ffn=True)
    embeddings = 2 * VOCAB * hidden
    layer_params = per_layer.derived_params - embeddings
    layers = max(MIN_LAYERS, round((params - embeddings) / layer_params))
    return ModelSpec(
        name=f"budget-{hidden}x{layers}",
        layers=layers,
        hidden=hidden,
        heads=hidden // HEAD_DIM,
        vocab=VOCAB,
        gated_ffn=True,
        max_seq_len=seq_len,
        source="simcompute budget shape rule (Llama-2 aspect ratio 128, head dim 128, SwiGLU)",
    )
