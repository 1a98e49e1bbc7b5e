"""Output defects: a training-only run's requests.csv is readable; total() names close columns;
numbers in human units."""

from __future__ import annotations

import pandas as pd
import pytest

from simcompute.report.answer import duration, energy, mass, sig, usd


def test_training_only_requests_csv_has_its_header(bundled_runs):
    out = bundled_runs["quickstart"].out
    requests = pd.read_csv(out / "requests.csv")
    assert len(requests) == 0 and {"workload", "ttft_s", "e2e_s", "energy_j"} <= set(requests.columns)
    served = pd.read_csv(bundled_runs["llama2-7b-serving"].out / "requests.csv")
    assert list(served.columns) == list(requests.columns)
    assert list(pd.read_parquet(out / "requests.parquet").columns) == list(requests.columns)


def test_total_of_an_unknown_column_suggests_close_ones(scenario_dict):
    import simcompute as sc

    result = sc.run(scenario_dict)
    with pytest.raises(KeyError, match=r"no summary column 'co2'; did you mean 'co2_kg'"):
        result.total("co2")
    assert result.total("co2_kg") > 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (sig(737_100.4), "737,100"),
        (sig(0.000123456), "0.000123"),
        (energy(0.0617 / 1000), "0.0617 Wh"),
        (energy(886.0), "886 kWh"),
        (energy(506_000.0), "506 MWh"),
        (mass(0.776), "776 g"),
        (mass(152_000.0), "152 t"),
        (duration(61_779.0), "17.2 h"),
        (duration(3.58e6), "41.4 d"),
        (usd(34_939.4), "$34,939"),
        (usd(0.000209), "$0.000209"),
    ],
)
def test_human_units(text, expected):
    assert text == expected
