"""Hourly grid profiles, water, embodied carbon, costs and bad profile files."""

import copy

import numpy as np
import pytest

import simcompute as sc
from simcompute.errors import ConfigError

J_PER_KWH = 3.6e6


def test_hourly_carbon_and_price_profiles_integrate_exactly(scenario_dict):
    scenario_dict["site"].update(grid_profile="us-west-example", price_profile="tou-example")
    scenario_dict["site"].pop("carbon_intensity_g_per_kwh")
    scenario_dict["site"].pop("electricity_usd_per_kwh")
    scenario_dict["output"] = {"timeseries_interval": "1h"}
    r = sc.run(scenario_dict)
    ts = r.timeseries
    assert ts["carbon_intensity_g_per_kwh"].nunique() > 5
    kwh = ts["facility_power_kw"] * ts["duration_s"] / 3600
    # hourly rows align with the hourly profile, so these sums are exact
    assert (kwh * ts["carbon_intensity_g_per_kwh"]).sum() / 1000 == pytest.approx(r.total("co2_kg"), rel=1e-9)
    assert (kwh * ts["price_usd_per_kwh"]).sum() == pytest.approx(r.total("energy_cost_usd"), rel=1e-9)
    assert r.total("marginal_co2_kg") > r.total("co2_kg")


BAD_PROFILES = [  # (field, CSV, the error)
    ("grid_profile", "hour,carbon_intensity_g_per_kwh\n0,100\n1,abc\n",
     r"site.grid_profile: .*grid_profile.csv row 3, column 'carbon_intensity_g_per_kwh'"),
    ("price_profile", "hour,price\n0,1\n", r"row 1 \(header\): missing column\(s\) price_usd_per_kwh"),
    ("price_profile", "hour,price_usd_per_kwh\n0,1\n2,1\n", r"row 3, column 'hour': expected 1"),
    ("price_profile", "hour,price_usd_per_kwh\n0,0.12\n1,120\n",  # cents, not dollars
     r"row 3, column 'price_usd_per_kwh': 120 is above 10"),
    ("grid_profile", "hour,carbon_intensity_g_per_kwh\n0,0.4\n1,400000\n",
     r"row 3, column 'carbon_intensity_g_per_kwh': 400000 is above 2000"),
]  # fmt: skip


@pytest.mark.parametrize(("field", "text", "error"), BAD_PROFILES)
def test_bad_profile_csv_names_file_row_and_column(scenario_dict, tmp_path, field, text, error):
    bad = tmp_path / f"{field}.csv"
    bad.write_text(text)
    scenario_dict["site"][field] = str(bad)
    with pytest.raises(ConfigError, match=error):
        sc.run(scenario_dict)


def test_bad_weather_csv_and_missing_climate(scenario_dict, tmp_path):
    bad = tmp_path / "weather.csv"
    bad.write_text("hour,dry_bulb_c,wet_bulb_c\n0,10,8\n1,10,12\n")
    scenario_dict["site"] = {"region": "us-west", "cooling": {"weather_csv": str(bad)}}
    with pytest.raises(
        ConfigError, match=r"site.cooling.weather_csv: .*weather.csv row 3, column 'wet_bulb_c'"
    ):
        sc.run(scenario_dict)
    bad.write_text("hour,dry_bulb_c,wet_bulb_c\n0,10,8\n1,283,280\n")  # kelvin, not Celsius
    with pytest.raises(ConfigError, match=r"row 3, column 'dry_bulb_c': 283 is above 60"):
        sc.run(scenario_dict)
    scenario_dict["site"] = {"region": "world", "cooling": {}}
    with pytest.raises(ConfigError, match="has no bundled climate"):
        sc.run(scenario_dict)
    scenario_dict["site"] = {"region": "us-west", "cooling": {}, "pue": 1.2}
    with pytest.raises(ConfigError, match="either a constant `pue` or a `cooling:`"):
        sc.run(scenario_dict)


def test_embodied_carbon_scales_with_time_held(scenario_dict):
    short = sc.run(scenario_dict)
    scenario_dict["workloads"][0]["tokens"] = "3B"
    long = sc.run(scenario_dict)
    row = lambda r: r.summary.set_index("workload").loc["job"]  # noqa: E731
    ratio = row(long)["gpu_hours"] / row(short)["gpu_hours"]
    assert ratio > 2.5
    assert row(long)["embodied_co2_kg"] / row(short)["embodied_co2_kg"] == pytest.approx(ratio, rel=1e-12)
    # 150 kg per A100 + 2,500 kg per 8-GPU server over 6 years (Luccioni et al. 2022)
    assert row(short)["embodied_co2_kg"] == pytest.approx(
        row(short)["gpu_hours"] * (150 + 2500 / 8) / (6 * 8760)
    )
    assert row(short)["total_co2_kg"] == pytest.approx(row(short)["co2_kg"] + row(short)["embodied_co2_kg"])


def test_owned_cost_mode(scenario_dict):
    scenario_dict["cluster"].pop("gpu_hour_usd")
    scenario_dict["cluster"]["owned"] = {
        "capex_usd_per_node": 200_000, "network_capex_usd_per_node": 20_000,
        "lifetime_years": 5, "colocation_usd_per_kw_month": 150,
    }  # fmt: skip
    r = sc.run(scenario_dict)
    per_gpu_hour = 220_000 / 8 / (5 * 8760) + 150 * (6500 / 8 + 3 * 6.3) / 1000 / 730
    assert r.total("hardware_cost_usd") == pytest.approx(r.total("gpu_hours") * per_gpu_hour, rel=1e-9)
    bad = copy.deepcopy(scenario_dict)
    bad["cluster"]["gpu_hour_usd"] = 2.0
    with pytest.raises(ConfigError, match=r"cluster\.owned"):
        sc.run(bad)


def test_water_onsite_from_cooling_and_offsite_from_grid(scenario_dict):
    scenario_dict["site"] = {"region": "us-east", "cooling": {}, "water_intensity_l_per_kwh": 3.14}
    r = sc.run(scenario_dict)
    s = r.summary.set_index("workload")
    assert np.all(s["water_onsite_l"] > 0) and np.all(s["water_offsite_l"] > 0)
    # Li et al. 2023 Table 1: US off-site water intensity 3.14 L/kWh of electricity
    assert s.loc["total", "water_offsite_l"] == pytest.approx(3.14 * s.loc["total", "facility_energy_kwh"])
    wue = s.loc["total", "water_onsite_l"] / s.loc["total", "it_energy_kwh"]
    assert 1.0 < wue < 3.0  # tower evaporation + blowdown, per IT kWh
