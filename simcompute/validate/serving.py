"""Serving validation: published throughput, latency and GPU energy of LLM serving runs.

Each case (data/serving_cases.yaml) is one service simulated as the benchmark ran it: the
engine, weights and the KV-cache precision the run really used, max-throughput arrivals (all
requests at t = 0), a single request for first-token latency, or Poisson arrivals. No case
tunes anything; every prediction comes from the catalog (GPU, generation, engine). An engine
value the catalog estimated from validation cases (`estimate:`) is re-estimated for each case
from the other cases only (leave-one-out) and the table says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import yaml

from simcompute.api import run
from simcompute.catalog import KINDS, Catalog, load_catalog
from simcompute.validate.runner import ValidationReport

SERVING_METRICS: tuple[str, ...] = (
    "output_tokens_per_s_per_gpu",
    "ttft_s",
    "gpu_energy_per_request_j",
    "e2e_mean_s",
)
CASE_KINDS = ("max_throughput", "ttft", "poisson")
ESTIMATE_RANGE = (0.0, 0.2)
"""Bracket of an estimated engine time (s) searched by bisection."""
ESTIMATE_TOLERANCE = 1e-5


@dataclass(frozen=True)
class Estimate:
    """An engine value estimated from published cases: `parameter` of `engine`, chosen so that
    the simulated metric of the cases `from_cases` matches their published values on average."""

    engine: str
    parameter: str
    from_cases: tuple[str, ...]


@dataclass(frozen=True)
class ServingCase:
    """One published serving measurement: how it ran, the number, and where it comes from."""

    id: str
    kind: str
    engine: str
    model: str
    node: str
    gpus_per_replica: int
    precision: str
    kv_cache_dtype: str
    prompt_tokens: int
    output_tokens: int
    requests: int
    metric: str
    published: float
    source: str
    locator: str
    assumptions: str
    scheduler: str = "continuous"
    max_batch_size: int | None = None
    max_batch_tokens: int | None = None
    rate_per_s: float | None = None
    estimate: Estimate | None = None

    def scenario(self) -> dict[str, Any]:
        """The case as a scenario: one replica on one node, nothing else on the cluster."""
        arrivals: dict[str, Any] = (
            {"kind": "poisson", "rate_per_s": self.rate_per_s}
            if self.kind == "poisson"
            else {"kind": "max_throughput"}
        )
        workload: dict[str, Any] = {
            "kind": "inference",
            "name": self.id,
            "model": self.model,
            "gpus_per_replica": self.gpus_per_replica,
            "precision": self.precision,
            "kv_cache_dtype": self.kv_cache_dtype,
            "engine": self.engine,
            "scheduler": self.scheduler,
            "arrivals": arrivals,
            "prompt_tokens": self.prompt_tokens,
            "output_tokens": self.output_tokens,
            "requests": self.requests,
        }
        for key in ("max_batch_size", "max_batch_tokens"):
            if getattr(self, key) is not None:
                workload[key] = getattr(self, key)
        return {
            "name": f"validate-{self.id}",
            "seed": 1,
            "site": {"region": "us-west", "pue": 1.0},
            "cluster": {"node": self.node, "nodes": 1},
            "workloads": [workload],
        }


def load_serving_cases() -> tuple[list[ServingCase], list[dict[str, str]]]:
    """(cases, skipped): the bundled serving cases, each with its source text resolved from its
    key, and the cases left out with the reason."""
    text = (
        resources.files("simcompute.validate").joinpath("data/serving_cases.yaml").read_text(encoding="utf-8")
    )
    raw = yaml.safe_load(text)
    sources = raw["sources"]
    cases = []
    for c in raw["cases"]:
        if c["metric"] not in SERVING_METRICS:
            raise ValueError(f"serving_cases.yaml {c['id']}: unknown metric {c['metric']!r}")
        if c["kind"] not in CASE_KINDS:
            raise ValueError(f"serving_cases.yaml {c['id']}: unknown kind {c['kind']!r}")
        est = c.get("estimate")
        estimate = Estimate(est["engine"], est["parameter"], tuple(est["from"])) if est else None
        cases.append(ServingCase(**{**c, "source": sources[c["source"]], "estimate": estimate}))
    return cases, list(raw.get("skipped") or [])


def with_engine_value(catalog: Catalog, engine: str, parameter: str, value: float) -> Catalog:
    """`catalog` with one number of one engine replaced."""
    data = {kind: dict(catalog.items(kind)) for kind in KINDS}
    data["engines"][engine] = data["engines"][engine].model_copy(update={parameter: value})
    return Catalog(data)


def estimate_engine_value(estimate: Estimate, cases: dict[str, ServingCase], catalog: Catalog) -> float:
    """The value of `estimate.parameter` at which the cases `estimate.from_cases` are predicted
    with zero mean relative error (bisection; the metrics grow with the parameter, a time)."""
    basis = [cases[i] for i in estimate.from_cases]

    def mean_error(value: float) -> float:
        trial = with_engine_value(catalog, estimate.engine, estimate.parameter, value)
        return float(np.mean([predict(c, trial) / c.published - 1.0 for c in basis]))

    low, high = ESTIMATE_RANGE
    while high - low > ESTIMATE_TOLERANCE:
        mid = 0.5 * (low + high)
        low, high = (mid, high) if mean_error(mid) < 0 else (low, mid)
    return 0.5 * (low + high)


def predict(case: ServingCase, catalog: Catalog | None = None) -> float:
    """The simulated value of the case's metric (with `catalog` instead of the bundled one)."""
    result = run(case.scenario(), catalog=catalog)
    row = result.summary.iloc[0]
    gpus = case.gpus_per_replica
    if case.metric == "output_tokens_per_s_per_gpu":
        return float(row["output_tokens_per_s_per_gpu"])
    if case.metric == "ttft_s":
        return float(row["ttft_p50_s"])
    if case.metric == "gpu_energy_per_request_j":
        return float(row["mean_gpu_power_w"] * gpus * row["wall_time_s"] / row["requests_completed"])
    return float(np.mean(result.requests["e2e_s"]))


def run_serving_validation() -> ValidationReport:
    """Predict every serving case (estimated engine values leave-one-out); skipped cases appear
    with their reason and no prediction. The table is ordered as the cases file."""
    catalog = load_catalog()
    cases, skipped = load_serving_cases()
    by_id = {c.id: c for c in cases}
    estimates: dict[Estimate, float] = {}
    rows = []
    for case in cases:
        used, note = catalog, ""
        if case.estimate is not None:
            est = case.estimate
            if est not in estimates:
                estimates[est] = estimate_engine_value(est, by_id, catalog)
            used = with_engine_value(catalog, est.engine, est.parameter, estimates[est])
            note = f"{est.engine} {est.parameter} = {estimates[est]:.4g} from {', '.join(est.from_cases)} (leave-one-out)"
        predicted = predict(case, used)
        rows.append({
            "case": case.id, "metric": case.metric, "engine": case.engine, "published": case.published,
            "predicted": predicted, "error_pct": 100.0 * (predicted - case.published) / case.published,
            "gpus": case.gpus_per_replica, "node": case.node, "precision": case.precision,
            "kv_cache_dtype": case.kv_cache_dtype, "estimated": note, "assumptions": case.assumptions,
            "source": case.source, "locator": case.locator, "skipped": "",
        })  # fmt: skip
    for s in skipped:
        rows.append({"case": s["id"], "predicted": np.nan, "skipped": s["reason"]})
    return ValidationReport(pd.DataFrame(rows))


def median_abs_error_by_metric(report: ValidationReport) -> dict[str, float]:
    """Median |error| in % of each metric's cases."""
    table = report.predicted
    return {m: float(g["error_pct"].abs().median()) for m, g in table.groupby("metric", sort=False)}
