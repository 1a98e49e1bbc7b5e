import numpy as np
import pytest
from pydantic import ValidationError

from simcompute.sweep import SweepSpec, expand


def _spec(**kw):
    data = {
        "name": "s",
        "base": {},
        "parameters": {"site.region": ["us-west", "france"], "cluster.nodes": [1, 2, 4]},
    }
    data.update(kw)
    return SweepSpec.model_validate(data)


def test_grid_is_the_full_product(scenario_dict):
    runs = expand(_spec(), scenario_dict)
    assert len(runs) == 6
    assert [(r.params["site.region"], r.params["cluster.nodes"]) for r in runs[:3]] == [
        ("us-west", 1),
        ("us-west", 2),
        ("us-west", 4),
    ]
    assert runs[4].scenario["site"]["region"] == "france" and runs[4].scenario["cluster"]["nodes"] == 2
    assert len({r.run_id for r in runs}) == 6


def test_expansion_is_deterministic(scenario_dict):
    spec = _spec(
        method="lhs", samples=8, parameters={"site.pue": {"dist": "uniform", "low": 1.0, "high": 2.0}}
    )
    a, b = expand(spec, scenario_dict), expand(spec, scenario_dict)
    assert [r.run_id for r in a] == [r.run_id for r in b]


def test_latin_hypercube_hits_every_stratum(scenario_dict):
    n = 20
    spec = _spec(
        method="lhs",
        samples=n,
        parameters={"site.pue": {"dist": "uniform", "low": 1.0, "high": 2.0}, "cluster.nodes": [1, 2, 4, 8]},
    )
    runs = expand(spec, scenario_dict)
    pue = np.array([r.params["site.pue"] for r in runs])
    assert sorted(np.floor((pue - 1.0) * n).astype(int)) == list(range(n))
    counts = np.bincount([[1, 2, 4, 8].index(r.params["cluster.nodes"]) for r in runs])
    assert counts.tolist() == [5, 5, 5, 5]


def test_random_sample_stays_in_range(scenario_dict):
    spec = _spec(
        method="random", samples=50, parameters={"cluster.nodes": {"dist": "uniform", "low": 1, "high": 4}}
    )
    nodes = [r.params["cluster.nodes"] for r in expand(spec, scenario_dict)]
    assert all(isinstance(v, int) and 1 <= v <= 4 for v in nodes)


@pytest.mark.parametrize(
    ("kw", "msg"),
    [
        ({"method": "random"}, "samples"),
        ({"parameters": {"site.pue": {"dist": "uniform", "low": 1, "high": 2}}}, "cannot be swept as a grid"),
        ({"parameters": {"site.pue": []}}, "at least one value"),
    ],
)
def test_bad_specs(kw, msg):
    with pytest.raises(ValidationError, match=msg):
        _spec(**kw)
