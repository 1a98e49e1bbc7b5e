"""Layouts that do not fit in GPU memory are errors that say how much and suggest one that fits."""

import pytest

from simcompute.config import scenario_from_dict
from simcompute.errors import ConfigError
from simcompute.resolve import resolve


def test_non_fitting_layout_names_need_and_suggests(scenario_dict):
    w = scenario_dict["workloads"][0]
    w["parallelism"] = {"tp": 1, "pp": 1, "zero": 0, "recompute": "none", "microbatch_size": 16}
    with pytest.raises(ConfigError) as err:
        resolve(scenario_from_dict(scenario_dict))
    msg = str(err.value)
    assert err.value.path == "workloads[0].parallelism"
    assert "needs" in msg and "but a100-80gb has 80 GiB" in msg and "activations" in msg
    assert "a layout that fits: tp=" in msg


def test_model_too_large_for_the_gpus(scenario_dict):
    w = scenario_dict["workloads"][0]
    w["model"], w["parallelism"] = "llama-65b", {"tp": 8}
    with pytest.raises(ConfigError, match="no layout of these GPUs fits"):
        resolve(scenario_from_dict(scenario_dict))


def test_auto_with_nothing_fitting(scenario_dict):
    w = scenario_dict["workloads"][0]
    w["model"], w["parallelism"] = "llama-65b", "auto"
    with pytest.raises(ConfigError, match=r"needs .* GiB per GPU"):
        resolve(scenario_from_dict(scenario_dict))
