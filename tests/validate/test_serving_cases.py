"""The serving validation cases: each is a runnable scenario with its published number and source."""

import pytest

from simcompute.config import load_scenario
from simcompute.validate.serving import SERVING_METRICS, load_serving_cases


@pytest.fixture(scope="module")
def cases():
    return load_serving_cases()[0]


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


def test_skipped_cases_say_why():
    cases, skipped = load_serving_cases()
    assert skipped and {s["id"] for s in skipped}.isdisjoint(c.id for c in cases)
    assert all(len(s["reason"]) > 40 for s in skipped)


def test_estimates_never_use_the_case_itself(cases):
    """Leave-one-out: an engine value estimated for a case comes from other cases only."""
    ids = {c.id for c in cases}
    estimated = [c for c in cases if c.estimate is not None]
    assert estimated
    for c in estimated:
        assert c.id not in c.estimate.from_cases and set(c.estimate.from_cases) <= ids
