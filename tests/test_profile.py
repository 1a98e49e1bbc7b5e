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
