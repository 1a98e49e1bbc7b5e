"""Layout search speed: all valid layouts of a model on 1,024 A100s (target: < 2 s).

Run: `python bench/bench_layout_search.py` from the repository root.
"""

from __future__ import annotations

import time

from simcompute.catalog import load_catalog
from simcompute.perf.search import search_layouts
from simcompute.resolve.training import hardware_system


def main() -> None:
    cat = load_catalog()
    node = cat.node("dgx-a100-80gb")
    acc = cat.accelerator(node.gpu)
    system = hardware_system(node, acc, cat.generation(acc.generation), cat.fabric("ib-hdr-200"))
    for model_id, seqs in (("llama-65b", 2048), ("gpt-3-175b", 1536), ("mixtral-8x7b", 2048)):
        model = cat.model(model_id)
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            cands = search_layouts(model, system, gpus=1024, seq_len=2048, sequences=seqs, precision="bf16")
            best = min(best, time.perf_counter() - t0)
        fits = sum(c.fits for c in cands)
        print(f"{model_id:14s} 1024 GPUs: {len(cands):5d} layouts ({fits} fit) in {best:.3f} s (best of 3); "
              f"fastest {cands[0].layout.describe()} MFU {cands[0].estimate.mfu:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
