"""The serving validation cases: each is a runnable scenario with its published number and source."""

import pytest

from simcompute.config import load_scenario
from simcompute.validate.serving import SERVING_METRICS, load_serving_cases


@pytest.fixture(scope="module")
def cases():
    return load_serving_cases()


def test_cases_cover_every_metric_with_sources(cases):
    assert {c.metric for c in cases} == set(SERVING_METRICS)
    assert len({c.id for c in cases}) == len(cases)
    for c in cases:
        assert "http" in c.source and len(c.locator) > 10 and c.published > 0, c.id


def test_every_case_is_a_valid_scenario(cases):
    for c in cases:
        workload = load_scenario(c.scenario()).workloads[0]
        assert workload.engine == c.engine and workload.kv_cache_dtype == c.kv_cache_dtype
        expected = "poisson" if c.kind == "poisson" else "max_throughput"
        assert workload.arrivals.kind == expected, c.id
