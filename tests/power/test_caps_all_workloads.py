"""A GPU power cap applies to every workload kind: training, inference, trace jobs.

Tested through the public API (`simcompute.run`, `resolve`), never through engine internals.
"""

from __future__ import annotations

import pytest

import simcompute as sc
from simcompute.catalog import load_catalog
from simcompute.config import load_scenario, scenario_from_dict
from simcompute.errors import ConfigError
from simcompute.perf.collectives import Link, all_reduce_s
from simcompute.perf.memory import ACTIVATION_BYTES
from simcompute.power.gpu import MIN_CLOCK_FRACTION, dynamic_scale
from simcompute.resolve import resolve
from simcompute.resolve.cluster import resolve_cluster
from simcompute.resolve.training import plan_layouts
from tests.conftest import SCENARIOS

CAP_SHARE = 0.3
"""Caps at idle + 0.3 x (TDP - idle): below the busy power of every workload kind."""


def capped_scenario(path, share: float = CAP_SHARE):
    """A bundled scenario with a cluster cap `share` of the way from idle to TDP, and the cap."""
    data = load_scenario(path).model_dump(mode="python")
    catalog = load_catalog()
    acc = catalog.accelerator(catalog.node(data["cluster"]["node"]).gpu)
    cap = acc.idle_power_w + share * (acc.tdp_w - acc.idle_power_w)
    data["cluster"]["gpu_power_limit_w"] = cap
    return scenario_from_dict(data), cap


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_mean_gpu_power_is_at_most_the_cap_on_every_summary_row(path):
    scenario, cap = capped_scenario(path)
    summary = sc.run(scenario).summary
    power = summary.set_index("workload")["mean_gpu_power_w"].dropna()
    over = power[power > cap * (1 + 1e-9)]
    assert over.empty, f"{path.name}: cap {cap:.1f} W exceeded by {over.to_dict()}"
    work = summary[~summary["workload"].isin(["idle", "failed", "total"])]
    assert work["mean_gpu_power_w"].max() > 0.95 * cap  # the cap binds: uncapped, every kind draws more


def test_the_invariant_covers_every_workload_kind():
    """The bundled scenarios hold training, inference and trace jobs by duration and by model."""
    kinds = set()
    for path in SCENARIOS.glob("*.yaml"):
        r = resolve(capped_scenario(path)[0])
        kinds |= {"training"} if r.jobs else set()
        kinds |= {"inference"} if r.services else set()
        kinds |= {"trace-duration" for j in r.trace_jobs if j.estimate is None}
        kinds |= {"trace-model" for j in r.trace_jobs if j.estimate is not None}
    assert kinds == {"training", "inference", "trace-duration", "trace-model"}


def serving(cap_w: float | None) -> dict:
    data = load_scenario(SCENARIOS / "llama2-7b-serving.yaml").model_dump(mode="python")
    data["workloads"][0]["duration"] = 300.0
    data["cluster"]["gpu_power_limit_w"] = cap_w
    return data


def test_a_cap_slows_prefill_much_and_decode_little_and_caps_service_power():
    base = sc.run(serving(None)).summary.set_index("workload").loc["chat"]
    capped = sc.run(serving(150.0)).summary.set_index("workload").loc["chat"]
    assert base["mean_gpu_power_w"] > 200.0
    assert capped["mean_gpu_power_w"] <= 150.0 * (1 + 1e-9)
    assert capped["ttft_p50_s"] > 1.2 * base["ttft_p50_s"]  # prefill is compute bound: ~1/f
    assert base["tpot_p50_s"] < capped["tpot_p50_s"] < 1.2 * base["tpot_p50_s"]  # decode: HBM bound


def test_capped_step_model_stretches_compute_by_one_over_f_and_caps_activity():
    base = resolve(scenario_from_dict(serving(None))).services[0].perf.step
    r = resolve(scenario_from_dict(serving(150.0)))
    step, power = r.services[0].perf.step, r.cluster.gpu.power
    f = power.clock_fraction(power.compute_activity)
    assert f < 1.0
    assert step.c_tok == pytest.approx(base.c_tok / f, rel=1e-12)
    assert 1.0 < step.m0 / base.m0 < 1.1
    assert (step.k0, step.k_tok) == (base.k0, base.k_tok)  # communication keeps its time
    for tokens in (1, 64, 4096):
        assert power.power_w(step.activity(tokens)) <= 150.0 + 1e-9
    assert power.power_w(step.activity(4096)) == pytest.approx(150.0)
    # f solves idle + dynamic x f v(f)^2 = cap for a compute-bound step
    dynamic = power.power_w(power.compute_activity) - power.idle_w
    assert power.idle_w + dynamic * dynamic_scale(f) == pytest.approx(150.0)


def test_trace_jobs_given_by_duration_are_stretched_and_capped(scenario_dict, tmp_path):
    trace = tmp_path / "jobs.csv"
    trace.write_text("name,submit_s,gpus,duration_s,flops\nd,0,8,3600,\nf,0,8,,1e20\n")
    scenario_dict["scheduling"] = {"jobs": {"path": str(trace)}}
    base = {j.name: j for j in resolve(scenario_from_dict(scenario_dict)).trace_jobs}
    scenario_dict["cluster"]["gpu_power_limit_w"] = 200.0
    r = resolve(scenario_from_dict(scenario_dict))
    power = r.cluster.gpu.power
    for job in r.trace_jobs:
        f = power.clock_fraction(base[job.name].activity)
        assert job.work_s == pytest.approx(base[job.name].work_s / f, rel=1e-12)
        assert power.power_w(job.activity) == pytest.approx(200.0)
    summary = sc.run(scenario_from_dict(scenario_dict)).summary.set_index("workload")
    assert summary.loc[["d", "f"], "mean_gpu_power_w"].max() <= 200.0 * (1 + 1e-9)
    assert summary.loc["d", "wall_time_s"] == pytest.approx(3600.0 / power.clock_fraction(0.85), rel=1e-6)


@pytest.mark.parametrize(
    ("where", "cap", "message"),
    [
        ("cluster", 40.0, "cluster.gpu_power_limit_w: 40 W is below the GPU's idle power (60 W)"),
        ("cluster", 450.0, "cluster.gpu_power_limit_w: 450 W is above the GPU's maximum power limit (400 W)"),
        ("cluster", 70.0, "cluster.gpu_power_limit_w: 70 W is below 85 W, what the GPU draws fully active"),
        ("workload", 450.0, "workloads[0].gpu_power_limit_w: 450 W is above"),
    ],
)
def test_a_cap_that_cannot_apply_is_a_one_line_error_naming_the_field(scenario_dict, where, cap, message):
    target = scenario_dict["cluster"] if where == "cluster" else scenario_dict["workloads"][0]
    target["gpu_power_limit_w"] = cap
    with pytest.raises(ConfigError) as err:
        resolve(scenario_from_dict(scenario_dict))
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_lowest_cap_is_full_activity_at_the_minimum_clock():
    gpu = resolve(load_scenario(SCENARIOS / "quickstart.yaml")).cluster.gpu.power
    assert gpu.min_cap_w == pytest.approx(60.0 + 340.0 * dynamic_scale(MIN_CLOCK_FRACTION))
    capped = gpu.with_cap(gpu.min_cap_w)
    assert capped.power_w(capped.capped_activity(1.0)) == pytest.approx(gpu.min_cap_w)
    assert capped.clock_fraction(1.0) == pytest.approx(MIN_CLOCK_FRACTION)


def test_a_cap_beside_a_measured_busy_power_is_refused(scenario_dict):
    scenario_dict["cluster"].update(measured_power_per_gpu_w=400.0, gpu_power_limit_w=300.0)
    with pytest.raises(ConfigError, match=r"cluster.gpu_power_limit_w: cannot apply beside"):
        resolve(scenario_from_dict(scenario_dict))


def test_inference_tensor_parallel_all_reduce_is_the_collectives_model():
    data = serving(None)
    data["workloads"][0].update(gpus_per_replica=4, replicas=2)
    r = resolve(scenario_from_dict(data))
    step, model = r.services[0].perf.step, r.services[0].model
    link = Link.nvlink(r.cluster.node.nvlink_bandwidth_gbps)
    for tokens in (1, 512):
        ring = all_reduce_s(tokens * model.hidden * ACTIVATION_BYTES, 4, link)
        assert step.k0 + step.k_tok * tokens == pytest.approx(2 * model.layers * ring, rel=1e-12)


def test_layout_search_ranks_layouts_under_the_cap(scenario_dict):
    scenario_dict["cluster"]["gpu_power_limit_w"] = 200.0
    scenario = scenario_from_dict(scenario_dict)
    catalog = load_catalog()
    cluster = resolve_cluster(scenario, catalog, None)
    job = resolve(scenario).jobs[0]
    (same,) = [c for c in plan_layouts(0, scenario.workloads[0], cluster, catalog) if c.layout == job.layout]
    assert same.estimate.step_time_s == pytest.approx(job.estimate.step_time_s, rel=1e-12)
    assert max(cluster.gpu.power.power_w(p.activity) for p in same.estimate.phases) == pytest.approx(200.0)
