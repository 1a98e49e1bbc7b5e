import pytest

from simcompute.errors import ConfigError
from simcompute.sweep import get_path, parse_path, set_path


def test_parse_path():
    assert parse_path("workloads[0].parallelism.tp") == ["workloads", 0, "parallelism", "tp"]
    assert parse_path("cluster.nodes") == ["cluster", "nodes"]


def test_set_path_copies(scenario_dict):
    out = set_path(scenario_dict, "workloads[0].gpus", 16)
    assert out["workloads"][0]["gpus"] == 16 and scenario_dict["workloads"][0]["gpus"] == 8
    assert get_path(out, "site.region") == "us-west"


def test_new_optional_key_is_allowed(scenario_dict):
    out = set_path(scenario_dict, "cluster.gpu_power_limit_w", 300)
    assert out["cluster"]["gpu_power_limit_w"] == 300


@pytest.mark.parametrize(
    ("path", "hint"),
    [
        ("clustr.nodes", "did you mean 'cluster.nodes'?"),
        ("workloads[3].gpus", "does not exist"),
        ("site.region.x", "cannot set a key below a str"),
    ],
)
def test_unknown_path_names_nearest(scenario_dict, path, hint):
    with pytest.raises(ConfigError) as err:
        set_path(scenario_dict, path, 1)
    assert hint in str(err.value) and path in str(err.value)


def test_get_missing_path_hint(scenario_dict):
    with pytest.raises(ConfigError, match=r"did you mean 'workloads\[0\]\.tokens'"):
        get_path(scenario_dict, "workloads[0].tokns")
