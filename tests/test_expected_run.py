"""`run` gives the expected run by default: its breakdown adds up, its interval brackets it,
`realism: ideal` gives the achievable step, and operations run in the engine."""

import math

import pytest

import simcompute as sc
from simcompute.errors import ConfigError
from simcompute.realism.wholerun import INTERVAL_COLUMNS, JOB_COLUMNS
from tests.conftest import BASE


@pytest.fixture(scope="module")
def base_scenario():
    """The shared small scenario with a bigger job (64 GPUs, 20B tokens) so that failures,
    checkpoints and restarts all occur."""
    job = {**BASE["workloads"][0], "gpus": 64, "tokens": "20B", "global_batch_tokens": 4194304}
    return {**BASE, "cluster": {**BASE["cluster"], "nodes": 8}, "workloads": [job]}


@pytest.fixture(scope="module")
def expected(base_scenario):
    return sc.run(base_scenario)


def test_breakdown_adds_up_to_wall_time_and_energy(expected):
    job = expected.jobs.iloc[0]
    times = sum(job[t] for t, _ in JOB_COLUMNS.values())
    energies = sum(job[e] for _, e in JOB_COLUMNS.values() if e)
    assert times == pytest.approx(job["end_s"] - job["start_s"], rel=1e-12)
    held = times - job["waiting_for_gpus_s"]
    assert held == pytest.approx(job["run_time_s"], rel=1e-12)
    row = expected.summary.set_index("workload").loc[job["workload"]]
    assert energies == pytest.approx(row["it_energy_kwh"], rel=1e-9)
    assert job["stack_inefficiency_s"] > 0 and job["other_overheads_s"] > 0


def test_interval_brackets_the_expected_run(expected):
    row = expected.summary.set_index("workload").iloc[0]
    for col in INTERVAL_COLUMNS:
        p10, p50, p90 = (row[f"{col}_p{q}"] for q in (10, 50, 90))
        assert p10 < p50 < p90
        assert p10 < row[col] < p90
    idle = expected.summary.set_index("workload").loc["idle"]
    assert math.isnan(idle["wall_time_s_p50"])


def test_best_case_is_the_achievable_step(base_scenario, expected):
    ideal = sc.run({**base_scenario, "realism": "ideal"})
    job, exp = ideal.jobs.iloc[0], expected.jobs.iloc[0]
    assert job["mfu"] > exp["mfu"]
    assert job["stack_inefficiency_s"] == 0 and job["other_overheads_s"] == 0
    assert job["failures"] == 0 and "failed" not in set(ideal.summary["workload"])
    assert math.isnan(ideal.summary.iloc[0]["gpu_hours_p50"])


def test_operations_off_keep_the_stack(base_scenario, expected):
    run = sc.run({**base_scenario, "operations": "ideal"})
    job = run.jobs.iloc[0]
    assert job["stack_inefficiency_s"] == pytest.approx(expected.jobs.iloc[0]["stack_inefficiency_s"])
    assert job["other_overheads_s"] == 0 and job["failures"] == 0


def test_default_operations_run_in_the_engine(base_scenario):
    """No `failures:` section: the generation's sourced interruption rate and Young's
    checkpoint interval; a scenario that gives its own failures keeps them."""
    from simcompute.config import load_scenario
    from simcompute.realism.params import load_operations
    from simcompute.resolve import resolve

    resolved = resolve(load_scenario(base_scenario))
    ops = load_operations()
    rate = ops.failure_rate("ampere").median
    assert resolved.operations.failures.gpu_mtbf_h == pytest.approx(1 / rate)
    assert resolved.operations.failures.restart_overhead == ops.detection_and_restart_s.median
    assert resolved.operations.young_checkpoints
    own = {**base_scenario, "failures": {"gpu_mtbf_h": 1000}}
    assert resolve(load_scenario(own)).operations.failures.gpu_mtbf_h == 1000
    job = sc.run(base_scenario).jobs.iloc[0]
    assert job["checkpoints"] > 0 and job["checkpoint_interval_s"] == pytest.approx(
        job["young_daly_interval_s"]
    )


def test_unknown_stack_is_an_error_naming_the_field(base_scenario):
    bad = {**base_scenario, "workloads": [{**base_scenario["workloads"][0], "stack": "megatorn"}]}
    with pytest.raises(ConfigError, match=r"workloads\[0\]\.stack: unknown stack 'megatorn'"):
        sc.run(bad)


def test_same_seed_same_answer(base_scenario, expected):
    again = sc.run(base_scenario)
    assert again.summary.equals(expected.summary) and again.jobs.equals(expected.jobs)


def test_both_layers_are_in_the_jobs_table_and_a_cut_job_has_no_interval(base_scenario, expected):
    job = expected.jobs.iloc[0]
    assert job["achievable_mfu"] > job["mfu"] and job["achievable_step_time_s"] < job["step_time_s"]
    cut = sc.run({**base_scenario, "horizon": "1h"})
    row = cut.summary.iloc[0]
    assert not row["completed"] and math.isnan(row["gpu_hours_p50"])


def test_breakdown_adds_up_when_the_job_waits_for_repairs(base_scenario):
    """Its own failures with day-long repairs and no spare GPUs: the job queues after each."""
    run = sc.run({**base_scenario, "failures": {"gpu_mtbf_h": 200, "repair_time": "6h"}})
    job = run.jobs.iloc[0]
    assert job["failures"] > 0 and job["waiting_for_gpus_s"] > 0
    times = sum(job[t] for t, _ in JOB_COLUMNS.values())
    assert times == pytest.approx(job["end_s"] - job["start_s"], rel=1e-12)
    energies = sum(job[e] for _, e in JOB_COLUMNS.values() if e)
    assert energies == pytest.approx(
        run.summary.set_index("workload").loc[job["workload"], "it_energy_kwh"], rel=1e-9
    )
