"""plan_budget: the compute-optimal plan, the inference-aware shift, the written scenario."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simcompute as sc
from simcompute.budget.plan import cheapest_for_loss, law_of, options
from simcompute.budget.scaling import scaling_law
from simcompute.budget.spec import load_budget

SITE = {"region": "us-west", "pue": 1.12}
HARDWARE = {"gpus": ["a100-80gb", "h100-sxm"], "cluster_sizes": [256]}


def _spec(**over):
    base = {
        "name": "t",
        "budget": {"cost_usd": 5e6},
        "hardware": HARDWARE,
        "site": SITE,
        "candidates": {"min_params": 3e8, "max_params": 3e10, "count": 12},
    }
    return load_budget({**base, **over})


@pytest.mark.parametrize("flops", [1e21, 1e23, 1e25])
def test_pure_flops_budget_recovers_the_closed_form_allocation(flops):
    """With only a FLOPs budget and Hoffmann's coefficients, the best simulated candidate is the
    closed-form compute-optimal model within 10% (candidates 10% apart, around the optimum)."""
    n_opt, d_opt = scaling_law("hoffmann2022").compute_optimal(flops)
    plan = sc.plan_budget({
        "name": "flops", "budget": {"flops": flops}, "scaling_law": "hoffmann2022", "site": SITE,
        "hardware": {"gpus": ["h100-sxm"], "cluster_sizes": [1024]},
        "candidates": {"min_params": n_opt / 3, "max_params": n_opt * 3, "count": 25},
    })  # fmt: skip
    assert plan.optimum["binding"] == "flops"
    assert plan.optimum["params"] == pytest.approx(n_opt, rel=0.10)
    assert plan.optimum["tokens"] == pytest.approx(d_opt, rel=0.10)


def test_plan_stays_within_every_limit():
    spec = _spec(
        budget={"cost_usd": 2e6, "deadline": "30d", "co2_t": 300},
        inference={"tokens_per_day": "5B", "days": 365, "tpot": "50ms"},
    )
    o = sc.plan_budget(spec).optimum
    assert o["total_cost_usd"] <= 2e6 * (1 + 1e-9)
    assert o["total_co2_t"] <= 300 * (1 + 1e-9)
    assert o["train_wall_days"] <= 30 * (1 + 1e-9)
    assert o["binding"] in ("cost_usd", "deadline", "co2_t")
    assert o["total_cost_usd"] == pytest.approx(o["train_cost_usd"] + o["serve_cost_usd"])


def test_same_input_same_answer():
    spec = _spec(inference={"queries_per_day": 1e6, "days": 100})
    a, b = sc.plan_budget(spec), sc.plan_budget(spec)
    assert a.candidates.equals(b.candidates) and a.frontier.equals(b.frontier)
    assert a.interval == b.interval


def _aware_at(tokens_per_day: float, loss: float):
    spec = _spec(inference={"tokens_per_day": tokens_per_day, "days": 365}) if tokens_per_day else _spec()
    return cheapest_for_loss(spec, law_of(spec), options(spec), loss)


TARGET_LOSS = 2.15  # reachable by every candidate of _spec


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.floats(min_value=0.0, max_value=2e11), st.floats(min_value=0.0, max_value=2e11))
def test_more_demand_means_a_smaller_model_on_more_tokens(d1, d2):
    low, high = sorted((d1, d2))
    a, b = _aware_at(low, TARGET_LOSS), _aware_at(high, TARGET_LOSS)
    assert b["aware_params"] <= a["aware_params"]
    assert b["aware_tokens"] >= a["aware_tokens"]


def test_large_demand_moves_the_optimum_off_chinchilla():
    none, lots = _aware_at(0.0, TARGET_LOSS), _aware_at(1e11, TARGET_LOSS)
    assert none["aware_params"] == none["chinchilla_params"]  # no serving: the cheapest to train
    assert lots["aware_params"] < none["aware_params"]
    assert lots["aware_tokens"] > none["aware_tokens"]


def test_inference_aware_total_never_above_chinchillas_at_the_same_loss():
    plan = sc.plan_budget(_spec(inference={"tokens_per_day": "20B", "days": 365}))
    f = plan.frontier
    assert len(f) > 1
    assert (f["aware_total_cost_usd"] <= f["chinchilla_total_cost_usd"] * (1 + 1e-12)).all()
    assert (f["aware_total_cost_usd"] < f["chinchilla_total_cost_usd"]).any()
    # and within the budget: the plan that counts serving beats the one that leaves it out
    assert plan.optimum["total_cost_usd"] <= 5e6 * (1 + 1e-9) < plan.chinchilla["total_cost_usd"]
    assert plan.optimum["params"] < plan.chinchilla["params"]


def test_written_scenario_runs_and_agrees_with_the_plan(tmp_path):
    """The chosen plan as a scenario: `sc.run` simulates it (the discrete-event engine, with
    failures and checkpoints as events) within 5% of the plan's analytic GPU-hours."""
    plan = sc.plan_budget(_spec(budget={"gpu_hours": 20_000}))
    path = plan.write_scenario(tmp_path / "plan.yaml")
    result = sc.run(path)
    row = result.summary.iloc[0]
    assert bool(row["completed"])
    assert row["gpu_hours"] == pytest.approx(plan.optimum["train_gpu_hours"], rel=0.05)
    assert plan.interval["gpu_hours"][0] < plan.optimum["train_gpu_hours"] < plan.interval["gpu_hours"][2]


def test_plot_is_written(tmp_path):
    path = sc.plan_budget(_spec()).plot(tmp_path / "f.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_data_cap_lowers_what_the_budget_buys():
    free = sc.plan_budget(_spec()).optimum
    capped = sc.plan_budget(_spec(unique_tokens="50B")).optimum
    assert capped["loss"] > free["loss"]


def test_budget_that_serving_alone_exceeds_is_an_error():
    spec = _spec(budget={"cost_usd": 1_000}, inference={"tokens_per_day": "100B", "days": 365})
    with pytest.raises(sc.ConfigError, match="budget: no candidate can train"):
        sc.plan_budget(spec)


def test_one_given_cluster_trains_and_serves():
    plan = sc.plan_budget(_spec(
        hardware={"cluster": {"node": "dgx-a100-80gb", "nodes": 16}},
        inference={"queries_per_day": 1e6, "days": 30},
    ))  # fmt: skip
    assert set(plan.candidates["train_gpu"]) == {"a100-80gb"} == set(plan.candidates["serve_gpu"])
    assert set(plan.candidates["train_gpus"]) == {128}
    price = sc.load_catalog().accelerator("a100-80gb").list_price_usd_per_gpu_hour
    assert plan.scenario()["cluster"] == {
        "node": "dgx-a100-80gb",
        "nodes": 16,
        "fabric": "ib-ndr-400",
        "gpu_hour_usd": price,
    }


def test_serving_scenario_meets_the_objective_at_the_median(tmp_path):
    """One replica at its share of the mean load, simulated by the engine (every request, its
    prefill and decode iterations): the median time per output token is the objective's."""
    spec = _spec(inference={"tokens_per_day": "20B", "days": 365, "tpot": "50ms"})
    plan = sc.plan_budget(spec)
    plan.write_scenario(tmp_path / "plan.yaml")
    row = sc.run(tmp_path / "plan-serving.yaml").summary.iloc[0]
    assert row["requests_completed"] == row["requests"] > 1000
    assert row["tpot_p50_s"] == pytest.approx(0.05, rel=0.15)
