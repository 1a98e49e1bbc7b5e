"""`simcompute validate`: every bundled case gets a prediction; the table and CSV are complete."""

import math

import pandas as pd
import pytest

from simcompute.cli import main
from simcompute.validate import load_cases, run_validation


@pytest.fixture(scope="module")
def report():
    return run_validation()


def test_every_case_has_a_prediction(report):
    cases, skipped = load_cases()
    table = report.table
    assert len(table) == len(cases) + len(skipped)
    predicted = table[table["skipped"] == ""]
    assert len(predicted) == len(cases) >= 20
    assert all(math.isfinite(v) and v > 0 for v in predicted["predicted"])
    assert all(predicted["layout"] != "no layout fits")
    assert set(predicted["layout_from"]) <= {"layout search", "published", "published + search"}
    assert (predicted["memory_gb"] <= 80.0 + 1e-9).all()


def test_every_case_cites_its_source(report):
    predicted = report.predicted
    assert predicted["source"].str.len().min() > 10
    assert predicted["locator"].str.len().min() > 5


def test_error_is_relative_to_published(report):
    row = report.predicted.iloc[0]
    assert row["error_pct"] == pytest.approx(100 * (row["predicted"] - row["published"]) / row["published"])


def test_cli_writes_csv(tmp_path, capsys):
    out = tmp_path / "v.csv"
    assert main(["validate", "--out", str(out)]) == 0
    frame = pd.read_csv(out)
    assert {"case", "published", "predicted", "error_pct", "layout", "source"} <= set(frame.columns)
    assert "median |error|" in capsys.readouterr().out


def test_deepseek_v3_runs_on_its_published_layout(report):
    """61 layers + 1 MTP layer + embedding + head fill 16 pipeline stages of 4 (Megatron's
    DeepSeek-V3 partition), so PP 16 / EP 64 / ZeRO-1 as published is expressible."""
    row = report.predicted.set_index("case").loc["deepseek-v3"]
    assert row["gpu"] == "h800" and row["layout_from"] == "published + search"
    assert "tp=1 pp=16 dp=128 (zero=1" in row["layout"] and "ep=64" in row["layout"]
