import numpy as np
import pytest

from simcompute.sweep import LocalExecutor
from simcompute.uncertainty import monte_carlo, sample_runs


def _uncertain(scenario_dict):
    scenario_dict["site"]["pue"] = {"dist": "normal", "mean": 1.2, "sd": 0.05, "low": 1.0}
    scenario_dict["site"]["carbon_intensity_g_per_kwh"] = {
        "dist": "triangular",
        "low": 200,
        "mode": 400,
        "high": 600,
    }
    return scenario_dict


def test_samples_are_seeded(scenario_dict):
    a = sample_runs(_uncertain(scenario_dict), 5)
    b = sample_runs(_uncertain(scenario_dict), 5)
    assert [r.params for r in a] == [r.params for r in b]
    assert len({r.params["site.pue"] for r in a}) == 5


def test_intervals_contain_the_deterministic_value(tmp_path, scenario_dict):
    mc = monte_carlo(_uncertain(scenario_dict), 40, tmp_path, LocalExecutor(jobs=1))
    rows = mc.intervals.set_index("column")
    for col in ("facility_energy_kwh", "co2_kg"):
        row = rows.loc[col]
        assert row["p5"] < row["nominal"] < row["p95"], col
    # PUE drives facility energy; carbon intensity drives CO2 more than PUE does
    drivers = mc.drivers
    top = drivers[drivers["output"] == "facility_energy_kwh"].iloc[0]
    assert top["input"] == "site.pue" and top["spearman_rho"] > 0.95
    co2 = drivers[drivers["output"] == "co2_kg"].set_index("input")["spearman_rho"]
    assert co2["site.carbon_intensity_g_per_kwh"] > co2["site.pue"] > 0
    mc.write(tmp_path / "out")
    assert (tmp_path / "out" / "intervals.csv").exists()


def test_spread_shrinks_to_zero_without_uncertainty(tmp_path, scenario_dict):
    scenario_dict["site"]["pue"] = {"dist": "uniform", "low": 1.2, "high": 1.2}
    mc = monte_carlo(scenario_dict, 4, tmp_path, LocalExecutor(jobs=1))
    row = mc.intervals.set_index("column").loc["facility_energy_kwh"]
    assert row["p5"] == pytest.approx(row["p95"]) == pytest.approx(row["nominal"])
    assert np.isfinite(row["mean"])
