"""The expected step keeps the achievable phases and adds the stack's and operations' phases."""

import pytest

from simcompute.perf import Phase, TrainingEstimate
from simcompute.realism.expected import ADDED_PHASES, expected_estimate, step_terms_s

EST = TrainingEstimate(
    step_time_s=10.0,
    tokens_per_step=4_194_304,
    flops_per_token=6 * 7e9,
    gpus=64,
    peak_flops_per_gpu=312e12,
    phases=(
        Phase("compute", 8.0, 0.85, "compute"),
        Phase("dp_communication", 1.0, 0.3, "communication"),
        Phase("pipeline_bubble", 1.0, 0.3, "idle"),
    ),
)


def test_expected_step_adds_three_phases_and_keeps_the_rest():
    exp = expected_estimate(EST, 0.8, 0.01, 0.1, 0.3)
    assert exp.phases[:3] == EST.phases
    assert tuple(p.name for p in exp.phases[3:]) == ADDED_PHASES
    productive = 10.0 / 0.8
    assert exp.phase_time_s("stack_inefficiency") == pytest.approx(productive - 10.0)
    assert exp.phase_time_s("evaluation") == pytest.approx(0.01 * productive)
    assert exp.phase_time_s("stragglers_data_loading") == pytest.approx(productive * 0.1 / 0.9)
    assert exp.step_time_s == pytest.approx(sum(p.time_s for p in exp.phases))
    assert exp.mfu < EST.mfu and exp.mean_activity < EST.mean_activity


def test_step_terms_add_up_to_the_step():
    exp = expected_estimate(EST, 0.7, 0.02, 0.05, 0.3)
    terms = step_terms_s(exp)
    assert sum(terms.values()) == pytest.approx(exp.step_time_s, rel=1e-14)
    assert terms["exposed_communication_bubble"] == pytest.approx(2.0)
    assert terms["achievable_compute"] == pytest.approx(8.0)


def test_ideal_is_unchanged_in_time():
    exp = expected_estimate(EST, 1.0, 0.0, 0.0, 0.3)
    assert exp.step_time_s == pytest.approx(EST.step_time_s)
    with pytest.raises(ValueError, match="stack efficiency"):
        expected_estimate(EST, 1.2, 0.0, 0.0, 0.3)


def test_batch_ramp_costs_the_extra_steps_times_the_fixed_part_of_a_step():
    import math

    from simcompute.realism.expected import batch_ramp_extra_s

    b, b0, r = EST.tokens_per_step, EST.tokens_per_step / 5, 100 * EST.tokens_per_step
    extra_steps = r * math.log(b / b0) / (b - b0) - r / b
    assert batch_ramp_extra_s(EST, r, b0) == pytest.approx(extra_steps * 2.0)  # dp comm + bubble
    assert batch_ramp_extra_s(EST, r, b) == 0.0 and batch_ramp_extra_s(EST, 0.0, b0) == 0.0
    exp = expected_estimate(EST, 0.5, 0.0, 0.0, 0.3, ramp_extra_s_per_step=0.1)
    assert exp.phase_time_s("batch_ramp") == pytest.approx(0.2)
    assert step_terms_s(exp)["other_overheads"] == pytest.approx(0.2)
