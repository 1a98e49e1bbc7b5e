"""What `simcompute run` prints for every bundled scenario: the answer first, in human units,
no line wider than 120 columns, no scientific notation."""

from __future__ import annotations

import re

import pytest

from tests.report.conftest import BUNDLED

E_NOTATION = re.compile(r"\d\.?\d*e[+-]\d", re.IGNORECASE)


@pytest.mark.parametrize("name", BUNDLED)
def test_printed_output_fits_and_reads(bundled_runs, name):
    printed = bundled_runs[name].printed
    lines = printed.splitlines()
    assert max(len(line) for line in lines) <= 120
    assert not E_NOTATION.search(printed)
    assert lines[0] == f"simcompute: {name}"
    assert "total over" in printed and "cost $" in printed


def test_serving_prints_latencies_and_per_query(bundled_runs):
    printed = bundled_runs["llama2-7b-serving"].printed
    answer = printed.split("per workload")[0]  # before the table
    assert re.search(r"TTFT [\d.,]+ / [\d.,]+ ms", answer)
    assert re.search(r"E2E [\d.,]+ / [\d.,]+ ms", answer)
    assert "req/s" in answer and "output tokens/s" in answer
    assert re.search(r"per query: [\d.]+ Wh, [\d.]+ g CO2, \$[\d.]+", answer)


def test_training_prints_the_whole_run_and_cost_split(bundled_runs):
    printed = bundled_runs["quickstart"].printed.split("per workload")[0]
    assert re.search(r"20\.0B tokens on 64 x a100-80gb in 1\d\.\d h, MFU \d\d\.\d%", printed)
    assert "layout: tp=" in printed  # quickstart gives no parallelism: the search picked this one
    assert re.search(r"cost \$[\d,]+ = \$[\d,]+ hardware \+ \$[\d,]+ electricity", printed)
    assert "electricity only" not in printed
    no_price = bundled_runs["gpt3-175b-a100"].printed
    assert "cost is electricity only" in no_price


def test_idle_dominated_total_is_noted(bundled_runs):
    assert (
        "idle time dominates the total" in bundled_runs["shared-cluster"].printed
    )  # a fixed week, window: 7d
    assert "idle time dominates" not in bundled_runs["quickstart"].printed
