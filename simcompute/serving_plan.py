"""Capacity planning for inference: the fewest replicas (per GPU type) that meet latency SLOs.

Each candidate is a full simulation of the scenario's inference workload alone, on a
cluster just large enough for it. Latency percentiles do not get worse with more replicas
at a fixed load, so the search doubles the replica count until the SLO holds and then
bisects between the last failing and the first passing count.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from simcompute.api import run
from simcompute.catalog import load_catalog
from simcompute.config import InferenceWorkload, Scenario, load_scenario
from simcompute.errors import ConfigError
from simcompute.units import parse_duration

SLO_METRICS = ("ttft", "tpot", "e2e")
SLO_PERCENTILES = ("p50", "p90", "p99")


def parse_slo(text: str) -> dict[str, float]:
    """`ttft_p99=0.5s,tpot_p99=0.05s` -> {'ttft_p99_s': 0.5, 'tpot_p99_s': 0.05}."""
    slo = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        metric, _, pct = key.strip().partition("_")
        if not sep or metric not in SLO_METRICS or pct not in SLO_PERCENTILES:
            raise ConfigError("--slo", f"cannot read {part!r}; use e.g. ttft_p99=0.5s,tpot_p99=0.05s")
        try:
            slo[f"{metric}_{pct}_s"] = parse_duration(value.strip())
        except ValueError as exc:
            raise ConfigError("--slo", f"{key.strip()}: {exc}") from None
    if not slo:
        raise ConfigError("--slo", "no objective given")
    return slo


def _service(scenario: Scenario, name: str | None) -> InferenceWorkload:
    services = [w for w in scenario.workloads if isinstance(w, InferenceWorkload)]
    if name is not None:
        services = [w for w in services if w.name == name]
    if len(services) != 1:
        which = f"named '{name}'" if name else "(use --workload to pick one)"
        raise ConfigError("workloads", f"need exactly one inference workload {which}, found {len(services)}")
    return services[0]


def _node_for(gpu: str) -> str:
    catalog = load_catalog()
    nodes = catalog.table("nodes")
    match = nodes[nodes["gpu"] == gpu]
    if match.empty:
        raise ConfigError("--gpus", f"no catalog node carries GPU '{gpu}'")
    return str(match["id"].iloc[0])


def gpu_price(scenario: Scenario, node: str) -> tuple[float | None, str]:
    """The GPU-hour price of `node` and where it comes from: the scenario's own price for its
    own GPU type, else the catalog's on-demand list price of that GPU type (None if unknown)."""
    catalog = load_catalog()
    gpu = catalog.node(node).gpu
    cfg = scenario.cluster
    if cfg.owned is not None:
        return None, "scenario (owned hardware)"
    if cfg.gpu_hour_usd is not None and catalog.node(cfg.node).gpu == gpu:
        return float(cfg.gpu_hour_usd), "scenario"
    price = catalog.accelerator(gpu).list_price_usd_per_gpu_hour
    return price, "catalog list price" if price is not None else "unknown: electricity only"


def evaluate(scenario: Scenario, service: InferenceWorkload, node: str, replicas: int) -> pd.Series:
    """The service's summary row with `replicas` replicas on a cluster of `node`s that fits them,
    priced per `gpu_price`."""
    gpn = load_catalog().node(node).gpus_per_node
    nodes = math.ceil(replicas * service.gpus_per_replica / gpn)
    cluster = {"node": node, "nodes": nodes}
    if scenario.cluster.owned is None:
        cluster["gpu_hour_usd"] = gpu_price(scenario, node)[0]
    trial = scenario.model_copy(
        update={
            "workloads": [service.model_copy(update={"replicas": replicas})],
            "cluster": scenario.cluster.model_copy(update=cluster),
        }
    )
    return run(trial).summary.iloc[0]


def plan_serving(
    source: str | Path | Scenario,
    slo: dict[str, float],
    *,
    workload: str | None = None,
    gpus: list[str] | None = None,
    max_replicas: int = 256,
) -> pd.DataFrame:
    """One row per GPU option: fewest replicas meeting `slo`, their latencies, energy and cost
    (GPU-hours at `gpu_price`: the scenario's price for its GPU type, catalog list prices for others)."""
    scenario = load_scenario(source)
    service = _service(scenario, workload)
    nodes = [_node_for(g) for g in gpus] if gpus else [scenario.cluster.node]
    rows = []
    for node in nodes:
        cache: dict[int, pd.Series] = {}

        def meets(r: int, node: str = node, cache: dict[int, pd.Series] = cache) -> bool:
            if r not in cache:
                cache[r] = evaluate(scenario, service, node, r)
            row = cache[r]
            return bool(row["completed"]) and all(row[k] <= v for k, v in slo.items())

        lo, hi = 0, 1
        while hi <= max_replicas and not meets(hi):
            lo, hi = hi, hi * 2
        found = hi <= max_replicas
        if found:
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (lo, mid) if meets(mid) else (mid, hi)
        best = cache[hi] if found else cache[max(cache)]
        price, price_from = gpu_price(scenario, node)
        rows.append(
            {
                "node": node,
                "gpu": load_catalog().node(node).gpu,
                "meets_slo": found,
                "replicas": hi if found else max(cache),
                "gpus": int(best["gpus"]),
                **{k: best[k] for k in slo},
                "wh_per_1k_queries": best["wh_per_query"] * 1000.0,
                "cost_usd_per_1k_queries": best["cost_usd_per_1k_queries"],
                "gpu_hour_usd": price,
                "price_from": price_from,
                "co2_g_per_1k_queries": best["co2_g_per_1k_queries"],
                "simulations": len(cache),
            }
        )
    return pd.DataFrame(rows)
