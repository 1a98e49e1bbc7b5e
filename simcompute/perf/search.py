"""Layout search: every valid parallel layout for a GPU count, ranked by step time.

The space is tp (divisors of the heads that divide the node, so a tp group stays on
NVLink), pp (dividing the layers, or layers + 2 as Megatron-DeepSpeed partitions),
dp = gpus / (tp pp) dividing the batch, microbatch size (powers of two), recompute
(none / selective / full), ZeRO stage 1 (and 3 without a pipeline), the interleaved schedule
(virtual_pp 1, 2, 4) and, for MoE models, ep (divisors of the experts within dp). Sequence
parallelism is on whenever tp > 1: it moves the same bytes as plain tensor parallelism
(RS + AG = AR) and stores less (Korthikanti et al. 2022), so it never loses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from simcompute.catalog import ModelSpec
from simcompute.perf.layout import Layout, layout_problems, stage_layers
from simcompute.perf.training import TrainingEstimate, TrainingSystem, estimate_layout

MICROBATCH_SIZES = (1, 2, 4, 8, 16)
VIRTUAL_PP = (1, 2, 4)
RECOMPUTE = ("none", "selective", "full")


@dataclass(frozen=True)
class Candidate:
    """A layout with its estimate and whether it fits in GPU memory."""

    layout: Layout
    estimate: TrainingEstimate
    fits: bool


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def candidate_layouts(
    model: ModelSpec, gpus: int, sequences: int, gpus_per_node: int, fixed: dict | None = None
) -> Iterator[Layout]:
    """Valid layouts for `gpus` GPUs and `sequences` per step; `fixed` pins fields (e.g. `{"tp": 1}`)."""
    fixed = fixed or {}
    tps = [t for t in _divisors(model.heads) if gpus_per_node % t == 0 and gpus % t == 0]
    for tp in tps if "tp" not in fixed else [fixed["tp"]]:
        pps = (
            [q for q in _divisors(gpus // tp) if q <= model.layers and stage_layers(model.pipeline_layers, q)]
            if gpus % tp == 0
            else []
        )
        for pp in pps if "pp" not in fixed else [fixed["pp"]]:
            if gpus % (tp * pp):
                continue
            dp = gpus // (tp * pp)
            if sequences % dp:
                continue
            eps = [e for e in _divisors(model.experts) if dp % e == 0] if model.experts > 1 else [1]
            for ep in eps if "ep" not in fixed else [fixed["ep"]]:
                for zero in ((1,) if pp > 1 else (1, 3)) if "zero" not in fixed else (fixed["zero"],):
                    for rec in RECOMPUTE if "recompute" not in fixed else (fixed["recompute"],):
                        for mbs in (
                            MICROBATCH_SIZES
                            if "microbatch_size" not in fixed
                            else (fixed["microbatch_size"],)
                        ):
                            if (sequences // dp) % mbs:
                                continue
                            for vpp in (
                                (VIRTUAL_PP if pp > 1 else (1,))
                                if "virtual_pp" not in fixed
                                else (fixed["virtual_pp"],)
                            ):
                                layout = Layout(
                                    tp=tp, pp=pp, dp=dp, zero=zero, sequence_parallel=tp > 1,
                                    recompute=rec, microbatch_size=mbs, virtual_pp=vpp, ep=ep,
                                )  # fmt: skip
                                if not layout_problems(model, layout, gpus, sequences):
                                    yield layout


def search_layouts(
    model: ModelSpec,
    system: TrainingSystem,
    *,
    gpus: int,
    seq_len: int,
    sequences: int,
    precision: str,
    fixed: dict | None = None,
) -> list[Candidate]:
    """All valid layouts, fitting ones first, each group fastest first (under the system's
    GPU power cap, if any)."""
    capacity = system.accelerator.memory_bytes
    out = []
    for layout in candidate_layouts(model, gpus, sequences, system.gpus_per_node, fixed):
        est = estimate_layout(
            model, system, layout, seq_len=seq_len, sequences=sequences, precision=precision
        )
        est = system.power.cap_estimate(est)
        out.append(Candidate(layout, est, est.memory.total_bytes <= capacity))
    out.sort(key=lambda c: (not c.fits, c.estimate.step_time_s, c.estimate.memory.total_bytes))
    return out


def best_layout(candidates: list[Candidate]) -> Candidate | None:
    """The fastest layout that fits, or None."""
    return candidates[0] if candidates and candidates[0].fits else None
