"""`simcompute calibrate` end to end on the CPU with the tiny sweep (seconds)."""

from __future__ import annotations

import sys

import pytest
import yaml

import simcompute as sc
from calibration.cli import catalog_gpu_id
from simcompute.cli import main
from simcompute.errors import ConfigError
from simcompute.profile import load_profile


def _calibrate(out, *extra):
    return main(
        ["calibrate", "--device", "cpu", "--sweep", "tiny", "--out", str(out), "--no-progress", *extra]
    )


def test_cpu_calibration_with_holdout_end_to_end(tmp_path, capsys, scenario_dict):
    out = tmp_path / "cpu.yaml"
    assert _calibrate(out, "--holdout") == 0
    printed = capsys.readouterr().out
    assert "held-out" in printed and "energy: unavailable" in printed
    profile = load_profile(out)
    assert profile.gpu == "cpu" and profile.energy_available is False
    assert "measured" in profile.provenance["peak_source"]
    assert profile.fitted.gemm_max_efficiency is not None and profile.fitted.idle_power_w is None
    assert profile.fitted.goodness_of_fit["step_time_points"] == 7
    assert len(profile.points) == 8 and len(profile.inference) == 2
    (row,) = profile.holdout
    assert row["measured_step_time_s"] > 0 and row["energy_error_pct"] is None  # reported, not asserted tight
    # a CPU profile is refused for a GPU cluster, naming both
    scenario_dict["calibration"] = str(out)
    with pytest.raises(ConfigError, match="'cpu' but the cluster's GPU is 'a100-80gb'"):
        sc.run(scenario_dict)


def test_interrupted_sweep_resumes_and_keeps_its_points(tmp_path, capsys):
    out = tmp_path / "p.yaml"
    assert _calibrate(out, "--no-inference") == 0
    points = out.with_suffix(".points.jsonl")
    lines = points.read_text().splitlines()
    points.write_text("\n".join(lines[:4]) + "\n" + lines[4][:20])  # interrupted mid-write
    assert _calibrate(out, "--no-inference") == 2
    assert "--resume" in capsys.readouterr().err
    assert _calibrate(out, "--no-inference", "--resume") == 0
    assert "3 points already measured, 4 to go" in capsys.readouterr().out
    kept = points.read_text().splitlines()
    assert kept[:4] == lines[:4] and len([x for x in kept if x.startswith("{")]) == 8
    assert len(yaml.safe_load(out.read_text())["points"]) == 7


def test_missing_torch_is_one_line(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "torch", None)
    assert _calibrate(tmp_path / "x.yaml") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "torch is missing" in err and 'pip install -e ".[calibrate]"' in err


@pytest.mark.parametrize(
    ("name", "gpu"),
    [("NVIDIA H200", "h200"), ("NVIDIA A100-SXM4-80GB", "a100-80gb"), ("NVIDIA H100 80GB HBM3", "h100-sxm"),
     ("NVIDIA A100-SXM4-40GB", "a100-40gb"), ("NVIDIA GeForce RTX 4090", None)],
)  # fmt: skip
def test_device_names_map_to_catalog_ids(name, gpu):
    assert catalog_gpu_id(name) == gpu
