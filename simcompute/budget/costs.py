"""What a candidate costs: its training run per token and its lifetime serving, from this
project's own models, analytically (no discrete-event simulation per candidate).

Training: the candidate is written as a scenario (its model, a cluster of the GPU type and
size, the site) and resolved exactly as `simcompute run` resolves it: the layout search picks
the fastest layout that fits (`resolve_training`), the whole-run layer turns the achievable
step into the expected run (stack, stragglers, evaluation, failures, checkpoints, restarts;
`realism.wholerun.evaluate` at every term's median). Its wall time, GPU-hours and IT energy
grow linearly with the tokens (steps), so one evaluation gives the cost per token.

Serving: for each tensor-parallel width that fits, the replica's step model
(`perf.inference.estimate_replica`) sets the largest decode batch `b` (within the KV cache
and `max_batch_size`) whose time per output token, counting the prefills that interleave
with it, meets the objective: t(b) + b prefill_s / output <= tpot. A replica then serves
b / (output t(b) + b prefill_s) queries per second; the lifetime demand needs
queries / that replica-seconds (an elastic fleet: priced per replica-hour), busy at the
decode/prefill activity, at the slot's power (`power.it.SlotPowerModel`).

Energy, CO2, water and money follow the scenarios' chain: facility energy = IT x PUE, CO2 and
off-site water per facility kWh of the region's grid, on-site water per IT kWh (WUE), cost =
GPU-hours x the GPU-hour price + facility kWh x the electricity price.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simcompute.budget.spec import BudgetSpec, Demand
from simcompute.catalog import Catalog, ModelSpec, load_catalog
from simcompute.catalog.precision import compute_precision, kv_cache_dtype
from simcompute.config import Scenario, TrainingWorkload
from simcompute.errors import ConfigError
from simcompute.perf.inference import estimate_replica, prefill_context
from simcompute.power.facility import ConstantPue
from simcompute.realism.residual import load_residuals
from simcompute.realism.wholerun import (
    DEFAULT_SAMPLES,
    RunShape,
    evaluate,
    nominal_drivers,
    quantiles,
    relative_samples,
)
from simcompute.resolve.cluster import ClusterSpec, resolve_cluster
from simcompute.resolve.common import lookup
from simcompute.resolve.site import SiteSpec, resolve_site
from simcompute.resolve.training import resolve_training
from simcompute.units import SECONDS_PER_HOUR

METRICS = ("gpu_hours", "energy_mwh", "co2_t", "cost_usd", "water_l")
"""The totals of every plan (facility energy, operational CO2)."""
SERVING_TP = (1, 2, 4, 8)
MAX_BATCH_SIZE = 256  # vLLM max_num_seqs default, as the scenarios' inference workloads
MAX_BATCH_TOKENS = 8192  # as the scenarios' inference workloads
MEMORY_UTILIZATION = 0.9  # vLLM gpu_memory_utilization default, as the scenarios'


@dataclass(frozen=True)
class Pricing:
    """The site's facility and grid, and the GPU-hour price of one GPU type (None: unknown)."""

    pue: float
    carbon_g_per_kwh: float
    electricity_usd_per_kwh: float
    water_offsite_l_per_kwh: float
    wue_l_per_kwh: float
    gpu_hour_usd: float | None

    def totals(self, gpu_hours: float, it_kwh: float) -> dict[str, float]:
        """The plan metrics of `gpu_hours` drawing `it_kwh` at the IT level."""
        facility_kwh = it_kwh * self.pue
        return {
            "gpu_hours": gpu_hours,
            "energy_mwh": facility_kwh / 1000.0,
            "co2_t": facility_kwh * self.carbon_g_per_kwh / 1e6,
            "cost_usd": gpu_hours * (self.gpu_hour_usd or 0.0) + facility_kwh * self.electricity_usd_per_kwh,
            "water_l": it_kwh * self.wue_l_per_kwh + facility_kwh * self.water_offsite_l_per_kwh,
        }


@dataclass(frozen=True)
class TrainingRate:
    """The expected training run of one model on one cluster, per token trained."""

    gpu: str
    gpus: int
    layout: str
    mfu: float
    wall_s_per_token: float
    per_token: dict[str, float]
    shape: RunShape
    pricing: Pricing


@dataclass(frozen=True)
class ServingRate:
    """The cheapest way to serve one model on one GPU type, per query."""

    gpu: str
    tp: int
    batch: int
    tpot_s: float
    queries_per_s_per_replica: float
    per_query: dict[str, float]


def candidate_hardware(spec: BudgetSpec) -> list[tuple[str, list[int]]]:
    """(GPU type, cluster sizes in GPUs) to train on: the spec's candidates, or its one cluster."""
    fixed = spec.hardware.cluster
    if fixed is None:
        return [(gpu, spec.hardware.cluster_sizes) for gpu in spec.hardware.gpus]
    node = lookup("hardware.cluster.node", load_catalog().node, fixed.node)
    return [(node.gpu, [fixed.nodes * node.gpus_per_node])]


def node_for(spec: BudgetSpec, catalog: Catalog, gpu: str) -> str:
    """The spec's cluster node, else the first catalog node that carries GPU type `gpu`."""
    if spec.hardware.cluster is not None:
        return spec.hardware.cluster.node
    path = "hardware.gpus"
    nodes = catalog.table("nodes")
    match = nodes[nodes["gpu"] == gpu]
    if match.empty:
        have = ", ".join(sorted(set(nodes["gpu"])))
        raise ConfigError(path, f"no catalog node carries GPU '{gpu}' (have: {have})")
    return str(match["id"].iloc[0])


def gpu_price(spec: BudgetSpec, catalog: Catalog, gpu: str) -> float | None:
    """The spec's price for `gpu`, else the catalog's on-demand list price (None if unknown)."""
    own = spec.hardware.gpu_hour_usd or {}
    return own[gpu] if gpu in own else catalog.accelerator(gpu).list_price_usd_per_gpu_hour


def scenario_dict(spec: BudgetSpec, gpu: str, gpus: int, model: ModelSpec, tokens: float) -> dict:
    """A scenario of training `model` on `tokens` tokens with `gpus` GPUs of type `gpu` at the
    spec's site."""
    catalog = load_catalog()
    node = node_for(spec, catalog, gpu)
    gpn = catalog.node(node).gpus_per_node
    cluster: dict = {"node": node, "nodes": -(-gpus // gpn), "fabric": spec.hardware.fabric}
    price = gpu_price(spec, catalog, gpu)
    if price is not None:
        cluster["gpu_hour_usd"] = price
    t = spec.training
    workloads = [{
            "kind": "training", "name": f"train-{model.name}", "model": model.model_dump(exclude_defaults=True),
            "tokens": round(tokens), "gpus": gpus, "global_batch_tokens": float(t.global_batch_tokens),
            "seq_len": t.seq_len, "precision": t.precision, "stack": t.stack,
    }]  # fmt: skip
    return {
        "name": spec.name,
        "seed": spec.seed,
        "site": spec.site.model_dump(mode="json", exclude_defaults=True),
        "cluster": cluster,
        "workloads": workloads,
    }


def _key(spec: BudgetSpec, *fields: str) -> str:
    """What the costs of a spec depend on (a cache key): hardware, site, training and `fields`."""
    return spec.model_dump_json(include={"hardware", "site", "training", *fields})


_CACHE: dict[tuple, object] = {}


def _cached(key: tuple, make: Callable[[], Any]) -> Any:
    if key not in _CACHE:
        _CACHE[key] = make()
    return _CACHE[key]


def _hardware(spec: BudgetSpec, scenario: Scenario, gpu: str) -> tuple[ClusterSpec, SiteSpec, Pricing]:
    """The cluster, site and prices of `scenario` (one of the spec's, on `gpu`)."""
    key = ("hw", _key(spec), gpu, scenario.cluster.nodes)
    return _cached(key, lambda: _make_hardware(spec, scenario, gpu))


def _make_hardware(spec: BudgetSpec, scenario: Scenario, gpu: str) -> tuple[ClusterSpec, SiteSpec, Pricing]:
    catalog = load_catalog()
    try:
        cluster = resolve_cluster(scenario, catalog, None)
    except ConfigError as exc:  # the scenario's `cluster` is the spec's `hardware`
        raise ConfigError(exc.path.replace("cluster", "hardware", 1), exc.message) from None
    site = resolve_site(scenario, catalog, cluster)
    if not isinstance(site.facility, ConstantPue):
        raise ConfigError("site.cooling", "a budget plan prices energy at a constant pue; give site.pue")
    grid = site.grid
    if gpu_price(spec, catalog, gpu) is None:
        raise ConfigError(
            "hardware.gpu_hour_usd", f"no list price is bundled for '{gpu}'; give its price here"
        )
    pricing = Pricing(
        site.facility.pue, grid.carbon_intensity_g_per_kwh, grid.electricity_usd_per_kwh,
        grid.water_intensity_l_per_kwh, site.wue_l_per_kwh, gpu_price(spec, catalog, gpu),
    )  # fmt: skip
    return cluster, site, pricing


def training_rate(spec: BudgetSpec, model: ModelSpec, gpu: str, gpus: int) -> TrainingRate | None:
    """The expected run of `model` on `gpus` x `gpu` per token (None: no layout fits); cached,
    so a layout is searched once per model, GPU type and size."""
    key = ("train", _key(spec), model.model_dump_json(), gpu, gpus)
    return _cached(key, lambda: _training_rate(spec, model, gpu, gpus))


def _training_rate(spec: BudgetSpec, model: ModelSpec, gpu: str, gpus: int) -> TrainingRate | None:
    catalog = load_catalog()
    tokens_ref = 20.0 * model.total_params
    scenario = Scenario.model_validate(scenario_dict(spec, gpu, gpus, model, tokens_ref))
    cluster, _, pricing = _hardware(spec, scenario, gpu)
    workload = scenario.workloads[0]
    assert isinstance(workload, TrainingWorkload)
    try:
        job = resolve_training(0, workload, cluster, catalog, scenario)
    except ConfigError:
        return None  # no layout fits in memory, or none divides the batch
    shape = job.whole_run
    run = evaluate(shape, nominal_drivers(shape))
    tokens = job.n_steps * job.estimate.tokens_per_step
    totals = pricing.totals(float(run.gpu_hours[0]), float(run.it_energy_kwh[0]))
    achievable = job.achievable
    return TrainingRate(
        gpu=gpu, gpus=gpus, layout=job.layout.describe(), mfu=achievable.mfu,
        wall_s_per_token=float(run.wall_time_s[0]) / tokens,
        per_token={k: v / tokens for k, v in totals.items()}, shape=shape, pricing=pricing,
    )  # fmt: skip


def training_interval(rate: TrainingRate, tokens: float, seed: int) -> dict[str, tuple[float, float, float]]:
    """P10/P50/P90 of each metric (and wall time) of training `tokens` tokens: the nominal run
    times the whole-run layer's samples and the residual spread of published runs, as `run` does."""
    residual = load_residuals()["whole-run GPU-hours"]
    time_f, energy_f = relative_samples(rate.shape, DEFAULT_SAMPLES, seed, residual)
    energy_cost = rate.per_token["energy_mwh"] * 1000.0 * rate.pricing.electricity_usd_per_kwh
    hardware_cost = rate.per_token["cost_usd"] - energy_cost
    samples = {
        "wall_time_s": rate.wall_s_per_token * tokens * time_f,
        "gpu_hours": rate.per_token["gpu_hours"] * tokens * time_f,
        "energy_mwh": rate.per_token["energy_mwh"] * tokens * energy_f,
        "co2_t": rate.per_token["co2_t"] * tokens * energy_f,
        "cost_usd": (hardware_cost * time_f + energy_cost * energy_f) * tokens,
    }
    return {k: quantiles(v) for k, v in samples.items()}


def serving_rate(spec: BudgetSpec, model: ModelSpec, gpu: str) -> ServingRate | None:
    """The cheapest tensor-parallel width of `model` on `gpu` meeting the spec's objective,
    per query (None: it fits nowhere or cannot meet the objective); cached."""
    key = ("serve", _key(spec, "inference"), model.model_dump_json(), gpu)
    return _cached(key, lambda: _serving_rate(spec, model, gpu))


def _serving_rate(spec: BudgetSpec, model: ModelSpec, gpu: str) -> ServingRate | None:
    demand = spec.inference
    assert demand is not None
    catalog = load_catalog()
    node = catalog.node(node_for(spec, catalog, gpu))
    scenario = Scenario.model_validate(
        scenario_dict(spec, gpu, node.gpus_per_node, model, model.total_params)
    )
    cluster, _, pricing = _hardware(spec, scenario, gpu)
    best: ServingRate | None = None
    for tp in (t for t in SERVING_TP if t <= node.gpus_per_node and model.heads % t == 0):
        found = _replica(model, cluster, node, tp, demand)
        if found is None:
            continue
        batch, step_s, prefill_s, activity = found
        cycle_s = demand.output_tokens * step_s + batch * prefill_s
        qps = batch / cycle_s
        gpu_hours = tp / qps / SECONDS_PER_HOUR
        it_kwh = gpu_hours * cluster.slot_power.at(activity).total_w / 1000.0
        per_query = pricing.totals(gpu_hours, it_kwh)
        if best is None or per_query["cost_usd"] < best.per_query["cost_usd"]:
            tpot = step_s + batch * prefill_s / demand.output_tokens
            best = ServingRate(gpu, tp, batch, tpot, qps, per_query)
    return best


def _replica(
    model: ModelSpec, cluster: ClusterSpec, node, tp: int, demand: Demand
) -> tuple[int, float, float, float] | None:
    """(decode batch, decode step s, prefill s, mean busy activity) of the largest batch that
    meets the objective, or None."""
    engine = load_catalog().engine("generic")
    try:  # a format the GPU lacks (CatalogError) or a model that does not fit: not a candidate
        perf = estimate_replica(
            model, cluster.gpu, node, engine, tp=tp, precision=demand.precision,
            compute_precision=compute_precision(demand.precision, "auto", cluster.accelerator),
            kv_cache_dtype=kv_cache_dtype("auto", demand.precision, engine.kv_cache_dtype_quantized),
            max_batch_size=MAX_BATCH_SIZE, max_batch_tokens=MAX_BATCH_TOKENS,
            memory_utilization=MEMORY_UTILIZATION,
        )  # fmt: skip
    except ValueError:
        return None
    step = perf.step
    prompt, output = demand.prompt_tokens, demand.output_tokens
    ctx = prompt + output / 2.0  # mean context a decoding sequence attends to
    prefill_s = step.step_time_s(prompt, prefill_context(prompt, 0), 0.0, 1)

    def tpot(b: int) -> float:
        return step.step_time_s(b, b * ctx, b * ctx, b) + b * prefill_s / output

    top = min(MAX_BATCH_SIZE, perf.kv_capacity_tokens // (prompt + output))
    if top < 1 or tpot(1) > demand.tpot:
        return None
    lo, hi = 1, top  # tpot grows with the batch: the largest b with tpot(b) <= objective
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if tpot(mid) <= demand.tpot else (lo, mid - 1)
    step_s = step.step_time_s(lo, lo * ctx, lo * ctx, lo)
    decode_share = output * step_s / (output * step_s + lo * prefill_s)
    activity = decode_share * step.activity(lo) + (1.0 - decode_share) * step.activity(prompt)
    return lo, step_s, prefill_s, activity
