"""Service-level accounting: energy attribution, queueing theory, shared clusters."""

import numpy as np
import pytest

import simcompute as sc
from simcompute.config import load_scenario
from simcompute.resolve import resolve

J_PER_KWH = 3.6e6


@pytest.mark.parametrize("overrides", [{}, {"chunked_prefill": True, "max_batch_tokens": 256}, {"scheduler": "static"},
                                       {"kv_cache_tokens": 8000, "replicas": 2, "gpus_per_replica": 2}])  # fmt: skip
def test_request_energy_sums_to_service_energy_minus_idle(serving, overrides):
    w = serving["workloads"][0]
    w.update(prompt_tokens={"kind": "lognormal", "mean": 400, "sigma": 0.7}, arrivals={"kind": "poisson", "rate_per_s": 4},
             output_tokens={"kind": "uniform", "low": 1, "high": 200}, **overrides)  # fmt: skip
    res = sc.run(serving)
    slot = resolve(load_scenario(serving)).cluster.slot_power
    row = res.summary.iloc[0]
    idle_j = slot.idle.total_w * row["gpus"] * row["wall_time_s"]
    service_j = row["it_energy_kwh"] * J_PER_KWH
    assert res.requests["energy_j"].sum() == pytest.approx(service_j - idle_j, rel=1e-9)
    assert (res.requests["energy_j"] > 0).all()


def test_mean_wait_matches_md1(serving):
    """Batch size 1 and fixed lengths make a deterministic server: Wq = rho D / (2 (1 - rho))."""
    w = serving["workloads"][0]
    w.update(max_batch_size=1, prompt_tokens=64, output_tokens=16, requests=100_000)
    res1 = sc.run(dict(serving, workloads=[dict(w, requests=1)]))
    service_s = float(res1.requests["e2e_s"].iloc[0])
    rate = 0.6 / service_s
    w["arrivals"] = {"kind": "poisson", "rate_per_s": rate}
    res = sc.run(serving)
    rho = rate * service_s
    theory = rho * service_s / (2 * (1 - rho))
    assert np.allclose(res.requests["e2e_s"] - res.requests["queue_s"], service_s, rtol=1e-9)
    assert res.requests["queue_s"].mean() == pytest.approx(theory, rel=0.03)


def test_training_and_inference_share_the_cluster(serving):
    serving["cluster"]["nodes"] = 2
    serving["workloads"].append({"kind": "training", "name": "train", "model": "llama-7b", "tokens": "20M",
                                 "gpus": 8, "global_batch_tokens": 1048576})  # fmt: skip
    res = sc.run(serving)
    s = res.summary.set_index("workload")
    assert s.loc["chat", "gpus"] == 1 and s.loc["train", "gpus"] == 8
    assert s.loc["total", "it_energy_kwh"] == pytest.approx(s.drop("total")["it_energy_kwh"].sum(), rel=1e-12)
    assert s.loc["total", "gpu_hours"] == pytest.approx(16 * s.loc["total", "wall_time_s"] / 3600, rel=1e-9)
    assert np.isnan(s.loc["train", "ttft_p99_s"]) and s.loc["chat", "ttft_p99_s"] > 0
    ts = res.timeseries
    assert (ts["it_power_kw"] * ts["duration_s"]).sum() / 3600 == pytest.approx(
        s.loc["total", "it_energy_kwh"], rel=1e-6
    )


def test_same_seed_same_results(serving):
    a, b = sc.run(serving), sc.run(serving)
    assert a.requests.equals(b.requests)
