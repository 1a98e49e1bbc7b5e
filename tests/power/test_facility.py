"""Cooling model, weather, and the facility energy it gives."""

import copy

import numpy as np
import pytest

import simcompute as sc
from simcompute.power.facility import CoolingModel
from simcompute.power.weather import climate_weather, load_climates, wet_bulb_c


def test_cooling_power_rises_with_temperature_and_pue_at_least_one():
    model = CoolingModel(design_it_w=1e6)
    wet = np.linspace(-10, 30, 81)
    facility, cooling = model.facility_w(np.full_like(wet, 8e5), wet)
    assert np.all(np.diff(cooling) >= 0) and cooling[-1] > cooling[0]
    assert np.all(facility / 8e5 >= 1.0)


def test_chiller_cop_falls_when_hot_and_at_part_load():
    model = CoolingModel(design_it_w=1e6)
    assert model.chiller_cop(30.0, 1.0) < model.chiller_cop(15.0, 1.0)
    assert model.chiller_cop(25.0, 0.2) < model.chiller_cop(25.0, 1.0)


def test_free_cooling_below_threshold():
    model = CoolingModel(design_it_w=1e6)
    parts = model.overhead_w(np.array([5e5]), np.array([model.free_cooling_wet_bulb_c - 1]))
    assert parts["chiller_w"][0] == 0.0


def test_climate_weather_is_plausible():
    """Wet-bulb below dry-bulb; Stull 2011 check value: 20 C at 50 % RH -> 13.7 C wet-bulb."""
    assert float(wet_bulb_c(20.0, 50.0)) == pytest.approx(13.7, abs=0.1)
    w = climate_weather(load_climates()["singapore"])
    assert len(w.dry_bulb_c) == 8760
    assert np.all(w.wet_bulb_c <= w.dry_bulb_c)
    assert 26 < w.dry_bulb_c.mean() < 29


def test_constant_pue_matches_cooling_model_with_same_annual_pue(scenario_dict):
    """A cooling-model year and a constant-PUE year with the same (time-mean) annual PUE agree on
    facility energy within 2% (issue 5 check): weather makes PUE(t) vary, the annual total holds."""
    cooled = copy.deepcopy(scenario_dict)
    cooled["site"] = {"region": "us-east", "cooling": {}, "carbon_intensity_g_per_kwh": 400}
    cooled["horizon"] = "365d"
    cooled["workloads"][0]["tokens"] = "1T"
    cooled["output"] = {"timeseries_interval": "1h"}
    r = sc.run(cooled)
    ts = r.timeseries
    assert ts["pue"].max() - ts["pue"].min() > 0.05  # PUE varies hour by hour
    annual_pue = float(ts["pue"].mean())
    flat = copy.deepcopy(cooled)
    flat["site"] = {"region": "us-east", "pue": annual_pue, "carbon_intensity_g_per_kwh": 400}
    r2 = sc.run(flat)
    assert r2.total("facility_energy_kwh") == pytest.approx(r.total("facility_energy_kwh"), rel=0.02)
