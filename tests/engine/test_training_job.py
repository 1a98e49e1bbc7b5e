"""Exact timelines of training jobs in the engine."""

import math

import pytest

import simcompute as sc
from simcompute.catalog import load_catalog
from simcompute.config import scenario_from_dict
from simcompute.perf import training_flops_per_token
from simcompute.resolve import resolve


def test_wall_time_matches_closed_form(scenario_dict):
    """Hand check: whole steps of the resolved step time, on all the job's GPUs."""
    result = sc.run(scenario_dict)
    estimate = resolve(scenario_from_dict(scenario_dict)).jobs[0].estimate
    batch = 1048576
    steps = math.ceil(1e9 / batch)
    step_time = estimate.step_time_s
    assert estimate.tokens_per_step == batch
    job = result.summary.iloc[0]
    assert job["wall_time_s"] == pytest.approx(steps * step_time, rel=1e-12)
    assert job["gpu_hours"] == pytest.approx(8 * steps * step_time / 3600, rel=1e-12)
    assert job["mfu"] == pytest.approx(
        training_flops_per_token(estimate_model(), 2048) * batch / (step_time * 8 * 312e12)
    )
    assert job["completed"]


def estimate_model():
    return load_catalog().model("llama-7b")


def test_jobs_queue_for_gpus(scenario_dict):
    """Two 16-GPU jobs on a 16-GPU cluster run one after the other (gang allocation)."""
    first = dict(scenario_dict["workloads"][0], gpus=16, name="a")
    second = dict(first, name="b")
    scenario_dict["workloads"] = [first, second]
    result = sc.run(scenario_dict)
    jobs = result.jobs.set_index("workload")
    assert jobs.loc["a", "start_s"] == 0.0
    assert jobs.loc["b", "start_s"] == pytest.approx(jobs.loc["a", "end_s"])
    assert jobs.loc["b", "queue_wait_s"] == pytest.approx(jobs.loc["a", "run_time_s"])


def test_horizon_cuts_the_run(scenario_dict):
    full = sc.run(scenario_dict).summary.iloc[0]
    scenario_dict["horizon"] = full["wall_time_s"] / 2
    result = sc.run(scenario_dict)
    job = result.jobs.iloc[0]
    assert not job["completed"]
    assert result.total("wall_time_s") == pytest.approx(full["wall_time_s"] / 2)
    assert 0.45 * job["tokens_requested"] < job["tokens_trained"] < 0.55 * job["tokens_requested"]


def test_checkpoints_are_events(scenario_dict):
    scenario_dict["realism"] = "ideal"  # checkpoint mechanics alone: no default failures
    scenario_dict["workloads"][0]["checkpoint_every"] = "5m"
    result = sc.run(scenario_dict)
    wall = result.summary.iloc[0]["wall_time_s"]
    ckpts = result.events[result.events["event"] == "checkpoint"]
    assert len(ckpts) == math.ceil(wall / 300) - 1
    assert ckpts["t_s"].diff().dropna().round(6).eq(300).all()


def test_failures_lose_work_since_checkpoint_and_delay_finish(scenario_dict):
    scenario_dict["realism"] = "ideal"  # the base run has no default failures
    scenario_dict["workloads"][0]["checkpoint_every"] = "10m"
    base = sc.run(scenario_dict).jobs.iloc[0]
    scenario_dict["failures"] = {"gpu_mtbf_h": 20, "restart_overhead": "5m"}  # ~0.4 failures per hour
    result = sc.run(scenario_dict)
    job = result.jobs.iloc[0]
    assert job["failures"] > 0
    events = result.events
    assert (events["event"] == "failure").sum() == job["failures"] == (events["event"] == "restart").sum()
    lost_s = job["lost_work_gpu_hours"] * 3600 / job["gpus"]
    assert lost_s <= job["failures"] * 600 + 1e-6
    assert job["run_time_s"] == pytest.approx(base["run_time_s"] + lost_s + 300 * job["failures"], rel=1e-9)


def test_same_seed_same_results(scenario_dict):
    scenario_dict["failures"] = {"gpu_mtbf_h": 20}
    scenario_dict["workloads"][0]["checkpoint_every"] = "10m"
    a, b = sc.run(scenario_dict), sc.run(scenario_dict)
    for table in ("summary", "timeseries", "jobs", "events", "power"):
        assert getattr(a, table).equals(getattr(b, table)), table
    scenario_dict["seed"] = 2
    c = sc.run(scenario_dict)
    assert not c.events.equals(a.events)


def test_deepseek_v3_scenario_runs_with_expert_parallelism():
    """The bundled DeepSeek-V3 scenario (MoE + MLA, ep = 8) end to end, and its layout search."""
    import yaml

    from tests.conftest import SCENARIOS

    scenario = yaml.safe_load((SCENARIOS / "deepseek-v3-h100.yaml").read_text())
    scenario["workloads"][0]["tokens"] = "10B"
    result = sc.run(scenario)
    job = result.jobs.iloc[0]
    est = resolve(scenario_from_dict(scenario)).jobs[0].estimate
    assert job["completed"] and "ep=8" in job["layout"]
    assert est.phase_time_s("ep_all_to_all") > 0 and est.memory.total_bytes <= 80e9
    model = load_catalog().model("deepseek-v3")
    assert job["flops_per_token"] == training_flops_per_token(model, 4096)
    peak = load_catalog().accelerator("h100-sxm").peak_flops("bf16")
    assert job["mfu"] == pytest.approx(
        job["flops_per_token"] * job["tokens_per_step"] / (job["step_time_s"] * 256 * peak), rel=1e-9
    )
    row = result.summary.iloc[0]
    assert row["gpu_hours"] == pytest.approx(256 * row["wall_time_s"] / 3600, rel=1e-12)
    scenario["workloads"][0]["parallelism"] = "auto"
    auto = sc.run(scenario).jobs.iloc[0]
    assert auto["completed"] and auto["memory_per_gpu_gib"] <= 80
