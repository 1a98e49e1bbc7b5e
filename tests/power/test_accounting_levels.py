"""Per-owner power levels on the elementary intervals (`account`'s cumulative-sum path)."""

import numpy as np
import pandas as pd
import pytest

from simcompute.config import load_scenario
from simcompute.power.accounting import _owner_levels, account
from simcompute.resolve import resolve


def test_levels_match_brute_force_and_clip_to_the_run():
    rng = np.random.default_rng(11)
    s, owners, end = 300, 3, 90.0
    t0 = np.round(rng.uniform(-10, 100, s) * 4) / 4  # quarter seconds: exact sums, shared edges
    t1 = t0 + np.round(rng.uniform(0.25, 30, s) * 4) / 4
    watts = rng.uniform(100, 800, s)
    codes = rng.integers(0, owners, s)
    edges = np.unique(np.concatenate([[0.0, end], t0, t1]))
    edges = edges[(edges >= 0) & (edges <= end)]
    levels = _owner_levels(t0, t1, watts, codes, edges, owners)
    mid = 0.5 * (edges[:-1] + edges[1:])
    for o in range(owners):
        on = (t0[:, None] <= mid[None, :]) & (mid[None, :] < t1[:, None]) & (codes == o)[:, None]
        np.testing.assert_allclose(levels[o], watts @ on, rtol=1e-12, atol=1e-9)


def test_owner_energy_is_the_segment_sum():
    scenario = load_scenario("scenarios/quickstart.yaml")
    site = resolve(scenario).site
    rng = np.random.default_rng(5)
    s, end = 500, 400.0
    t0 = rng.uniform(-50, 420, s)
    t1 = t0 + rng.uniform(0, 60, s)
    gpu_w = rng.uniform(50, 700, s)
    codes = rng.integers(0, 2, s)
    power = pd.DataFrame(
        {"owner": pd.Categorical.from_codes(codes, categories=["a", "b"]), "t_start_s": t0, "t_end_s": t1,
         "gpus": 1, "gpu_power_w": gpu_w, "host_power_w": 0.0, "network_power_w": 0.0}
    )  # fmt: skip
    acc = account(site, power, ["a", "b"], end)
    inside = np.clip(t1, 0, end) - np.clip(t0, 0, end)
    for o in range(2):
        assert acc.it_j[o] == pytest.approx(float(np.sum((gpu_w * inside)[codes == o])), rel=1e-12)
