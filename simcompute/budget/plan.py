"""The budget question answered: the lowest-loss plan within the budget, a frontier of loss
against total cost, the training/serving split, a plot, and the chosen plan as a scenario.

Every option is a model (the shape rule's architecture for a parameter count) trained on one
candidate cluster and served on the cheapest candidate GPU type that meets the latency
objective. Its training costs grow linearly with the tokens (`costs.training_rate`) and its
serving costs with the lifetime queries (`costs.serving_rate`), so for each option:

- under the budget, the tokens it can train are the fewest that any limit allows once its
  lifetime serving is paid (gpu_hours, cost_usd, energy_mwh and co2_t bound training plus
  serving; deadline and flops bound training), and its loss is L(N, D') with D' the
  effective tokens when unique tokens are capped. The optimum is the lowest loss; the
  *Chinchilla plan* is the lowest loss when serving is left out of the choice (then paid);
- at a target loss, the tokens each option needs follow from L(N, D) = target, and the
  *inference-aware* plan is the cheapest in total (training + serving; Sardana and Frankle
  2023, arXiv:2401.00448), the Chinchilla plan the cheapest to train.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from simcompute.budget.costs import (
    METRICS,
    ServingRate,
    TrainingRate,
    candidate_hardware,
    scenario_dict,
    serving_rate,
    training_interval,
    training_rate,
)
from simcompute.budget.scaling import (
    FLOPS_PER_PARAM_TOKEN,
    ScalingLaw,
    effective_tokens,
    scaling_law,
    tokens_for_effective,
)
from simcompute.budget.shapes import model_for_params
from simcompute.budget.spec import BudgetSpec, Law, load_budget
from simcompute.catalog import ModelSpec
from simcompute.errors import ConfigError

TOTAL_LIMITS = ("gpu_hours", "cost_usd", "energy_mwh", "co2_t")  # spec fields named as the METRICS
FRONTIER_POINTS = 8
FRONTIER_SPAN = 0.1  # the frontier runs from the optimum's loss to 10% above it


@dataclass(frozen=True)
class Option:
    """A model, the cluster that trains it and the GPU type that serves it."""

    model: ModelSpec
    train: TrainingRate
    serve: ServingRate | None
    queries: float

    @property
    def params(self) -> float:
        return self.model.total_params

    def serving(self) -> dict[str, float]:
        """Lifetime serving totals (zero without demand)."""
        if self.serve is None:
            return dict.fromkeys(METRICS, 0.0)
        return {k: v * self.queries for k, v in self.serve.per_query.items()}

    def training(self, tokens: float) -> dict[str, float]:
        return {k: v * tokens for k, v in self.train.per_token.items()}


def law_of(spec: BudgetSpec) -> ScalingLaw:
    """The spec's scaling law: a bundled one by name, or the user's coefficients."""
    law = spec.scaling_law
    if isinstance(law, Law):
        return ScalingLaw(law.E, law.A, law.B, law.alpha, law.beta, law.source)
    return scaling_law(law)


def candidate_models(spec: BudgetSpec) -> list[ModelSpec]:
    """The shape rule's architectures for `count` log-spaced parameter counts (distinct ones)."""
    c = spec.candidates
    targets = np.geomspace(c.min_params, c.max_params, c.count)
    models = {m.name: m for m in (model_for_params(float(n), spec.training.seq_len) for n in targets)}
    return list(models.values())


def options(spec: BudgetSpec) -> list[Option]:
    """Every model x training GPU type x cluster size that fits (and, with demand, can be served)."""
    demand = spec.inference
    queries = demand.queries_total if demand else 0.0
    hardware = candidate_hardware(spec)
    out = []
    for model in candidate_models(spec):
        serve = None
        if demand is not None:
            served = [s for g, _ in hardware if (s := serving_rate(spec, model, g)) is not None]
            if not served:
                continue  # no GPU type meets the latency objective with this model
            serve = min(served, key=lambda s: (s.per_query["cost_usd"], s.per_query["energy_mwh"]))
        for gpu, sizes in hardware:
            for gpus in sizes:
                rate = training_rate(spec, model, gpu, gpus)
                if rate is not None:
                    out.append(Option(model, rate, serve, queries))
    if not out:
        raise ConfigError(
            "hardware", "no candidate model fits (or meets the latency objective) on these GPUs"
        )
    return out


def max_tokens(spec: BudgetSpec, option: Option, with_serving: bool = True) -> tuple[float, str]:
    """The most tokens `option` can train within every limit, and the limit that binds
    (tokens <= 0: serving alone exceeds it)."""
    limits = spec.budget
    serving = option.serving() if with_serving else dict.fromkeys(METRICS, 0.0)
    bounds = {}
    for metric in TOTAL_LIMITS:
        limit = getattr(limits, metric)
        if limit is not None:
            bounds[metric] = (limit - serving[metric]) / option.train.per_token[metric]
    if limits.deadline is not None:
        bounds["deadline"] = limits.deadline / option.train.wall_s_per_token
    if limits.flops is not None:
        bounds["flops"] = limits.flops / (FLOPS_PER_PARAM_TOKEN * option.params)
    binding = min(bounds, key=bounds.get)
    return bounds[binding], binding


def _row(spec: BudgetSpec, law: ScalingLaw, option: Option, tokens: float, **extra: Any) -> dict[str, Any]:
    train, serve = option.training(tokens), option.serving()
    row = {
        "model": option.model.name, "params": option.params, "tokens": tokens,
        "tokens_per_param": tokens / option.params,
        "loss": law.loss(option.params, effective_tokens(tokens, spec.unique_tokens)) if tokens > 0 else math.inf,
        "train_gpu": option.train.gpu, "train_gpus": option.train.gpus, "layout": option.train.layout,
        "mfu": option.train.mfu, "train_wall_days": option.train.wall_s_per_token * tokens / 86400.0,
        "serve_gpu": option.serve.gpu if option.serve else None,
        "serve_tp": option.serve.tp if option.serve else None,
        "serve_batch": option.serve.batch if option.serve else None,
        "serve_tpot_s": option.serve.tpot_s if option.serve else None,
        "serve_replicas": _replicas(spec, option.serve),
        **{f"train_{k}": v for k, v in train.items()},
        **{f"serve_{k}": v for k, v in serve.items()},
        **{f"total_{k}": train[k] + serve[k] for k in METRICS},
        **extra,
    }  # fmt: skip
    return row


def _replicas(spec: BudgetSpec, serve: ServingRate | None) -> int | None:
    """Replicas that carry the mean load of the lifetime demand (None without demand)."""
    if serve is None or spec.inference is None:
        return None
    per_s = spec.inference.queries_total / (spec.inference.days * 86400.0)
    return max(1, math.ceil(per_s / serve.queries_per_s_per_replica))


@dataclass(frozen=True)
class BudgetPlan:
    """The answer to a budget question.

    `candidates`: every option at the most tokens the budget allows it (feasible ones have
    tokens > 0), lowest loss first; `optimum` and `chinchilla` rows of it; `frontier`: per
    target loss the cheapest plan in total (`aware_*`) and the cheapest to train
    (`chinchilla_*`); `interval`: P10/P50/P90 of the optimum's training.
    """

    spec: BudgetSpec
    law: ScalingLaw
    candidates: pd.DataFrame
    optimum: pd.Series
    chinchilla: pd.Series
    frontier: pd.DataFrame
    interval: dict[str, tuple[float, float, float]]
    option: Option

    def scenario(self) -> dict[str, Any]:
        """The optimum's training run as a scenario mapping (`simcompute run` runs it)."""
        o = self.option
        return scenario_dict(self.spec, o.train.gpu, o.train.gpus, o.model, float(self.optimum["tokens"]))

    def serving_scenario(self, duration: str = "10min") -> dict[str, Any] | None:
        """One serving replica of the plan at its share of the mean load, for `duration`, as a
        scenario (None without demand): the fleet is `serve_replicas` of these."""
        serve, demand = self.option.serve, self.spec.inference
        if serve is None or demand is None:
            return None
        per_s = demand.queries_total / (demand.days * 86400.0) / int(self.optimum["serve_replicas"])
        base = scenario_dict(self.spec, serve.gpu, serve.tp, self.option.model, 1.0)
        service = {
            "kind": "inference", "name": f"serve-{self.option.model.name}",
            "model": base["workloads"][0]["model"], "replicas": 1, "gpus_per_replica": serve.tp,
            "arrivals": {"kind": "poisson", "rate_per_s": per_s}, "prompt_tokens": demand.prompt_tokens,
            "output_tokens": demand.output_tokens, "precision": demand.precision, "duration": duration,
        }  # fmt: skip
        return {**base, "cluster": {**base["cluster"], "nodes": 1}, "workloads": [service]}

    def write_scenario(self, path: str | Path) -> Path:
        """The training scenario at `path`; with demand also the serving one, `<stem>-serving.yaml`."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        o = self.optimum
        head = (
            f"# The plan `simcompute budget` chose for '{self.spec.name}': {o['model']} "
            f"({o['params'] / 1e9:.3g}B params) on {o['tokens'] / 1e9:.4g}B tokens, "
            f"predicted loss {o['loss']:.4f} ({self.law.source.split(',')[0]}).\n"
        )
        path.write_text(head + yaml.safe_dump(self.scenario(), sort_keys=False))
        serving = self.serving_scenario()
        if serving is not None:
            note = (
                f"# One of the plan's {o['serve_replicas']:,} serving replicas at its share of the mean load "
                f"(objective: {self.spec.inference.tpot * 1000:g} ms per output token).\n"
            )
            path.with_name(f"{path.stem}-serving.yaml").write_text(
                note + yaml.safe_dump(serving, sort_keys=False)
            )
        return path

    def plot(self, path: str | Path) -> Path:
        """Loss against total cost: every candidate, both frontiers, the optimum (PNG)."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig, ax = plt.subplots(figsize=(7, 4.5))
        ok = self.candidates[self.candidates["tokens"] > 0]
        ax.scatter(ok["total_cost_usd"], ok["loss"], s=10, c="0.7", label="candidates at the budget")
        f = self.frontier
        ax.plot(f["aware_total_cost_usd"], f["loss"], "o-", label="cheapest in total (inference-aware)")
        ax.plot(f["chinchilla_total_cost_usd"], f["loss"], "s--", label="cheapest to train (Chinchilla)")
        ax.scatter([self.optimum["total_cost_usd"]], [self.optimum["loss"]], marker="*", s=200, c="C3",
                   zorder=5, label="optimum within the budget")  # fmt: skip
        ax.set_xscale("log")
        ax.set_xlabel("total cost, training + serving (USD)")
        ax.set_ylabel("predicted loss (nats/token)")
        ax.set_title(self.spec.name)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(path, dpi=120)
        plt.close(fig)
        return path


def cheapest_for_loss(spec: BudgetSpec, law: ScalingLaw, opts: list[Option], loss: float) -> dict[str, Any]:
    """At `loss`, the option cheapest in total and the one cheapest to train (with its total)."""
    rows = []
    for o in opts:
        tokens = tokens_for_effective(law.tokens_for_loss(o.params, loss), spec.unique_tokens)
        if math.isfinite(tokens):
            rows.append(_row(spec, law, o, tokens))
    if not rows:
        return {}
    aware = min(rows, key=lambda r: (r["total_cost_usd"], r["params"]))
    chin = min(rows, key=lambda r: (r["train_cost_usd"], r["params"]))
    out: dict[str, Any] = {"loss": loss}
    for prefix, r in (("aware", aware), ("chinchilla", chin)):
        for key in (
            "model",
            "params",
            "tokens",
            "train_gpu",
            "train_gpus",
            "serve_gpu",
            "train_cost_usd",
            "serve_cost_usd",
            "total_cost_usd",
            "total_energy_mwh",
            "total_co2_t",
            "total_gpu_hours",
        ):
            out[f"{prefix}_{key}"] = r[key]
    return out


def plan_budget(source: str | Path | dict | BudgetSpec) -> BudgetPlan:
    """Answer a budget spec (a YAML path, a mapping or a `BudgetSpec`): see the module docstring."""
    spec = load_budget(source)
    try:
        return _plan(spec)
    except ConfigError as exc:  # a problem found while costing: name the spec file too
        if exc.source is None and isinstance(source, (str, Path)):
            raise ConfigError(exc.path, exc.message, str(source)) from None
        raise


def _plan(spec: BudgetSpec) -> BudgetPlan:
    law = law_of(spec)
    opts = options(spec)
    rows, chin_rows = [], []
    for o in opts:
        tokens, binding = max_tokens(spec, o)
        rows.append(_row(spec, law, o, max(tokens, 0.0), binding=binding))
        free, free_binding = max_tokens(spec, o, with_serving=False)
        chin_rows.append(_row(spec, law, o, max(free, 0.0), binding=free_binding))
    order = sorted(range(len(rows)), key=lambda i: (rows[i]["loss"], rows[i]["total_cost_usd"]))
    candidates = pd.DataFrame([rows[i] for i in order]).reset_index(drop=True)
    if not math.isfinite(candidates["loss"].iloc[0]):
        raise ConfigError(
            "budget", "no candidate can train at all within the budget once its serving is paid"
        )
    best = order[0]
    chin = min(range(len(chin_rows)), key=lambda i: (chin_rows[i]["loss"], chin_rows[i]["train_cost_usd"]))
    # the Chinchilla plan's model and tokens, served and priced in full
    chinchilla = pd.Series(
        _row(spec, law, opts[chin], chin_rows[chin]["tokens"], binding=chin_rows[chin]["binding"])
    )
    optimum = candidates.iloc[0]
    targets = np.linspace(optimum["loss"], optimum["loss"] * (1.0 + FRONTIER_SPAN), FRONTIER_POINTS)
    frontier = pd.DataFrame([r for L in targets if (r := cheapest_for_loss(spec, law, opts, float(L)))])
    interval = training_interval(opts[best].train, float(optimum["tokens"]), spec.seed)
    return BudgetPlan(spec, law, candidates, optimum, chinchilla, frontier, interval, opts[best])
