"""Serving validation: published throughput, latency and GPU energy of LLM serving runs.

Each case (data/serving_cases.yaml) is one service simulated as the benchmark ran it: the
engine, weights and the KV-cache precision the run really used, max-throughput arrivals (all
requests at t = 0), a single request for first-token latency, or Poisson arrivals. No case
tunes anything; every prediction comes from the catalog (GPU, generation, engine).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml

import simcompute as sc
from simcompute.validate.runner import ValidationReport

ServingMetric = Literal["output_tokens_per_s_per_gpu", "ttft_s", "gpu_energy_per_request_j", "e2e_mean_s"]
SERVING_METRICS: tuple[str, ...] = (
    "output_tokens_per_s_per_gpu",
    "ttft_s",
    "gpu_energy_per_request_j",
    "e2e_mean_s",
)
CASE_KINDS = ("max_throughput", "ttft", "poisson")


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
    rate_per_s: float | None = None

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
        if self.max_batch_size is not None:
            workload["max_batch_size"] = self.max_batch_size
        return {
            "name": f"validate-{self.id}",
            "seed": 1,
            "site": {"region": "us-west", "pue": 1.0},
            "cluster": {"node": self.node, "nodes": 1},
            "workloads": [workload],
        }


def load_serving_cases() -> list[ServingCase]:
    """The bundled serving cases, with each case's source text resolved from its key."""
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
        cases.append(ServingCase(**{**c, "source": sources[c["source"]]}))
    return cases


def predict(case: ServingCase) -> float:
    """The simulated value of the case's metric."""
    result = sc.run(case.scenario())
    row = result.summary.iloc[0]
    gpus = case.gpus_per_replica
    if case.metric == "output_tokens_per_s_per_gpu":
        return float(row["tokens_per_s"]) / gpus
    if case.metric == "ttft_s":
        return float(row["ttft_p50_s"])
    if case.metric == "gpu_energy_per_request_j":
        return float(row["mean_gpu_power_w"] * gpus * row["wall_time_s"] / row["requests_completed"])
    return float(np.mean(result.requests["e2e_s"]))


def run_serving_validation() -> ValidationReport:
    """Predict every serving case; the table is ordered as the cases file."""
    rows = []
    for case in load_serving_cases():
        predicted = predict(case)
        rows.append({
            "case": case.id, "metric": case.metric, "engine": case.engine, "published": case.published,
            "predicted": predicted, "error_pct": 100.0 * (predicted - case.published) / case.published,
            "gpus": case.gpus_per_replica, "node": case.node, "precision": case.precision,
            "kv_cache_dtype": case.kv_cache_dtype, "assumptions": case.assumptions, "source": case.source,
            "locator": case.locator, "skipped": "",
        })  # fmt: skip
    return ValidationReport(pd.DataFrame(rows))


def median_abs_error_by_metric(report: ValidationReport) -> dict[str, float]:
    """Median |error| in % of each metric's cases."""
    table = report.predicted
    return {m: float(g["error_pct"].abs().median()) for m, g in table.groupby("metric", sort=False)}
