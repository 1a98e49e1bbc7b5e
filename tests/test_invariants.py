"""Physics and accounting invariants that hold for every run (README, "How the numbers are made")."""

import numpy as np
import pytest

import simcompute as sc
from tests.conftest import SCENARIOS

J_PER_KWH = 3.6e6


def _everything(scenario_dict):
    """Training beside a service, node failures, a cooling model and hourly grid and prices."""
    scenario_dict["site"] = {"region": "us-east", "cooling": {}, "grid_profile": "us-west-example",
                             "price_profile": "tou-example", "start": "2023-07-01T00:00"}  # fmt: skip
    scenario_dict["cluster"]["nodes"] = 3
    scenario_dict["failures"] = {"gpu_mtbf_h": 40, "repair_time": "2h", "restart_overhead": "5m"}
    scenario_dict["scheduling"] = {"storage_bandwidth_gbps": 5}
    scenario_dict["workloads"][0]["checkpoint_every"] = "20m"
    scenario_dict["workloads"].append(
        {"kind": "inference", "name": "chat", "model": "llama-2-7b", "replicas": 2, "duration": "3h",
         "arrivals": {"kind": "poisson", "rate_per_s": 2}, "prompt_tokens": 256, "output_tokens": 64}
    )  # fmt: skip


@pytest.fixture(params=["unit", "failures", "two-jobs", "horizon", "everything"])
def result(request, scenario_dict):
    if request.param == "everything":
        _everything(scenario_dict)
    elif request.param == "failures":
        scenario_dict["failures"] = {"gpu_mtbf_h": 30}
        scenario_dict["workloads"][0]["checkpoint_every"] = "15m"
    elif request.param == "two-jobs":
        second = dict(scenario_dict["workloads"][0], name="second", gpus=16, submit_at="20m")
        scenario_dict["workloads"].append(second)
    elif request.param == "horizon":
        scenario_dict["horizon"] = "10m"
    return sc.run(scenario_dict)


def test_timeseries_integrates_to_exact_energy(result):
    ts = result.timeseries
    it_kwh = float((ts["it_power_kw"] * ts["duration_s"]).sum()) / 3600
    fac_kwh = float((ts["facility_power_kw"] * ts["duration_s"]).sum()) / 3600
    assert it_kwh == pytest.approx(result.total("it_energy_kwh"), rel=1e-6)
    assert fac_kwh == pytest.approx(result.total("facility_energy_kwh"), rel=1e-6)


def test_segments_are_the_exact_energy(result):
    p = result.power
    joules = (
        (p["gpu_power_w"] + p["host_power_w"] + p["network_power_w"]) * (p["t_end_s"] - p["t_start_s"])
    ).sum()
    assert joules / J_PER_KWH == pytest.approx(result.total("it_energy_kwh"), rel=1e-12)


def test_rows_add_up_to_total(result):
    s = result.summary
    parts, total = s[s["workload"] != "total"], s[s["workload"] == "total"].iloc[0]
    for col in ("gpu_hours", "it_energy_kwh", "facility_energy_kwh", "co2_kg", "water_l", "cost_usd"):
        assert parts[col].sum() == pytest.approx(total[col], rel=1e-12), col


def test_gpu_hours_add_up(result):
    """Every GPU is either held by a workload or idle, all the time: total = GPUs x time."""
    total_gpus = result.metadata["gpus"]
    assert result.total("gpu_hours") == pytest.approx(
        total_gpus * result.total("wall_time_s") / 3600, rel=1e-12
    )
    for _, job in result.jobs.iterrows():
        row = result.summary.set_index("workload").loc[job["workload"]]
        assert row["gpu_hours"] == pytest.approx(job["gpus"] * job["run_time_s"] / 3600, rel=1e-12)


def test_facility_is_pue_times_it_and_co2_is_energy_times_intensity(result):
    s = result.summary
    if result.metadata["pue"] is None:  # weather-driven cooling: PUE varies, but never below 1
        assert (s["facility_energy_kwh"] >= s["it_energy_kwh"]).all()
        assert ((result.timeseries["pue"] >= 1.0) | (result.timeseries["it_power_kw"] == 0)).all()
        assert (s["water_l"] >= 0).all() and (s["co2_kg"] >= 0).all()
        return
    assert np.allclose(s["facility_energy_kwh"], 1.2 * s["it_energy_kwh"], rtol=1e-12)
    assert np.allclose(s["co2_kg"], s["facility_energy_kwh"] * 0.4, rtol=1e-12)
    assert np.allclose(s["cost_usd"], s["facility_energy_kwh"] * 0.1 + s["gpu_hours"] * 2.0, rtol=1e-12)


def test_idle_gpus_draw_idle_power(result):
    s = result.summary.set_index("workload")
    idle = s.loc["idle"]
    if idle["gpu_hours"] > 0:
        assert idle["mean_gpu_power_w"] == pytest.approx(
            sc.load_catalog().accelerator("a100-80gb").idle_power_w
        )


def test_bundled_quickstart_invariants():
    r = sc.run(SCENARIOS / "quickstart.yaml")
    ts = r.timeseries
    assert float((ts["facility_power_kw"] * ts["duration_s"]).sum()) / 3600 == pytest.approx(
        r.total("facility_energy_kwh"), rel=1e-6
    )


def test_everything_is_deterministic(scenario_dict):
    """Services, failures, cooling and hourly profiles together: same seed, same tables."""
    _everything(scenario_dict)
    a, b = sc.run(scenario_dict), sc.run(scenario_dict)
    for table in ("summary", "timeseries", "jobs", "requests", "events", "power", "cluster"):
        assert getattr(a, table).equals(getattr(b, table)), table
    assert a.jobs["failures"].sum() > 0  # the failures really happen in this scenario
