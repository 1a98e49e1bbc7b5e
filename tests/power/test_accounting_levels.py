"""`account` on segments: the total power level per elementary interval and per-owner totals."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from simcompute.config import load_scenario
from simcompute.power.accounting import _edges, _total_level, account
from simcompute.resolve import resolve


@pytest.fixture(scope="module")
def site():
    return resolve(load_scenario("scenarios/quickstart.yaml")).site


def test_total_level_matches_brute_force_and_clips_to_the_run():
    rng = np.random.default_rng(11)
    s, end = 300, 90.0
    t0 = np.round(rng.uniform(-10, 100, s) * 4) / 4  # quarter seconds: exact sums, shared edges
    t1 = t0 + np.round(rng.uniform(0.25, 30, s) * 4) / 4
    watts = rng.uniform(100, 800, s)
    edges = np.unique(np.concatenate([[0.0, end], t0, t1]))
    edges = edges[(edges >= 0) & (edges <= end)]
    level = _total_level(np.searchsorted(edges, t0), np.searchsorted(edges, t1), watts, len(edges))
    mid = 0.5 * (edges[:-1] + edges[1:])
    on = (t0[:, None] <= mid[None, :]) & (mid[None, :] < t1[:, None])
    np.testing.assert_allclose(level, watts @ on, rtol=1e-12, atol=1e-9)


def segments(rng, s, owners, end):
    t0 = rng.uniform(-0.1 * end, 1.05 * end, s)
    t1 = t0 + rng.uniform(0, 0.15 * end, s)
    gpu_w = rng.uniform(50, 700, s)
    codes = rng.integers(0, owners, s)
    names = [f"o{i}" for i in range(owners)]
    power = pd.DataFrame(
        {"owner": pd.Categorical.from_codes(codes, categories=names), "t_start_s": t0, "t_end_s": t1,
         "gpus": 1, "gpu_power_w": gpu_w, "host_power_w": 0.0, "network_power_w": 0.0}
    )  # fmt: skip
    return power, names, np.clip(t1, 0, end) - np.clip(t0, 0, end), gpu_w, codes


def test_owner_totals_are_the_segment_sums(site):
    power, names, inside, gpu_w, codes = segments(np.random.default_rng(5), 500, 2, 400.0)
    acc = account(site, power, names, 400.0)
    for o in range(2):
        mine = codes == o
        assert acc.it_j[o] == pytest.approx(float(np.sum((gpu_w * inside)[mine])), rel=1e-12)
        # constant PUE: facility energy is IT energy x PUE, owner by owner
        assert acc.facility_j[o] == pytest.approx(acc.it_j[o] * site.facility.pue, rel=1e-9)


def test_many_owners_without_an_owners_by_intervals_matrix(site):
    # 20,000 owners x ~80,000 elementary intervals would need 12 GB as a dense matrix
    power, names, inside, gpu_w, codes = segments(np.random.default_rng(9), 40_000, 20_000, 86400.0)
    acc = account(site, power, names, 86400.0)
    expected = np.bincount(codes, weights=gpu_w * inside, minlength=20_000)
    np.testing.assert_allclose(acc.it_j, expected, rtol=1e-12)
    assert acc.facility_j.sum() == pytest.approx(acc.it_j.sum() * site.facility.pue, rel=1e-9)


def test_edges_are_every_change_point_in_the_run():
    # a contiguous timeline (each end is the next start), then overlapping, gapped segments
    rng = np.random.default_rng(3)
    timeline = np.cumsum(rng.uniform(0.1, 2.0, 400))
    t0 = np.concatenate([timeline[:-1], rng.uniform(-5, 700, 200)])
    t1 = np.concatenate([timeline[1:], t0[399:] + rng.uniform(0, 50, 200)])
    end, bounds = 600.0, np.array([100.0, 250.5])
    expected = np.unique(np.concatenate([[0.0, end], t0, t1, bounds]))
    expected = expected[(expected >= 0) & (expected <= end)]
    np.testing.assert_array_equal(_edges(t0, t1, end, bounds), expected)
    assert _edges(t0[:0], t1[:0], end, bounds[:0]).tolist() == [0.0, end]


@pytest.mark.parametrize("offset_s", [0.0, 1234.5])
def test_constant_pue_totals_and_series_match_the_elementary_intervals(offset_s):
    # hourly intensity and price profiles: segments that cross hour boundaries are split
    from simcompute.power.accounting import _account_intervals

    cfg = yaml.safe_load(Path("scenarios/carbon-window.yaml").read_text())
    cfg["site"]["marginal_carbon_intensity_g_per_kwh"] = 650.0
    site = resolve(load_scenario(cfg)).site
    power, names, _inside, _gpu_w, _codes = segments(np.random.default_rng(17), 3000, 3, 20 * 3600.0)
    linear = account(site, power, names, 20 * 3600.0, offset_s)
    exact = _account_intervals(site, power, names, 20 * 3600.0, offset_s)
    totals = ("it_j", "facility_j", "cooling_j", "co2_kg", "marginal_co2_kg", "energy_cost_usd", "water_onsite_l",
              "water_offsite_l")  # fmt: skip
    for total in totals:
        np.testing.assert_allclose(getattr(linear, total), getattr(exact, total), rtol=1e-11, err_msg=total)
    edges = np.linspace(0.0, 20 * 3600.0, 37)
    from simcompute.integrate import interval_means

    it_w = interval_means(power["t_start_s"], power["t_end_s"], power["gpu_power_w"].to_numpy(), edges)
    got, want = linear.site.means(edges, it_w), exact.site.means(edges, it_w)
    for name, values in want.items():
        np.testing.assert_allclose(got[name], values, rtol=1e-10, atol=1e-9, err_msg=name)
