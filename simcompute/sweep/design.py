"""Expansion of a sweep into runs: full grid, random sample, or Latin hypercube."""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from simcompute.config.distributions import DIST_KEY, parse_distribution
from simcompute.errors import ConfigError
from simcompute.sweep.paths import get_path, set_path
from simcompute.sweep.spec import SweepSpec


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: its parameters and the scenario they make."""

    run_id: str
    index: int
    params: dict[str, Any]
    scenario: dict[str, Any]


def _run_id(index: int, params: dict[str, Any]) -> str:
    digest = hashlib.sha1(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:10]
    return f"{index:06d}-{digest}"


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _unit_samples(spec: SweepSpec, n_params: int) -> np.ndarray:
    """`samples x n_params` probabilities: independent uniforms, or a Latin hypercube."""
    rng = np.random.default_rng(np.random.SeedSequence([spec.seed, 0x5EE9]))
    n = spec.samples or 0
    if spec.method == "random":
        return rng.random((n, n_params))
    strata = np.stack([rng.permutation(n) for _ in range(n_params)], axis=1)
    return (strata + rng.random((n, n_params))) / n


def expand(spec: SweepSpec, base: dict[str, Any]) -> list[RunSpec]:
    """Every run of the sweep, in a deterministic order (same spec -> same runs and ids)."""
    paths = list(spec.parameters)
    for path in paths:  # fail early, naming the nearest valid path, if a parent is missing
        set_path(base, path, None)
    if spec.method == "grid":
        combos = [dict(zip(paths, values)) for values in itertools.product(*spec.parameters.values())]
    else:
        u = _unit_samples(spec, len(paths))
        columns = []
        for j, path in enumerate(paths):
            choice = spec.parameters[path]
            if isinstance(choice, dict):
                current = _base_value(base, path)
                dist = parse_distribution(f"parameters.{path}", choice, integer=isinstance(current, int))
                columns.append([_plain(v) for v in dist.ppf(u[:, j])])
            else:
                idx = np.minimum((u[:, j] * len(choice)).astype(int), len(choice) - 1)
                columns.append([choice[i] for i in idx])
        combos = [dict(zip(paths, row)) for row in zip(*columns)]
    runs = []
    for index, params in enumerate(combos):
        scenario = base
        for path, value in params.items():
            scenario = set_path(scenario, path, value)
        runs.append(RunSpec(_run_id(index, params), index, params, scenario))
    return runs


def _base_value(base: dict[str, Any], path: str) -> Any:
    try:
        value = get_path(base, path)
    except ConfigError:
        return None
    return None if isinstance(value, dict) and DIST_KEY in value else value
