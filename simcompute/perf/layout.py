"""A resolved parallel layout and the checks that it fits the model, the GPUs and the batch.

Rank order follows Megatron-LM (tp fastest, then dp, then pp): the tp group is `tp`
neighbouring GPUs, dp ranks are `tp` apart, pipeline neighbours `tp * dp` apart. `ep` groups
are taken inside the dp group (expert data parallel = dp / ep).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from simcompute.catalog import LayerKind, ModelSpec

Recompute = Literal["none", "selective", "full"]


@dataclass(frozen=True, slots=True)
class Layout:
    """Every degree of a training layout, with `dp` known."""

    tp: int = 1
    pp: int = 1
    dp: int = 1
    zero: int = 1
    sequence_parallel: bool = False
    recompute: Recompute = "none"
    microbatch_size: int = 1
    virtual_pp: int = 1
    ep: int = 1

    @property
    def gpus(self) -> int:
        return self.tp * self.pp * self.dp

    def describe(self) -> str:
        """`tp=2 pp=1 dp=32 (zero=1, sp, recompute=selective, mbs=1)` and so on."""
        extras = [f"zero={self.zero}"]
        if self.sequence_parallel:
            extras.append("sp")
        if self.recompute != "none":
            extras.append(f"recompute={self.recompute}")
        extras.append(f"mbs={self.microbatch_size}")
        if self.virtual_pp > 1:
            extras.append(f"vpp={self.virtual_pp}")
        if self.ep > 1:
            extras.append(f"ep={self.ep}")
        return f"tp={self.tp} pp={self.pp} dp={self.dp} ({', '.join(extras)})"


def stage_layers(layers: int, stages: int) -> int | None:
    """Transformer layers on the most loaded pipeline stage, or None if `stages` cannot split them.

    Either `stages` divides the layers, or it divides layers + 2: Megatron-DeepSpeed's
    partitioning counts the embedding and the LM head as one slot each (BLOOM: 70 + 2 = 72
    on 12 stages, BigScience 2022 arXiv:2211.05100 Sec. 3.4), so its end stages hold one
    layer fewer.
    """
    if layers % stages == 0:
        return layers // stages
    if stages > 1 and (layers + 2) % stages == 0:
        return (layers + 2) // stages
    return None


def layers_per_stage(model: ModelSpec, pp: int) -> int:
    """Layers on the most loaded stage of a valid `pp`-stage layout (MTP layers included);
    an even split when `stage_layers` rejects `pp` (estimates assume a checked layout)."""
    return stage_layers(model.pipeline_layers, pp) or model.pipeline_layers // pp


def stage_layer_kinds(model: ModelSpec, layers: int) -> tuple[tuple[LayerKind, int], ...]:
    """`(kind, count)` of the `layers` layers on the most loaded (last) pipeline stage.

    The last stage holds the model's last layers, its MTP modules' layers (of the model's
    main kind) and the LM head. The dense layers come first in the model (`dense_layers`), so
    the last stage holds MoE layers only unless it holds more layers than the model has MoE
    layers; with one stage it holds all.
    """
    mtp_moe = model.mtp_layers if model.main_layer_kind == "moe" else 0
    moe = min(layers, model.moe_layers + mtp_moe)
    return tuple((k, n) for k, n in (("dense", layers - moe), ("moe", moe)) if n)


def layout_problems(model: ModelSpec, layout: Layout, gpus: int, sequences: int) -> list[tuple[str, str]]:
    """Every reason `layout` cannot run `model` on `gpus` GPUs with `sequences` per step.

    Returns `(field, message)` pairs; the field is the `parallelism.` key to blame.
    """
    p = layout
    out: list[tuple[str, str]] = []
    if p.gpus != gpus:
        out.append(("dp", f"tp*pp*dp = {p.gpus} but gpus = {gpus}"))
    if model.heads % p.tp:
        out.append(("tp", f"tp = {p.tp} does not divide the model's {model.heads} attention heads"))
    if stage_layers(model.pipeline_layers, p.pp * p.virtual_pp) is None:
        what = "pp" if p.virtual_pp == 1 else "pp*virtual_pp"
        mtp = f" ({model.layers} + {model.mtp_layers} MTP)" if model.mtp_layers else ""
        out.append(
            ("pp" if p.virtual_pp == 1 else "virtual_pp",
             f"{what} = {p.pp * p.virtual_pp} divides neither the model's {model.pipeline_layers} layers{mtp} "
             "nor layers + 2")
        )  # fmt: skip
    if p.ep > 1 and model.experts == 1:
        out.append(("ep", f"ep = {p.ep} needs a mixture-of-experts model ({model.name} is dense)"))
    elif model.experts % p.ep:
        out.append(("ep", f"ep = {p.ep} does not divide the model's {model.experts} experts"))
    if p.dp % p.ep:
        out.append(("ep", f"ep = {p.ep} does not divide dp = {p.dp}"))
    if sequences % p.dp:
        out.append(("dp", f"dp = {p.dp} does not divide the global batch of {sequences} sequences"))
    elif (sequences // p.dp) % p.microbatch_size:
        out.append(
            ("microbatch_size",
             f"{p.microbatch_size} does not divide the {sequences // p.dp} sequences per data-parallel rank")
        )  # fmt: skip
    elif p.virtual_pp > 1 and (sequences // (p.dp * p.microbatch_size)) % p.pp:
        out.append(
            (
                "virtual_pp",
                f"the interleaved schedule needs the microbatch count to be a multiple of pp = {p.pp}",
            )
        )
    return out
