"""Invariants with a weather-driven PUE and hourly grid profiles: every energy term is an exact
integral, facility >= IT, PUE >= 1, water >= 0, rows add up to the total."""

import numpy as np
import pytest

import simcompute as sc


@pytest.fixture(params=["cooling", "cooling-profiles-two-jobs", "horizon"])
def result(request, scenario_dict):
    scenario_dict["site"] = {"region": "singapore", "cooling": {}, "start": "2023-07-01T10:30"}
    scenario_dict["workloads"][0]["tokens"] = "3B"
    if request.param == "cooling-profiles-two-jobs":
        scenario_dict["site"].update(grid_profile="us-west-example", price_profile="tou-example")
        second = dict(scenario_dict["workloads"][0], name="second", gpus=8, submit_at="5h")
        scenario_dict["workloads"].append(second)
    elif request.param == "horizon":
        scenario_dict["horizon"] = "3.3h"
    return sc.run(scenario_dict)


def test_timeseries_integrates_to_exact_totals(result):
    ts = result.timeseries
    hours = ts["duration_s"] / 3600
    assert float((ts["it_power_kw"] * hours).sum()) == pytest.approx(result.total("it_energy_kwh"), rel=1e-9)
    assert float((ts["facility_power_kw"] * hours).sum()) == pytest.approx(
        result.total("facility_energy_kwh"), rel=1e-9
    )
    assert float((ts["cooling_power_kw"] * hours).sum()) == pytest.approx(
        result.total("cooling_energy_kwh"), rel=1e-9
    )
    assert float(ts["water_l"].sum()) == pytest.approx(result.total("water_l"), rel=1e-9)


def test_facility_at_least_it_pue_at_least_one_water_non_negative(result):
    ts, s = result.timeseries, result.summary
    assert np.all(ts["facility_power_kw"] >= ts["it_power_kw"])
    assert np.all(ts["pue"] >= 1.0)
    assert np.all(ts["water_l"] >= 0)
    assert np.all(s["facility_energy_kwh"] >= s["it_energy_kwh"])
    assert np.all(s[["water_onsite_l", "water_offsite_l", "embodied_co2_kg"]] >= 0)
    assert np.all(s["mean_pue"] >= 1.0)


def test_rows_add_up_to_total(result):
    s = result.summary
    parts, total = s[s["workload"] != "total"], s[s["workload"] == "total"].iloc[0]
    for col in ("facility_energy_kwh", "cooling_energy_kwh", "co2_kg", "embodied_co2_kg", "total_co2_kg",
                "water_onsite_l", "water_offsite_l", "energy_cost_usd", "hardware_cost_usd", "cost_usd"):  # fmt: skip
        assert parts[col].sum() == pytest.approx(total[col], rel=1e-12), col
