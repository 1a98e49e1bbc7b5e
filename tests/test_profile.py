"""Calibration profiles: loading, overrides, and refusal for another GPU type."""

import pytest
import yaml

import simcompute as sc
from simcompute.errors import ConfigError
from simcompute.profile import load_profile


def _profile(tmp_path, gpu="a100-80gb", **fitted):
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump({"gpu": gpu, "provenance": {"device": "test"}, "fitted": fitted}))
    return path


def test_profile_overrides_efficiency_and_power(tmp_path, scenario_dict):
    scenario_dict["operations"] = "ideal"  # run time = the step alone; the stack stays in `base`
    base = sc.run(scenario_dict)
    scenario_dict["calibration"] = str(
        _profile(tmp_path, training_efficiency=0.2, idle_power_w=50.0, max_power_w=300.0)
    )
    result = sc.run(scenario_dict)
    assert result.jobs.iloc[0]["mfu"] == pytest.approx(0.2)
    ratio = base.jobs.iloc[0]["run_time_s"] / result.jobs.iloc[0]["run_time_s"]
    assert ratio == pytest.approx(0.2 / base.jobs.iloc[0]["mfu"], rel=1e-6)
    assert result.metadata["calibration"].endswith("profile.yaml")


def test_profile_for_another_gpu_is_refused(tmp_path, scenario_dict):
    scenario_dict["calibration"] = str(_profile(tmp_path, gpu="h100-sxm"))
    with pytest.raises(ConfigError, match="'h100-sxm' but the cluster's GPU is 'a100-80gb'"):
        sc.run(scenario_dict)


def test_bad_profile_names_field(tmp_path):
    path = _profile(tmp_path, training_efficiency=3.0)
    with pytest.raises(ConfigError, match="training_efficiency"):
        load_profile(path)


def test_missing_profile(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_profile(tmp_path / "nope.yaml")


def test_calibrate_written_fields_load_and_validate(tmp_path):
    path = tmp_path / "p.yaml"
    data = {
        "gpu": "h200",
        "provenance": {"device": "NVIDIA H200", "driver": "550.54.15", "peak_source": "catalog"},
        "energy_available": True,
        "fitted": {"gemm_max_efficiency": 0.8, "gemm_half_size_flops": 1e9, "attention_efficiency": 0.4,
                   "step_overhead_s": 0.002, "peak_tflops": 989.4, "prefill_efficiency": 0.6,
                   "goodness_of_fit": {"step_time_r2": 0.99}},
        "inference": [{"phase": "decode", "time_s": 0.01}],
        "holdout": [{"key": "x", "step_time_error_pct": 3.0}],
    }  # fmt: skip
    path.write_text(yaml.safe_dump(data))
    profile = load_profile(path)
    assert profile.fitted.goodness_of_fit["step_time_r2"] == 0.99
    assert profile.holdout[0]["step_time_error_pct"] == 3.0 and profile.energy_available
    data["fitted"]["attention_efficiency"] = 1.5
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match="attention_efficiency"):
        load_profile(path)
