"""Standard (unfused) vs flash attention: the s x s score matrix costs HBM traffic and GEMM time."""

from dataclasses import replace

import pytest

from simcompute.config import scenario_from_dict
from simcompute.errors import ConfigError
from simcompute.perf.layout import Layout
from simcompute.perf.training import (
    STANDARD_ATTENTION_BACKWARD_BYTES,
    STANDARD_ATTENTION_FORWARD_BYTES,
    TrainingSystem,
    estimate_layout,
)
from simcompute.resolve import resolve


def _est(model, system, attention, seq_len, recompute="none"):
    layout = Layout(tp=1, pp=1, dp=8, recompute=recompute, microbatch_size=1)
    sys_ = replace(system, attention=attention)
    return estimate_layout(model, sys_, layout, seq_len=seq_len, sequences=8, precision="bf16")


@pytest.mark.parametrize("seq_len", [512, 2048])
def test_standard_attention_adds_score_traffic(tiny, a100_system, seq_len):
    flash = _est(tiny, a100_system, "flash", seq_len)
    std = _est(tiny, a100_system, "standard", seq_len)
    assert std.step_time_s > flash.step_time_s
    assert std.model_flops_per_step == flash.model_flops_per_step  # same model FLOPs, slower
    # the extra element-wise time is exactly the score-matrix bytes at HBM speed
    acc = a100_system.accelerator
    hbm = acc.hbm_bandwidth_bytes_per_s * a100_system.memory_efficiency
    scores = tiny.layers * seq_len * seq_len * tiny.heads  # one sequence per GPU per step
    extra = (STANDARD_ATTENTION_FORWARD_BYTES + STANDARD_ATTENTION_BACKWARD_BYTES) * scores / hbm
    delta = std.phase_time_s("elementwise") - flash.phase_time_s("elementwise")
    assert delta == pytest.approx(extra, rel=1e-9)


def test_standard_attention_penalty_grows_with_sequence(tiny, a100_system):
    def ratio(s):
        return (
            _est(tiny, a100_system, "standard", s).step_time_s
            / _est(tiny, a100_system, "flash", s).step_time_s
        )

    assert ratio(4096) > ratio(1024) > 1.0


def test_recompute_reruns_the_forward_score_traffic(tiny, a100_system):
    none = _est(tiny, a100_system, "standard", 2048, "none")
    sel = _est(tiny, a100_system, "standard", 2048, "selective")
    acc = a100_system.accelerator
    hbm = acc.hbm_bandwidth_bytes_per_s * a100_system.memory_efficiency
    fwd = STANDARD_ATTENTION_FORWARD_BYTES * tiny.layers * 2048 * 2048 * tiny.heads / hbm
    assert sel.phase_time_s("elementwise") - none.phase_time_s("elementwise") == pytest.approx(fwd, rel=1e-9)


def test_unknown_attention_kind_is_rejected(a100_system):
    with pytest.raises(ValueError, match="attention"):
        TrainingSystem(**{**a100_system.__dict__, "attention": "sparse"})


def test_scenario_attention_field(scenario_dict):
    scenario_dict["workloads"][0]["attention"] = "standard"
    std = resolve(scenario_from_dict(scenario_dict)).jobs[0].estimate
    scenario_dict["workloads"][0]["attention"] = "flash"
    flash = resolve(scenario_from_dict(scenario_dict)).jobs[0].estimate
    assert std.step_time_s > flash.step_time_s
    scenario_dict["workloads"][0]["attention"] = "fused"
    with pytest.raises(ConfigError) as err:
        scenario_from_dict(scenario_dict)
    assert "attention" in err.value.path
