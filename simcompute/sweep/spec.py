"""Sweep files: a base scenario plus parameters addressed by dotted paths.

name: gpus-by-region
base: quickstart.yaml             # relative to this file, or an inline scenario mapping
method: grid                      # grid | random | lhs (Latin hypercube)
samples: 50                       # random and lhs only
seed: 0
parameters:
  site.region: [us-west, france, india]       # a list: the values to try
  cluster.nodes: [4, 8, 16]
  site.pue: {dist: uniform, low: 1.05, high: 1.4}   # random / lhs only
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, ValidationError, model_validator

from simcompute.config.base import MAX_SEED, Strict, field_error
from simcompute.config.distributions import DIST_KEY, parse_distribution
from simcompute.config.inputs import read_yaml_file
from simcompute.config.loader import format_validation_error, scenario_from_dict
from simcompute.errors import ConfigError, show
from simcompute.sweep.paths import format_path, get_path, parse_path, set_path

MAX_RUNS = 100_000
"""Runs of one sweep (a grid's product of list lengths, or `samples`)."""


class SweepSpec(Strict):
    """A validated sweep definition."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    base: str | dict[str, Any]
    method: Literal["grid", "random", "lhs"] = "grid"
    samples: int | None = Field(default=None, gt=0, le=MAX_RUNS)
    seed: int = Field(default=0, ge=0, le=MAX_SEED)
    parameters: dict[str, list[Any] | dict[str, Any]] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> SweepSpec:
        for path, values in self.parameters.items():
            if isinstance(values, list) and not values:
                raise field_error(f"parameters.{path}", "needs at least one value")
            if isinstance(values, dict) and DIST_KEY not in values:
                raise field_error(
                    f"parameters.{path}", f"give a list of values or a distribution {{{DIST_KEY}: ...}}"
                )
            if isinstance(values, dict) and self.method == "grid":
                raise field_error(
                    f"parameters.{path}",
                    "a distribution cannot be swept as a grid; use method: random or lhs",
                )
        if self.method != "grid" and self.samples is None:
            raise field_error("samples", f"method '{self.method}' needs a number of samples")
        if self.method == "grid":
            runs = math.prod(len(v) for v in self.parameters.values())
            if runs > MAX_RUNS:
                raise field_error("parameters", f"the grid has {runs:,} runs; at most {MAX_RUNS:,}")
        return self


def load_sweep(path: str | Path) -> tuple[SweepSpec, dict[str, Any]]:
    """The sweep spec and its base scenario as a raw mapping (not yet validated)."""
    path = Path(path)
    source = str(path)
    data = read_yaml_file(path, "sweep file")
    if not isinstance(data, dict):
        raise ConfigError("", "a sweep file must be a mapping with name, base and parameters", source)
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise format_validation_error(exc, source) from None
    if isinstance(spec.base, dict):
        check_parameters(spec, spec.base, source)
        return spec, spec.base
    base_path = Path(spec.base)
    if not base_path.is_absolute():
        base_path = path.parent / base_path
    base = read_yaml_file(base_path, "base scenario", field="base", source=source)
    if not isinstance(base, dict):
        raise ConfigError("base", f"base scenario {show(str(base_path), 80)} is not a mapping", source)
    calibration = base.get("calibration")
    if isinstance(calibration, str) and not Path(calibration).is_absolute():
        base["calibration"] = str(base_path.parent / calibration)
    check_parameters(spec, base, source, base_path.parent)
    return spec, base


def _tried_values(spec: SweepSpec, base: dict[str, Any], path: str) -> list[Any]:
    """The values a parameter takes: its list, or a distribution's extremes and median."""
    choice = spec.parameters[path]
    if isinstance(choice, list):
        return choice
    try:
        current = get_path(base, path)
    except ConfigError:
        current = None
    dist = parse_distribution(f"parameters.{path}", choice, integer=isinstance(current, int))
    values = [float(v) for v in dist.ppf(np.array([1e-6, 0.5, 1 - 1e-6]))]
    return [int(v) if dist.integer and v.is_integer() and abs(v) < 2**53 else v for v in values]


def _about(error: ConfigError, parts: list[str | int]) -> bool:
    """Whether a scenario error is about the swept field (not another field or a combination)."""
    path = format_path(parts)
    parent, last = format_path(parts[:-1]), parts[-1]
    if error.path == path or error.path.startswith((path + ".", path + "[")):
        return True
    return error.path == (parent or "scenario") and error.message.startswith(f"unknown key {show(last)}")


def check_parameters(
    spec: SweepSpec, base: dict[str, Any], source: str | None, base_dir: Path | None = None
) -> None:
    """Every parameter path and value is checked against the scenario schema before any run.

    Each value is set alone in the base scenario and validated; an error about that field
    (unknown key, wrong type, out of range) fails the sweep up front, naming the parameter.
    Errors of combinations (a layout that needs two swept values) are left to the runs.
    """
    for path in spec.parameters:
        try:
            parts = parse_path(path)
            values = _tried_values(spec, base, path)
            for value in values:
                scenario = set_path(base, path, value)
                try:
                    scenario_from_dict(scenario, base_dir)
                except ConfigError as exc:
                    if _about(exc, parts):
                        message = exc.message
                        if "(got " not in message and not message.startswith("unknown key"):
                            message += f" (got {show(value)})"
                        raise ConfigError(f"parameters.{path}", message, source) from None
        except ConfigError as exc:
            if exc.source is not None:
                raise
            where = exc.path if exc.path.startswith("parameters.") else f"parameters.{path}"
            raise ConfigError(where, exc.message, source) from None
