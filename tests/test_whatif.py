"""Carbon-aware start and power-cap sweep (simcompute.whatif) and their CLI commands."""

import pytest
import yaml

from simcompute import run
from simcompute.cli import main
from simcompute.whatif import best_start, pareto_caps
from tests.conftest import SCENARIOS


def test_best_start_finds_the_low_carbon_hours(scenario_dict):
    """With a daily profile low at midday, a ~1.5 h job saves by starting near noon."""
    scenario_dict["site"].update(grid_profile="us-west-example")
    scenario_dict["site"].pop("carbon_intensity_g_per_kwh")
    scenario_dict["workloads"][0]["tokens"] = "100M"
    w = best_start(scenario_dict, window_s=24 * 3600, step_s=3600)
    assert len(w.table) == 25
    assert 9 * 3600 <= w.best_offset_s <= 14 * 3600
    assert w.co2_best_kg == pytest.approx(w.table["co2_kg"].min())
    assert w.saving_kg > 0.4 * w.co2_now_kg  # 230 g/kWh at midnight vs ~90 at noon


def test_pareto_front_over_caps(scenario_dict):
    scenario_dict["workloads"][0]["tokens"] = "200M"
    table = pareto_caps(scenario_dict, [None, 300, 200, 100])
    assert list(table["time_s"]) == sorted(table["time_s"])  # lower caps: slower
    assert table.loc[table["gpu_power_limit_w"] == 300, "pareto"].item()
    assert not table.loc[table["gpu_power_limit_w"] == 100, "pareto"].item()  # slower and more energy


def test_cli_whatif_commands(tmp_path, capsys, scenario_dict):
    scenario_dict["workloads"][0]["tokens"] = "100M"
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(scenario_dict))
    assert main(["carbon-window", str(path), "--window", "3h"]) == 0
    assert "best start" in capsys.readouterr().out
    assert main(["pareto", str(path), "--caps", "250,300", "--csv"]) == 0
    assert "gpu_power_limit_w" in capsys.readouterr().out
    assert main(["pareto", str(path), "--caps", "x"]) == 2


def test_pareto_mean_gpu_power_leaves_out_idle_and_failed_gpus():
    """llama2-7b-h100 has a `failed` row (idle power); the front reports the workload's power."""
    path = SCENARIOS / "llama2-7b-h100.yaml"
    summary = run(path).summary.set_index("workload")
    assert {"idle", "failed"} <= set(summary.index)
    table = pareto_caps(path, [None])
    assert table["mean_gpu_power_w"].item() == pytest.approx(
        summary.loc["llama-2-7b", "mean_gpu_power_w"], rel=1e-12
    )
    assert table["mean_gpu_power_w"].item() > 500.0
