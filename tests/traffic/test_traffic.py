"""Arrival processes, length distributions and trace files (errors name file, row and column)."""

import numpy as np
import pandas as pd
import pytest
import yaml

import simcompute as sc
from simcompute.config.inference import (
    BurstyArrivals,
    DiurnalArrivals,
    EmpiricalLength,
    LognormalLength,
    PoissonArrivals,
)
from simcompute.errors import ConfigError
from simcompute.traffic import arrival_times, read_trace, sample_lengths
from tests.engine.inference.conftest import SERVING


def rng():
    return np.random.default_rng(5)


def test_poisson_rate_and_count():
    t = arrival_times(PoissonArrivals(kind="poisson", rate_per_s=10), rng(), 10_000.0, None)
    assert len(t) / 10_000 == pytest.approx(10, rel=0.02)
    assert len(arrival_times(PoissonArrivals(kind="poisson", rate_per_s=10), rng(), None, 1234)) == 1234


def test_bursty_has_the_requested_cv():
    gaps = np.diff(arrival_times(BurstyArrivals(kind="bursty", rate_per_s=5, cv=3), rng(), None, 200_000))
    assert gaps.mean() == pytest.approx(0.2, rel=0.03)
    assert gaps.std() / gaps.mean() == pytest.approx(3, rel=0.05)


def test_diurnal_follows_the_hourly_table():
    table = [1.0] * 12 + [3.0] * 12
    t = arrival_times(DiurnalArrivals(kind="diurnal", hourly_rate_per_s=table), rng(), 5 * 86400.0, None)
    hour = (t // 3600) % 24
    assert (hour >= 12).sum() / (hour < 12).sum() == pytest.approx(3, rel=0.03)


def test_diurnal_sinusoid_peak_to_trough():
    spec = DiurnalArrivals(kind="diurnal", mean_rate_per_s=2, peak_to_trough=4, peak_hour=18)
    t = arrival_times(spec, rng(), 20 * 86400.0, None)
    hour = ((t / 3600) % 24).astype(int)
    counts = np.bincount(hour, minlength=24)
    assert len(t) / (20 * 86400) == pytest.approx(2, rel=0.02)
    assert counts[18] / counts[6] == pytest.approx(4, rel=0.1)


def test_lognormal_mean_and_empirical(tmp_path):
    x = sample_lengths(LognormalLength(kind="lognormal", mean=500, sigma=0.6), 200_000, rng(), "f")
    assert x.mean() == pytest.approx(500, rel=0.01) and x.min() >= 1
    path = tmp_path / "lengths.csv"
    path.write_text("tokens\n10\n20\n30\n")
    y = sample_lengths(EmpiricalLength(kind="empirical", path=str(path)), 1000, rng(), "f")
    assert set(y.tolist()) == {10, 20, 30}


def test_trace_reads_csv_and_parquet(tmp_path):
    frame = pd.DataFrame(
        {"arrival_s": [0.0, 0.5, 0.5], "prompt_tokens": [10, 20, 30], "output_tokens": [1, 2, 3]}
    )
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.to_parquet(tmp_path / "t.parquet")
    for name in ("t.csv", "t.parquet"):
        reqs = read_trace(str(tmp_path / name), "arrivals.path")
        assert reqs.prompt_tokens.tolist() == [10, 20, 30] and reqs.arrival_s.tolist() == [0.0, 0.5, 0.5]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("arrival_s,prompt_tokens\n0,1\n", "missing column 'output_tokens'"),
        ("arrival_s,prompt_tokens,output_tokens\n0,1,1\n-1,1,1\n", "row 2 (line 3), column 'arrival_s': must be >= 0"),
        ("arrival_s,prompt_tokens,output_tokens\n2,1,1\n1,1,1\n", "row 2 (line 3), column 'arrival_s': times must be sorted"),
        ("arrival_s,prompt_tokens,output_tokens\n0,1,1\n1,abc,1\n", "row 2 (line 3), column 'prompt_tokens': not a finite number ('abc')"),
        ("arrival_s,prompt_tokens,output_tokens\n0,1,\n", "row 1 (line 2), column 'output_tokens': empty cell"),
        ("arrival_s,prompt_tokens,output_tokens\n0,1.5,1\n", "column 'prompt_tokens': must be a whole number"),
    ],
)  # fmt: skip
def test_bad_traces_name_file_row_and_column(tmp_path, text, expected):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        read_trace(str(path), "workloads[0].arrivals.path")
    assert str(path) in str(err.value) and expected in str(err.value)
    assert err.value.path == "workloads[0].arrivals.path"


def test_trace_scenario_end_to_end(tmp_path):
    (tmp_path / "trace.csv").write_text(
        "arrival_s,prompt_tokens,output_tokens\n0,100,10\n0.5,200,20\n1,50,1\n"
    )
    scenario = dict(
        SERVING, workloads=[dict(SERVING["workloads"][0], arrivals={"kind": "trace", "path": "trace.csv"})]
    )
    del scenario["workloads"][0]["prompt_tokens"], scenario["workloads"][0]["output_tokens"]
    del scenario["workloads"][0]["requests"]
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(scenario))
    res = sc.run(tmp_path / "s.yaml")
    assert res.requests["output_tokens"].tolist() == [10, 20, 1]
    assert np.isfinite(res.requests["finish_s"]).all()
