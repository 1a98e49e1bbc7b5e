"""Predict each validation case with the training model and compare with the published value.

No per-case tuning: every case uses its GPU generation's catalog parameters. Cases without a
published layout use the layout search (the fastest layout that fits), as a user would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from simcompute.catalog import Catalog, ModelSpec, load_catalog
from simcompute.perf.layout import Layout
from simcompute.perf.search import MICROBATCH_SIZES, best_layout, search_layouts
from simcompute.perf.training import TrainingEstimate, TrainingSystem, estimate_layout
from simcompute.resolve.training import hardware_system
from simcompute.validate.cases import Case, load_cases


@dataclass(frozen=True)
class ValidationReport:
    """The comparison table (one row per case, skipped cases included) and its error statistics."""

    table: pd.DataFrame

    @property
    def predicted(self) -> pd.DataFrame:
        return self.table[self.table["predicted"].notna()]

    @property
    def median_abs_error_pct(self) -> float:
        return float(self.predicted["error_pct"].abs().median())

    @property
    def max_abs_error_pct(self) -> float:
        return float(self.predicted["error_pct"].abs().max())

    def write_csv(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.table.to_csv(path, index=False)
        return path


def _metric(case: Case, est: TrainingEstimate) -> float:
    peak_tflops = est.peak_flops_per_gpu / 1e12
    if case.metric == "gpu_hours":
        steps = math.ceil(case.tokens / est.tokens_per_step)
        return steps * est.step_time_s * est.gpus / 3600.0
    if case.metric == "tokens_per_s_per_gpu":
        return est.tokens_per_s / est.gpus
    if case.metric == "mfu":
        return est.mfu
    if case.metric == "tflops_per_gpu":
        return est.mfu * peak_tflops
    return est.hfu * peak_tflops


def _predict(case: Case, model: ModelSpec, system: TrainingSystem) -> TrainingEstimate | None:
    fixed = {} if case.parallelism == "auto" else dict(case.parallelism)
    kw = dict(model=model, system=system, gpus=case.gpus, seq_len=case.seq_len, precision=case.precision)
    if case.global_batch_tokens is None:  # one microbatch per GPU per step, microbatch searched
        best = None
        for mbs in MICROBATCH_SIZES:
            seqs = case.gpus * mbs // (fixed.get("tp", 1) * fixed.get("pp", 1))
            found = best_layout(search_layouts(**kw, sequences=seqs, fixed={**fixed, "microbatch_size": mbs}))
            if found and (best is None or found.estimate.tokens_per_s > best.estimate.tokens_per_s):
                best = found
        return best.estimate if best else None
    sequences = max(1, round(case.global_batch_tokens / case.seq_len))
    if case.layout_searched:
        found = best_layout(search_layouts(**kw, sequences=sequences, fixed=fixed))
        return found.estimate if found else None
    tp, pp = fixed.get("tp", 1), fixed.get("pp", 1)
    layout = Layout(**{**fixed, "dp": case.gpus // (tp * pp)})
    return estimate_layout(
        model, system, layout, seq_len=case.seq_len, sequences=sequences, precision=case.precision
    )


def run_validation(catalog: Catalog | None = None) -> ValidationReport:
    """Run every bundled case; skipped cases appear with their reason and no prediction."""
    catalog = catalog or load_catalog()
    cases, skipped = load_cases()
    rows = []
    for case in cases:
        model = case.model if isinstance(case.model, ModelSpec) else catalog.model(case.model)
        node = catalog.node(case.node)
        acc = catalog.accelerator(node.gpu)
        system = hardware_system(node, acc, catalog.generation(acc.generation), catalog.fabric(case.fabric))
        system = replace(system, attention=case.attention, ep_overlap_fraction=case.ep_overlap_fraction)
        est = _predict(case, model, system)
        predicted = _metric(case, est) if est is not None else np.nan
        layout = est.layout if est is not None else None
        rows.append({
            "case": case.id, "metric": case.metric, "published": case.published, "predicted": predicted,
            "error_pct": 100.0 * (predicted - case.published) / case.published,
            "mfu": est.mfu if est else np.nan, "gpus": case.gpus, "gpu": acc.id,
            "layout": layout.describe() if layout else "no layout fits",
            "attention": case.attention,
            "layout_from": "layout search" if case.parallelism == "auto" else
                           ("published + search" if case.search else "published"),
            "memory_gb": est.memory.total_gb if est else np.nan,
            "assumptions": case.assumptions, "source": case.source, "locator": case.locator, "skipped": "",
        })  # fmt: skip
    for s in skipped:
        rows.append({"case": s["id"], "predicted": np.nan, "skipped": s["reason"]})
    return ValidationReport(pd.DataFrame(rows))
