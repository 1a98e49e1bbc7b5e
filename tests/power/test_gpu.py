"""GPU power model and the power-cap (DVFS) model."""

import pytest

import simcompute as sc
from simcompute.config import load_scenario
from simcompute.power.gpu import GpuPowerModel, Phase, dynamic_scale
from simcompute.resolve import resolve

GPU = GpuPowerModel(
    idle_w=60.0, limit_w=400.0, compute_activity=0.85, memory_activity=0.45, communication_activity=0.3
)


def apply_power_cap(phases, gpu, cap_w):
    return gpu.with_cap(cap_w).cap_phases(phases)


def test_cap_slows_compute_bound_phase_and_lowers_power_to_the_cap():
    phase = Phase("compute", 1.0, 0.85, "compute")
    (capped,) = apply_power_cap([phase], GPU, 250.0)
    assert capped.time_s > phase.time_s
    assert GPU.power_w(capped.activity) == pytest.approx(250.0)
    f = 1.0 / capped.time_s  # compute-bound: time ~ 1/f
    assert 60 + (GPU.power_w(0.85) - 60) * dynamic_scale(f) == pytest.approx(250.0)


def test_cap_barely_slows_memory_bound_and_leaves_communication_time():
    mem = Phase("decode", 1.0, 1.0, "memory")
    comm = Phase("allreduce", 1.0, 0.2, "communication")
    capped_mem, capped_comm = apply_power_cap([mem, comm], GPU, 250.0)
    compute_slowdown = apply_power_cap([Phase("c", 1.0, 1.0, "compute")], GPU, 250.0)[0].time_s
    assert 1.0 < capped_mem.time_s < 1.0 + 0.2 * (compute_slowdown - 1.0)
    assert capped_comm == comm  # under the cap: unchanged


def test_cap_above_demand_changes_nothing_and_energy_falls_then_rises():
    phases = [Phase("c", 2.0, 0.85, "compute"), Phase("m", 0.5, 0.45, "memory")]
    assert apply_power_cap(phases, GPU, 400.0) == tuple(phases)
    energies = []
    for cap in (400, 300, 200, 100):
        capped = apply_power_cap(phases, GPU, cap)
        energies.append(sum(p.time_s * GPU.power_w(p.activity) for p in capped))
    assert energies[1] < energies[0]  # moderate caps save energy (Zeus, McDonald et al. 2022)
    assert energies[3] > energies[2]  # deep caps cost more energy than they save (idle power)


def test_capped_training_job_takes_longer_and_draws_less(scenario_dict):
    base = sc.run(scenario_dict)
    scenario_dict["workloads"][0]["gpu_power_limit_w"] = 250
    capped = sc.run(scenario_dict)
    job = lambda r: r.summary.set_index("workload").loc["job"]  # noqa: E731
    assert job(capped)["wall_time_s"] > job(base)["wall_time_s"]
    assert job(capped)["mean_gpu_power_w"] < job(base)["mean_gpu_power_w"]
    estimate = resolve(load_scenario(scenario_dict)).jobs[0].estimate
    gpu = resolve(load_scenario(scenario_dict)).cluster.slot_power.gpu
    powers = {p.name: gpu.power_w(p.activity) for p in estimate.phases}
    assert max(powers.values()) == pytest.approx(250.0)  # compute-bound phases sit at the cap
    assert all(p <= 250.0 + 1e-9 for p in powers.values())
    mean_w = sum(p.time_s * gpu.power_w(p.activity) for p in estimate.phases) / estimate.step_time_s
    assert job(capped)["mean_gpu_power_w"] == pytest.approx(mean_w, rel=1e-9)
    step = capped.jobs.iloc[0]
    assert step["step_time_s"] > base.jobs.iloc[0]["step_time_s"]
    assert step["mfu"] < base.jobs.iloc[0]["mfu"]


def test_cluster_cap_applies_and_profile_overrides_power(scenario_dict, tmp_path):
    scenario_dict["cluster"]["gpu_power_limit_w"] = 300
    r = sc.run(scenario_dict)
    phases = resolve(load_scenario(scenario_dict)).jobs[0].estimate.phases
    gpu = resolve(load_scenario(scenario_dict)).cluster.slot_power.gpu
    assert max(gpu.power_w(p.activity) for p in phases) == pytest.approx(300.0)
    assert r.summary.set_index("workload").loc["job", "mean_gpu_power_w"] < 300.0
    profile = tmp_path / "p.yaml"
    profile.write_text(
        "gpu: a100-80gb\nfitted: {idle_power_w: 50, max_power_w: 420, compute_activity: 0.5}\n"
    )
    scenario_dict["cluster"].pop("gpu_power_limit_w")
    r = sc.run(scenario_dict, calibration=str(profile))
    s = r.summary.set_index("workload")
    phases = resolve(load_scenario(scenario_dict), calibration=str(profile)).jobs[0].estimate.phases
    compute = [p for p in phases if p.bound == "compute"]
    assert compute and all(p.activity == pytest.approx(0.5) for p in compute)
    mean_w = sum(p.time_s * (50 + 370 * p.activity) for p in phases) / sum(p.time_s for p in phases)
    assert s.loc["job", "mean_gpu_power_w"] == pytest.approx(mean_w, rel=1e-9)
    assert s.loc["idle", "mean_gpu_power_w"] == pytest.approx(50.0)
