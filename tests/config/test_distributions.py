import numpy as np
import pytest

import simcompute as sc
from simcompute.config.distributions import find_distributions, nominal, parse_distribution
from simcompute.errors import ConfigError


@pytest.mark.parametrize(
    ("spec", "mean"),
    [
        ({"dist": "normal", "mean": 1.2, "sd": 0.1}, 1.2),
        ({"dist": "lognormal", "mean": 300.0, "sigma": 0.3}, 300.0),
        ({"dist": "uniform", "low": 1.0, "high": 2.0}, 1.5),
        ({"dist": "triangular", "low": 0.0, "mode": 1.0, "high": 5.0}, 2.0),
    ],
)
def test_sample_means_match(spec, mean):
    dist = parse_distribution("x", spec)
    assert dist.mean == pytest.approx(mean)
    draws = dist.sample(np.random.default_rng(0), 200_000)
    assert draws.mean() == pytest.approx(mean, rel=0.01)


def test_ppf_is_monotone_and_bounded():
    dist = parse_distribution("x", {"dist": "normal", "mean": 1.1, "sd": 0.5, "low": 1.0})
    u = np.linspace(0.001, 0.999, 50)
    x = dist.ppf(u)
    assert np.all(np.diff(x) >= 0) and x.min() >= 1.0


@pytest.mark.parametrize(
    ("spec", "msg"),
    [
        ({"dist": "gauss", "mean": 1}, "x.dist: unknown distribution 'gauss'"),
        ({"dist": "normal", "mean": 1}, "x: normal distribution needs sd"),
        ({"dist": "uniform", "low": 2, "high": 1}, "low must be <= high"),
        ({"dist": "triangular", "low": 0, "mode": 3, "high": 2}, "x.mode: must lie between"),
        ({"dist": "normal", "mean": "a", "sd": 1}, "x.mean: must be a finite number"),
        ({"dist": "normal", "mean": 1, "sd": 1, "sdev": 2}, "unknown key(s) sdev"),
    ],
)
def test_bad_distributions_name_the_field(spec, msg):
    with pytest.raises(ConfigError) as err:
        parse_distribution("x", spec)
    assert msg in str(err.value)


def test_plain_run_uses_the_mean(scenario_dict):
    plain = sc.run(scenario_dict)
    scenario_dict["site"]["pue"] = {"dist": "uniform", "low": 1.1, "high": 1.3}
    assert find_distributions(scenario_dict) and "site.pue" in find_distributions(scenario_dict)
    assert nominal(scenario_dict)["site"]["pue"] == pytest.approx(1.2)
    uncertain = sc.run(scenario_dict)
    assert uncertain.total("facility_energy_kwh") == pytest.approx(plain.total("facility_energy_kwh"))
