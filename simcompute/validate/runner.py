"""Predict each validation case and compare with the published value.

Two answers per case: the achievable step (`best_case`, the step model alone) and the expected
run (the whole-run layer on top: the case's software stack, and for whole-run metrics its
operations), given as P10/P50/P90. No per-case tuning: every case uses its GPU generation's
catalog parameters. A stack benchmark that is the same run as a case is left out of that
case's stack efficiency (leave-one-out). Cases without a published layout use the layout
search (the fastest layout that fits), as a user would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from simcompute.catalog import Catalog, ModelSpec, load_catalog
from simcompute.catalog.hardware import Accelerator, Node
from simcompute.perf.layout import Layout
from simcompute.perf.search import MICROBATCH_SIZES, best_layout, search_layouts
from simcompute.perf.training import TrainingEstimate, TrainingSystem, estimate_layout
from simcompute.realism.expected import EXPOSED_PHASES, batch_ramp_extra_s
from simcompute.realism.nodepower import gpu_power_w, node_power_w
from simcompute.realism.params import load_operations
from simcompute.realism.residual import Z90, residual_sd, term_sd, widen
from simcompute.realism.wholerun import (
    DEFAULT_SAMPLES,
    RunShape,
    evaluate,
    nominal_drivers,
    quantiles,
    sampled_drivers,
)
from simcompute.resolve.training import hardware_system
from simcompute.validate.cases import Case, load_cases

KINDS = {
    "gpu_hours": "whole-run GPU-hours",
    "tokens_per_s_per_gpu": "per-step throughput",
    "mfu": "per-step throughput",
    "tflops_per_gpu": "per-step throughput",
    "hw_tflops_per_gpu": "per-step throughput",
    "node_power_kw": "energy: node power under training",
}
FULLY_SPECIFIED = "per-step throughput, published layout"
SAMPLES = DEFAULT_SAMPLES
SEED = 14


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

    def by_kind(self) -> pd.DataFrame:
        """Per metric kind: error of the best case and of the expected P50 (median signed and
        absolute, %), and the share of published values inside the expected P10-P90."""
        t = self.predicted
        groups = [(k, t[t["kind"] == k]) for k in dict.fromkeys(KINDS.values())]
        step = t[(t["kind"] == KINDS["mfu"]) & (t["layout_from"] == "published")]
        rows = []
        for name, g in [*groups, (FULLY_SPECIFIED, step)]:
            if g.empty:
                continue
            rows.append({
                "kind": name, "cases": len(g),
                "best_case_median_error_pct": g["best_case_error_pct"].median(),
                "best_case_median_abs_error_pct": g["best_case_error_pct"].abs().median(),
                "p50_median_error_pct": g["error_pct"].median(),
                "p50_median_abs_error_pct": g["error_pct"].abs().median(),
                "inside_p10_p90_pct": 100.0 * g["inside_p10_p90"].mean(),
            })  # fmt: skip
        return pd.DataFrame(rows)

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


@dataclass(frozen=True)
class Prediction:
    """The step model's answer for one case: its estimate, the case's metric, the GPU."""

    estimate: TrainingEstimate | None
    value: float
    gpu: str
    generation: str


def predict_case(case: Case, catalog: Catalog) -> Prediction:
    """The achievable-step prediction of `case` with its generation's catalog parameters."""
    model = case.model if isinstance(case.model, ModelSpec) else catalog.model(case.model)
    node = catalog.node(case.node)
    acc = catalog.accelerator(node.gpu)
    system = hardware_system(node, acc, catalog.generation(acc.generation), catalog.fabric(case.fabric))
    system = replace(system, attention=case.attention, ep_overlap_fraction=case.ep_overlap_fraction)
    est = _predict(case, model, system)
    if est is None:
        value = np.nan
    elif case.metric == "node_power_kw":
        value = _catalog_node_power_kw(node, acc, est.mean_activity)
    else:
        value = _metric(case, est)
    return Prediction(est, value, acc.id, acc.generation)


def _catalog_node_power_kw(node: Node, acc: Accelerator, activity: float) -> float:
    """Node power with the host between the catalog's idle and rating-minus-TDP maximum."""
    host = node.host_power_idle_w + (node.host_power_max_w - node.host_power_idle_w) * activity
    return min(node.gpus_per_node * gpu_power_w(acc, activity) + host, node.rated_power_w) / 1000.0


def run_shape(
    case: Case, est: TrainingEstimate, model: ModelSpec, gpus_per_node: int, generation: str
) -> RunShape:
    """The whole-run layer's view of a case (the case's own run left out of its stack)."""
    return RunShape(
        steps=math.ceil(case.tokens / est.tokens_per_step),
        step_time_s=est.step_time_s,
        exposed_s=sum(est.phase_time_s(p) for p in EXPOSED_PHASES),
        gpus=est.gpus,
        gpus_per_node=gpus_per_node,
        params=model.total_params,
        generation=generation,
        stack=case.stack,
        exclude_run=case.id,
        ramp_extra_s=batch_ramp_extra_s(est, *case.batch_ramp) if case.batch_ramp else 0.0,
    )


def expected_metric(
    case: Case, shape: RunShape, best_case: float, samples: bool, catalog: Catalog, est: TrainingEstimate
) -> np.ndarray:
    """The case's metric for the expected run: sampled (P10-P90) or at every term's median."""
    if case.metric == "node_power_kw":
        node = catalog.node(case.node)
        acc = catalog.accelerator(node.gpu)
        gen = catalog.generation(acc.generation)
        share = load_operations().node_compute_share_of_rating
        shares = share.sample(np.random.default_rng(SEED), SAMPLES) if samples else np.array([share.median])
        return np.array(
            [node_power_w(node, acc, gen.training_activity, est.mean_activity, x) / 1000.0 for x in shares]
        )
    drivers = sampled_drivers(shape, SAMPLES, SEED) if samples else nominal_drivers(shape)
    if case.metric == "gpu_hours":
        return evaluate(shape, drivers, strict=not samples).gpu_hours
    return best_case * drivers.stack_efficiency  # a throughput: the stack runs each step slower


def _leave_one_out_residuals(kinds: list[str], log_errors: np.ndarray, sds: np.ndarray) -> np.ndarray:
    """For each case, the residual spread estimated from the other cases of its kind."""
    kinds_ = np.array(kinds)
    out = np.zeros(len(kinds))
    for i, kind in enumerate(kinds):
        others = (kinds_ == kind) & (np.arange(len(kinds)) != i)
        out[i] = residual_sd(log_errors[others], sds[others])
    return out


def run_validation(catalog: Catalog | None = None) -> ValidationReport:
    """Run every bundled case; skipped cases appear with their reason and no prediction.

    The expected P10-P90 of each case adds to its terms' spread the residual spread of the
    other published runs of its kind around the model (leave-one-out, `realism/residual.py`).
    """
    catalog = catalog or load_catalog()
    cases, skipped = load_cases()
    preds, samples = [], []
    for case in cases:
        pred = predict_case(case, catalog)
        model = case.model if isinstance(case.model, ModelSpec) else catalog.model(case.model)
        shape = run_shape(case, pred.estimate, model, catalog.node(case.node).gpus_per_node, pred.generation)
        preds.append(pred)
        samples.append(expected_metric(case, shape, pred.value, True, catalog, pred.estimate))
    kinds = [KINDS[c.metric] for c in cases]
    published = np.array([c.published for c in cases])
    log_errors = np.log(published / np.array([np.median(x) for x in samples]))
    sds = np.array([term_sd(x) for x in samples])
    residuals = _leave_one_out_residuals(kinds, log_errors, sds)
    rows = []
    for case, pred, x, res in zip(cases, preds, samples, residuals):
        est, best = pred.estimate, pred.value
        p10, predicted, p90 = quantiles(widen(x, res, SEED))
        layout = est.layout if est is not None else None
        rows.append({
            "case": case.id, "metric": case.metric, "kind": KINDS[case.metric], "stack": case.stack,
            "published": case.published, "best_case": best, "p10": p10, "predicted": predicted, "p90": p90,
            "best_case_error_pct": 100.0 * (best - case.published) / case.published,
            "error_pct": 100.0 * (predicted - case.published) / case.published,
            "inside_p10_p90": bool(p10 <= case.published <= p90),
            "residual_sd_log_loo": res,
            "mfu": est.mfu if est else np.nan, "gpus": case.gpus, "gpu": pred.gpu,
            "layout": layout.describe() if layout else "no layout fits",
            "attention": case.attention,
            "layout_from": "layout search" if case.parallelism == "auto" else
                           ("published + search" if case.search else "published"),
            "memory_gib": est.memory.total_gib if est else np.nan,
            "assumptions": case.assumptions, "source": case.source, "locator": case.locator, "skipped": "",
        })  # fmt: skip
    for s in skipped:
        rows.append({"case": s["id"], "predicted": np.nan, "skipped": s["reason"]})
    return ValidationReport(pd.DataFrame(rows))


def residuals_all_cases(report: ValidationReport) -> dict[str, tuple[float, int]]:
    """{kind: (residual sd_log from all of its cases, number of cases)}; for `run`'s intervals."""
    t = report.predicted
    out = {}
    for kind, g in t.groupby("kind"):
        x = np.log(g["published"] / g["predicted"]).to_numpy()
        sds = (np.log(g["p90"] / g["p10"]) / (2 * Z90)).to_numpy()
        base = np.sqrt(np.maximum(sds**2 - g["residual_sd_log_loo"].to_numpy() ** 2, 0.0))
        out[str(kind)] = (residual_sd(x, base), len(g))
    return out
