"""The whole-run layer: its terms add up, reduce to the achievable step when ideal, follow the
renewal equation of failures and checkpoints, and sample reproducibly."""

import math
import time

import numpy as np
import pytest

from simcompute.realism.params import load_operations
from simcompute.realism.wholerun import (
    TERMS,
    Drivers,
    RunShape,
    evaluate,
    nominal_drivers,
    quantiles,
    sampled_drivers,
)

SHAPE = RunShape(
    steps=200_000,
    step_time_s=8.0,
    exposed_s=0.9,
    gpus=2048,
    gpus_per_node=8,
    params=65e9,
    generation="ampere",
    stack="unknown",
    step_power_w=520.0,
    wait_power_w=260.0,
    idle_power_w=150.0,
)


def _one(**kw) -> Drivers:
    base = dict(
        stack_efficiency=0.8,
        failure_rate_per_gpu_hour=2e-5,
        restart_s=1200.0,
        checkpoint_write_bytes_per_s_per_node=1e9,
        straggler_waste_fraction=0.07,
        evaluation_time_fraction=0.01,
    )
    base.update(kw)
    return Drivers(**{k: np.array([v], dtype=float) for k, v in base.items()})


def test_terms_add_up_to_wall_time_and_energy_exactly():
    run = evaluate(SHAPE, sampled_drivers(SHAPE, 300, seed=3))
    assert set(run.time_s) == set(TERMS) == set(run.energy_kwh)
    wall = np.zeros(300)
    energy = np.zeros(300)
    for t in TERMS:
        assert np.all(run.time_s[t] >= 0) and np.all(run.energy_kwh[t] >= 0)
        wall = wall + run.time_s[t]
        energy = energy + run.energy_kwh[t]
    assert np.array_equal(wall, run.wall_time_s)
    assert np.array_equal(energy, run.it_energy_kwh)
    assert np.allclose(run.gpu_hours, run.wall_time_s * SHAPE.gpus / 3600.0)


def test_energy_is_time_times_power_per_term():
    d = _one(evaluation_time_fraction=0.0)
    run = evaluate(SHAPE, d)
    kwh = SHAPE.gpus / 3.6e6
    assert run.energy_kwh["restarts"][0] == pytest.approx(
        run.time_s["restarts"][0] * SHAPE.idle_power_w * kwh
    )
    assert run.energy_kwh["checkpoints"][0] == pytest.approx(
        run.time_s["checkpoints"][0] * SHAPE.idle_power_w * kwh
    )
    assert run.energy_kwh["failures_lost_work"][0] == pytest.approx(
        run.time_s["failures_lost_work"][0] * SHAPE.step_power_w * kwh
    )
    assert run.energy_kwh["stack_inefficiency"][0] == pytest.approx(
        run.time_s["stack_inefficiency"][0] * SHAPE.step_power_w * kwh
    )
    stragglers_s = run.time_s["other_overheads"][0]  # no evaluation here: all stragglers
    assert run.energy_kwh["other_overheads"][0] == pytest.approx(stragglers_s * SHAPE.wait_power_w * kwh)
    step_energy = SHAPE.steps * SHAPE.step_time_s * SHAPE.step_power_w * kwh
    achieved = run.energy_kwh["achievable_compute"][0] + run.energy_kwh["exposed_communication_bubble"][0]
    assert achieved == pytest.approx(step_energy)


def test_ideal_is_the_achievable_step_alone():
    run = evaluate(SHAPE, nominal_drivers(SHAPE, "ideal"))
    assert run.wall_time_s[0] == pytest.approx(SHAPE.steps * SHAPE.step_time_s)
    assert run.time_s["exposed_communication_bubble"][0] == pytest.approx(SHAPE.steps * SHAPE.exposed_s)
    for t in ("stack_inefficiency", "other_overheads", "checkpoints", "failures_lost_work", "restarts"):
        assert run.time_s[t][0] == 0.0
    assert run.failures[0] == 0.0


def test_wall_time_solves_the_failure_renewal_equation():
    """W = useful + checkpoint stalls + lambda W (restart + (interval + write) / 2)."""
    d = _one()
    run = evaluate(SHAPE, d)
    lam = 2e-5 * SHAPE.gpus / 3600.0
    write_s = load_operations().checkpoint_bytes_per_param * SHAPE.params / (SHAPE.nodes * 1e9)
    tau = run.checkpoint_interval_s[0]
    assert tau == pytest.approx(math.sqrt(2 * write_s / lam))  # Young's interval
    wall = run.wall_time_s[0]
    useful = sum(run.time_s[t][0] for t in TERMS[:4])
    assert wall == pytest.approx(
        useful + run.time_s["checkpoints"][0] + lam * wall * (1200 + 0.5 * (tau + write_s))
    )
    assert run.failures[0] == pytest.approx(lam * wall)
    assert run.checkpoints[0] * tau == pytest.approx(useful)


def test_more_gpus_fail_more_and_a_given_interval_is_kept():
    small = evaluate(SHAPE, _one())
    big_shape = RunShape(**{**SHAPE.__dict__, "gpus": 16384, "steps": SHAPE.steps // 8})
    big = evaluate(big_shape, _one())
    share = lambda r: (r.time_s["failures_lost_work"][0] + r.time_s["restarts"][0]) / r.wall_time_s[0]  # noqa: E731
    assert share(big) > 2 * share(small)
    fixed = evaluate(RunShape(**{**SHAPE.__dict__, "checkpoint_interval_s": 7200.0}), _one())
    assert fixed.checkpoint_interval_s[0] == 7200.0
    assert fixed.time_s["failures_lost_work"][0] > small.time_s["failures_lost_work"][0]


def test_a_job_that_cannot_outrun_its_failures_is_an_error():
    shape = RunShape(**{**SHAPE.__dict__, "gpus": 1_000_000, "checkpoint_interval_s": 36000.0})
    with pytest.raises(ValueError, match="cannot finish"):
        evaluate(shape, _one())


def test_sampling_is_seeded_ordered_and_fast():
    t0 = time.perf_counter()
    a = evaluate(SHAPE, sampled_drivers(SHAPE, 400, seed=11))
    assert time.perf_counter() - t0 < 0.5
    b = evaluate(SHAPE, sampled_drivers(SHAPE, 400, seed=11))
    c = evaluate(SHAPE, sampled_drivers(SHAPE, 400, seed=12))
    assert np.array_equal(a.wall_time_s, b.wall_time_s)
    assert not np.array_equal(a.wall_time_s, c.wall_time_s)
    p10, p50, p90 = quantiles(a.gpu_hours)
    assert p10 < p50 < p90
    ideal = SHAPE.steps * SHAPE.step_time_s * SHAPE.gpus / 3600.0
    assert p10 > ideal  # every sample pays for its stack and operations


def test_stack_efficiency_samples_never_exceed_the_achievable_step():
    d = sampled_drivers(RunShape(**{**SHAPE.__dict__, "stack": "megatron-core"}), 500, seed=1)
    assert np.all(d.stack_efficiency <= 1.0)
    assert np.all(d.straggler_waste_fraction <= 0.5)


def test_relative_samples_centre_on_the_median_run_and_widen_with_the_residual():
    from simcompute.realism.wholerun import relative_samples

    narrow_wall, narrow_energy = relative_samples(SHAPE, 400, 5, 0.0)
    wide_wall, _ = relative_samples(SHAPE, 400, 5, 0.3)
    assert 0.9 < np.median(narrow_wall) < 1.1 and 0.9 < np.median(narrow_energy) < 1.1
    width = lambda x: np.log(np.quantile(x, 0.9) / np.quantile(x, 0.1))  # noqa: E731
    assert width(wide_wall) > width(narrow_wall) > 0
    again, _ = relative_samples(SHAPE, 400, 5, 0.3)
    assert np.array_equal(again, wide_wall)


def test_operations_off_leaves_only_the_stack_and_a_measured_step_keeps_it():
    no_ops = RunShape(**{**SHAPE.__dict__, "operations": False})
    run = evaluate(no_ops, sampled_drivers(no_ops, 50, seed=2))
    for t in ("other_overheads", "checkpoints", "failures_lost_work", "restarts"):
        assert np.all(run.time_s[t] == 0.0)
    assert np.all(run.time_s["stack_inefficiency"] >= 0) and np.any(run.time_s["stack_inefficiency"] > 0)
    measured = RunShape(**{**SHAPE.__dict__, "measured_step": True})
    assert np.all(sampled_drivers(measured, 50, seed=2).stack_efficiency == 1.0)


def test_the_scenarios_own_failures_replace_the_sourced_ones_and_tails_do_not_raise():
    own = RunShape(**{**SHAPE.__dict__, "failure_rate_per_gpu_hour": 1e-4, "restart_s": 300.0})
    d = sampled_drivers(own, 100, seed=4)
    assert np.all(d.failure_rate_per_gpu_hour == 1e-4) and np.all(d.restart_s == 300.0)
    fragile = RunShape(**{**SHAPE.__dict__, "gpus": 200_000, "steps": 2_000})
    with pytest.raises(ValueError, match="cannot finish"):
        evaluate(fragile, _one(failure_rate_per_gpu_hour=1e-4, restart_s=3600.0))
    tails = evaluate(fragile, _one(failure_rate_per_gpu_hour=1e-4, restart_s=3600.0), strict=False)
    assert np.all(np.isfinite(tails.wall_time_s))
    measured = RunShape(**{**SHAPE.__dict__, "measured_step": True})
    assert np.all(sampled_drivers(measured, 20, seed=1).straggler_waste_fraction == 0.0)
