"""Services on the cluster's clock: submitted later, waiting for GPUs, failing, cut by the horizon."""

import numpy as np
import pytest

import simcompute as sc
from simcompute.config import load_scenario
from simcompute.resolve import resolve

J_PER_KWH = 3.6e6


def test_a_service_submitted_at_1h_starts_at_1h(serving):
    serving["workloads"][0]["submit_at"] = "1h"
    res = sc.run(serving)
    job = res.jobs.set_index("workload").loc["chat"]
    assert job["submit_s"] == 3600 and job["start_s"] == 3600 and job["queue_wait_s"] == 0
    assert res.requests["arrival_s"].min() > 3600
    events = res.events[res.events["workload"] == "chat"].set_index("event")["t_s"]
    assert events["submit"] == 3600 and events["start"] == 3600
    # the same stream as a service started at 0, one hour later
    serving["workloads"][0]["submit_at"] = 0
    early = sc.run(serving).requests
    np.testing.assert_allclose(res.requests["e2e_s"], early["e2e_s"], rtol=1e-9)
    # the GPUs were idle (not the service's) for the first hour
    row = res.summary.set_index("workload").loc["chat"]
    assert row["gpu_hours"] == pytest.approx((res.summary.iloc[0]["end_s"] - 3600) / 3600, rel=1e-12)


def test_a_service_waits_for_gpus_held_by_training(serving, tmp_path):
    """Two 8-GPU jobs fill 2 nodes for 100 s; the service (8 replicas) submitted at 10 s starts at 100 s."""
    trace = tmp_path / "jobs.csv"
    trace.write_text("name,submit_s,gpus,duration_s\na,0,8,100\nb,0,8,100\nc,20,8,50\n")
    serving["cluster"]["nodes"] = 2
    serving["scheduling"] = {"jobs": str(trace)}
    serving["workloads"][0].update(submit_at="10s", replicas=8)
    res = sc.run(serving)
    jobs = res.jobs.set_index("workload")
    assert jobs.loc["chat", "start_s"] == 100 and jobs.loc["chat", "queue_wait_s"] == 90
    # c was queued after the service claimed its GPUs: it waits for the other half
    assert jobs.loc["c", "start_s"] == 100
    assert res.requests["arrival_s"].min() > 100


@pytest.fixture
def failing(serving):
    """Two whole-node replicas, nodes failing every ~20 min, repaired after 10 min."""
    serving["cluster"]["nodes"] = 3
    serving["failures"] = {"gpu_mtbf_h": 2.5, "repair_time": "10m", "restart_overhead": "1m"}
    serving["workloads"][0].update(replicas=2, gpus_per_replica=8, requests=None, duration="2h",
                                   arrivals={"kind": "poisson", "rate_per_s": 3})  # fmt: skip
    return serving


def test_node_failures_interrupt_replicas_and_requests_say_what_happened(failing):
    res = sc.run(failing)
    req, job = res.requests, res.jobs.set_index("workload").loc["chat"]
    events = res.events[res.events["workload"] == "chat"]
    failures = events[events["event"] == "failure"]
    assert job["failures"] == len(failures) > 0
    assert job["restarts"] == (events["event"] == "restart").sum() > 0
    # every request has exactly one outcome, counted in the service's row
    counts = req["outcome"].value_counts()
    assert counts.sum() == len(req) == job["requests"]
    assert counts["rerouted"] == job["requests_rerouted"] > 0
    assert counts.get("lost", 0) == job["requests_lost"]
    assert counts["completed"] + counts["rerouted"] == job["requests_completed"]
    assert (req.loc[req["outcome"] == "rerouted", "reroutes"] > 0).all()
    assert np.isfinite(req.loc[req["outcome"].isin(["completed", "rerouted"]), "finish_s"]).all()
    assert np.isnan(req.loc[req["outcome"] == "lost", "finish_s"]).all()
    # the failure events count the requests they moved or lost
    moved = failures["detail"].str.extract(r"rerouted=(\d+) lost=(\d+)").astype(int)
    assert moved[0].sum() == req["reroutes"].sum()
    # the rest of the lost arrived while no replica was up: never routed anywhere
    never_routed = ((req["outcome"] == "lost") & (req["replica"] == -1)).sum()
    assert moved[1].sum() + never_routed == job["requests_lost"]
    # the service held fewer GPU-hours than 16 GPUs x its life: replicas were down
    row = res.summary.set_index("workload").loc["chat"]
    assert row["gpu_hours"] < 16 * row["wall_time_s"] / 3600


def test_energy_invariants_hold_through_failures(failing):
    res = sc.run(failing)
    s = res.summary.set_index("workload")
    p = res.power
    service = p[p["owner"] == "chat"]
    service_j = float(((service["gpu_power_w"] + service["host_power_w"] + service["network_power_w"])
                       * (service["t_end_s"] - service["t_start_s"])).sum())  # fmt: skip
    assert service_j == pytest.approx(s.loc["chat", "it_energy_kwh"] * J_PER_KWH, rel=1e-12)
    # per-request energy = the service's energy minus idle power over the GPU-time it held
    idle_w = resolve(load_scenario(failing)).cluster.slot_power.idle.total_w
    held_gpu_s = float((service["gpus"] * (service["t_end_s"] - service["t_start_s"])).sum())
    assert res.requests["energy_j"].sum() == pytest.approx(service_j - idle_w * held_gpu_s, rel=1e-9)
    assert s.loc["total", "gpu_hours"] == pytest.approx(24 * s.loc["total", "wall_time_s"] / 3600, rel=1e-12)
    assert s.drop("total")["it_energy_kwh"].sum() == pytest.approx(s.loc["total", "it_energy_kwh"], rel=1e-12)
    a, b = sc.run(failing), res
    assert a.requests.equals(b.requests) and a.summary.equals(b.summary)


def test_one_replica_down_loses_its_requests(failing):
    """With a single replica, a failure under it has nowhere to send its requests."""
    failing["workloads"][0]["replicas"] = 1
    res = sc.run(failing)
    job = res.jobs.set_index("workload").loc["chat"]
    assert job["failures"] > 0 and job["requests_lost"] > 0 and job["requests_rerouted"] == 0


def test_the_horizon_cuts_requests_in_flight(serving):
    serving["horizon"] = "31s"
    w = serving["workloads"][0]
    w.update(requests=None, duration="1h")
    res = sc.run(serving)
    req, job = res.requests, res.jobs.set_index("workload").loc["chat"]
    cut = req["outcome"] == "cut_by_horizon"
    assert cut.sum() == job["requests_cut_by_horizon"] > 0
    assert np.isnan(req.loc[cut, "finish_s"]).all()
    assert job["end_s"] == 31 and not job["completed"]


def test_closed_form_matches_reference_through_failures(failing):
    """Failures cut stretches at arbitrary times: closed form and iteration by iteration agree."""
    failing["failures"]["gpu_mtbf_h"] = 0.5
    failing["workloads"][0].update(duration="20m", output_tokens={"kind": "uniform", "low": 1, "high": 200})
    fast = sc.run(failing)
    failing["workloads"][0]["mode"] = "reference"
    slow = sc.run(failing)
    a, b = fast.requests, slow.requests
    assert fast.jobs.set_index("workload").loc["chat", "failures"] > 0
    assert (a["outcome"] == b["outcome"]).all() and (a["reroutes"] == b["reroutes"]).all()
    for col in ("admitted_s", "first_token_s", "finish_s", "energy_j"):
        np.testing.assert_allclose(a[col], b[col], rtol=1e-9)
    assert fast.total("it_energy_kwh") == pytest.approx(slow.total("it_energy_kwh"), rel=1e-9)


def test_a_replica_waits_for_gpus_in_one_node(serving, tmp_path):
    """6 GPUs are free at 10 s but split 3 + 3 over two nodes: a 4-GPU replica waits for a node."""
    trace = tmp_path / "jobs.csv"
    trace.write_text("name,submit_s,gpus,duration_s\na,0,5,100\nb,0,5,200\n")
    serving["cluster"]["nodes"] = 2
    serving["scheduling"] = {"jobs": str(trace)}
    serving["workloads"][0].update(submit_at="10s", gpus_per_replica=4)
    res = sc.run(serving)
    assert res.jobs.set_index("workload").loc["chat", "start_s"] == 100


def test_training_that_needs_the_service_gpus_waits_for_the_service(serving):
    """The whole node for a training job, one GPU for the service: the service claims first
    (services before training), so the job starts when the service gives its GPU back."""
    serving["workloads"].append(
        {"kind": "training", "name": "pretrain", "model": "llama-7b", "tokens": "20M", "gpus": 8,
         "global_batch_tokens": 1048576, "seq_len": 2048}
    )  # fmt: skip
    res = sc.run(serving)
    jobs = res.jobs.set_index("workload")
    service_end = jobs.loc["chat", "end_s"]
    assert jobs.loc["chat", "start_s"] == 0 and service_end > 50
    assert jobs.loc["pretrain", "start_s"] == service_end and jobs.loc["pretrain", "completed"]
    # never more GPUs busy than the node has
    assert res.timeseries["gpus_busy"].max() <= 8 + 1e-9
