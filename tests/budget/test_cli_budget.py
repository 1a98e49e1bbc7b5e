"""`simcompute budget`: the bundled example answers; bad specs give one line naming file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

import simcompute as sc
from simcompute.cli import main

ROOT = Path(__file__).resolve().parents[2]
GOOD = """
name: bad
budget: {gpu_hours: 1000}
hardware: {gpus: [h100-sxm], cluster_sizes: [64]}
site: {region: us-west, pue: 1.12}
"""


def test_example_spec_answers_and_writes_a_runnable_scenario(tmp_path, capsys):
    out = tmp_path / "b"
    assert main(["budget", str(ROOT / "budgets" / "example.yaml"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "the cost_usd limit binds" in printed or "limit binds" in printed
    for name in ("candidates.csv", "frontier.csv", "plan-scenario.yaml", "frontier.png"):
        assert (out / name).stat().st_size > 0
    assert sc.load_scenario(out / "plan-scenario.yaml").workloads[0].kind == "training"


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda t: t.replace("budget: {gpu_hours: 1000}", "budget: {}"), "budget:"),
        (lambda t: t.replace("hardware:", "hardwre:"), "did you mean 'hardware'"),
        (lambda t: t.replace("h100-sxm", "h900"), "hardware.gpus: no catalog node carries GPU 'h900'"),
        (lambda t: t + "scaling_law: kaplan\n", "scaling_law: unknown 'kaplan'"),
        (
            lambda t: t + "inference: {tokens_per_day: 1e9, queries_per_day: 10}\n",
            "inference: give exactly one",
        ),
        (lambda t: t.replace("[64]", "[-8]"), "hardware.cluster_sizes[0]: must be > 0"),
        (lambda t: t + "unique_tokens: lots\n", "unique_tokens"),
        (lambda t: t.replace("pue: 1.12", "pue: 0.5"), "site.pue: must be >= 1"),
        (lambda t: "name: [", "not valid YAML"),
        (
            lambda t: t.replace("cluster_sizes: [64]", "cluster_sizes: [64], fabric: ib-xyz"),
            "hardware.fabric",
        ),
        (
            lambda t: t.replace("gpus: [h100-sxm], cluster_sizes: [64]", "cluster: {node: dgx-z, nodes: 2}"),
            "hardware.cluster.node",
        ),
        (
            lambda t: t.replace(
                "cluster_sizes: [64]", "cluster_sizes: [64], cluster: {node: dgx-h100, nodes: 2}"
            ),
            "hardware: give either gpus",
        ),
        (lambda t: t.replace("region: us-west", "region: atlantis"), "site.region"),
    ],
)
def test_bad_spec_is_one_line_naming_file_and_field(tmp_path, capsys, edit, field):
    path = tmp_path / "bad.yaml"
    path.write_text(edit(GOOD))
    assert main(["budget", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("simcompute: error: ")
    assert field in err
    assert path.name in err  # the file (its folder may be cut to keep the line short)


def test_missing_file(capsys):
    assert main(["budget", "no/such.yaml"]) == 2
    assert "budget file not found" in capsys.readouterr().err


def test_a_gpu_without_a_price_must_be_priced(tmp_path, capsys):
    path = tmp_path / "mi.yaml"
    path.write_text(GOOD.replace("h100-sxm", "mi300x"))
    assert main(["budget", str(path), "--out", str(tmp_path / "o")]) == 2
    assert "hardware.gpu_hour_usd: no list price is bundled for 'mi300x'" in capsys.readouterr().err
    path.write_text(
        GOOD.replace("h100-sxm", "mi300x").replace(
            "cluster_sizes: [64]", "cluster_sizes: [64], gpu_hour_usd: {mi300x: 2.5}"
        )
    )
    assert main(["budget", str(path), "--out", str(tmp_path / "o")]) == 0
