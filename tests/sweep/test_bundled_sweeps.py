"""Every bundled sweep file loads, expands, and makes valid scenarios."""

from pathlib import Path

import pytest

from simcompute.config import load_scenario
from simcompute.sweep import expand, load_sweep

SWEEPS = sorted((Path(__file__).resolve().parents[2] / "sweeps").glob("*.yaml"))


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.stem)
def test_bundled_sweep_expands(path):
    spec, base = load_sweep(path)
    runs = expand(spec, base)
    assert runs
    for run in runs:
        assert load_scenario(run.scenario).name
