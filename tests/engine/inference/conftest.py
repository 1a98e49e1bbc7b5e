"""A small serving scenario as a plain dict, to be tweaked per test."""

from __future__ import annotations

import copy

import pytest

SERVING = {
    "name": "serving",
    "seed": 3,
    "site": {"region": "us-west", "pue": 1.2, "carbon_intensity_g_per_kwh": 400.0},
    "cluster": {"node": "dgx-a100-80gb", "nodes": 1, "gpu_hour_usd": 2.0},
    "workloads": [
        {
            "kind": "inference",
            "name": "chat",
            "model": "llama-2-7b",
            "arrivals": {"kind": "poisson", "rate_per_s": 2.0},
            "prompt_tokens": 512,
            "output_tokens": 128,
            "requests": 200,
        }
    ],
}


@pytest.fixture
def serving() -> dict:
    return copy.deepcopy(SERVING)
