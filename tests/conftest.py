"""Shared fixtures: a small valid scenario as a plain dict, to be tweaked per test."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"

BASE = {
    "name": "unit",
    "seed": 1,
    "site": {
        "region": "us-west",
        "pue": 1.2,
        "carbon_intensity_g_per_kwh": 400.0,
        "electricity_usd_per_kwh": 0.1,
    },
    "cluster": {"node": "dgx-a100-80gb", "nodes": 2, "fabric": "ib-hdr-200", "gpu_hour_usd": 2.0},
    "workloads": [
        {
            "kind": "training",
            "name": "job",
            "model": "llama-7b",
            "tokens": "1B",
            "gpus": 8,
            "global_batch_tokens": 1048576,
            "seq_len": 2048,
        }
    ],
}


@pytest.fixture
def scenario_dict() -> dict:
    """A fresh deep copy of a small valid scenario."""
    return copy.deepcopy(BASE)
