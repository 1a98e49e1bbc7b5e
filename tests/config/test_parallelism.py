"""The `parallelism:` block: derived dp, shorthand `auto`, errors that name the field."""

import copy

import pytest

from simcompute.config import scenario_from_dict
from simcompute.errors import ConfigError
from simcompute.resolve import resolve


def _with(scenario_dict, **par):
    scenario_dict["workloads"][0]["parallelism"] = par
    return scenario_dict


def test_dp_is_derived(scenario_dict):
    s = scenario_from_dict(_with(scenario_dict, tp=2))
    assert s.workloads[0].dp == 4


def test_auto_shorthand_resolves_to_a_layout(scenario_dict):
    scenario_dict["workloads"][0]["parallelism"] = "auto"
    job = resolve(scenario_from_dict(scenario_dict)).jobs[0]
    assert job.layout.gpus == 8
    assert job.estimate.memory.total_bytes <= 80e9


@pytest.mark.parametrize(
    ("par", "field", "stage"),
    [
        ({"tp": 3}, "workloads[0].parallelism", "config"),  # does not divide the GPUs
        ({"tp": 2, "pp": 2, "dp": 4}, "workloads[0].parallelism.dp", "config"),
        ({"microbatch_size": 3}, "workloads[0].parallelism.microbatch_size", "config"),
        ({"sequence_parallel": True}, "workloads[0].parallelism.sequence_parallel", "config"),
        ({"pp": 2, "zero": 3}, "workloads[0].parallelism.zero", "config"),
        ({"tp": 8, "pp": 1}, None, "ok"),
        (
            {"pp": 8, "virtual_pp": 8},
            "workloads[0].parallelism.virtual_pp",
            "resolve",
        ),  # 64 stages, 32 layers
        ({"pp": 8, "virtual_pp": 3}, "workloads[0].parallelism.virtual_pp", "resolve"),
        ({"ep": 2}, "workloads[0].parallelism.ep", "resolve"),  # dense model
        ({"ep_overlap_fraction": 0.5}, "workloads[0].parallelism.ep_overlap_fraction", "config"),  # ep = 1
        ({"ep_overlap_fraction": 1.5}, "workloads[0].parallelism.ep_overlap_fraction", "config"),
    ],
)
def test_layout_errors_name_the_field(scenario_dict, par, field, stage):
    data = _with(scenario_dict, **par)
    if stage == "ok":
        resolve(scenario_from_dict(data))
        return
    with pytest.raises(ConfigError) as err:
        resolve(scenario_from_dict(data))
    assert err.value.path == field


def test_tp_must_divide_heads(scenario_dict):
    scenario_dict["workloads"][0]["model"] = {"layers": 4, "hidden": 768, "heads": 12, "vocab": 1000}
    with pytest.raises(ConfigError) as err:
        resolve(scenario_from_dict(_with(scenario_dict, tp=8)))
    assert err.value.path == "workloads[0].parallelism.tp"
    assert "12 attention heads" in str(err.value)


def test_pp_must_divide_layers(scenario_dict):
    scenario_dict["workloads"][0]["model"] = {"layers": 6, "hidden": 768, "heads": 12, "vocab": 1000}
    scenario_dict["workloads"][0]["gpus"] = 5
    scenario_dict["workloads"][0]["global_batch_tokens"] = 2048 * 5
    with pytest.raises(ConfigError) as err:
        resolve(scenario_from_dict(_with(scenario_dict, pp=5)))
    assert err.value.path == "workloads[0].parallelism.pp"


def test_batch_must_divide(scenario_dict):
    scenario_dict["workloads"][0]["global_batch_tokens"] = 2048 * 12
    scenario_dict["workloads"][0]["parallelism"] = {"tp": 1}  # omitted, the layout search would pick one
    with pytest.raises(ConfigError) as err:
        scenario_from_dict(scenario_dict)
    assert err.value.path == "workloads[0].parallelism.dp"
    assert "12 sequences" in str(err.value)


def test_bad_shorthand(scenario_dict):
    scenario_dict["workloads"][0]["parallelism"] = "fast"
    with pytest.raises(ConfigError, match="auto"):
        scenario_from_dict(scenario_dict)


def test_ep_overlap_fraction_reaches_the_estimate(scenario_dict):
    """A schedule that hides expert all-to-alls (DualPipe-style) shortens the step."""
    scenario_dict["workloads"][0]["model"] = {
        "layers": 4, "hidden": 512, "heads": 8, "vocab": 1000, "experts": 16, "experts_per_token": 2,
    }  # fmt: skip
    scenario_dict["workloads"][0]["gpus"] = 16  # ep spans both nodes
    steps = {}
    for f in (0.0, 1.0):
        data = _with(copy.deepcopy(scenario_dict), ep=16, ep_overlap_fraction=f)
        est = resolve(scenario_from_dict(data)).jobs[0].estimate
        steps[f] = (est.step_time_s, est.phase_time_s("ep_all_to_all"))
    assert steps[1.0][1] < steps[0.0][1]
    assert steps[1.0][0] < steps[0.0][0]
