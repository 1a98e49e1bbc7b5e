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

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from simcompute.config.base import Strict, field_error
from simcompute.config.distributions import DIST_KEY
from simcompute.config.loader import format_validation_error
from simcompute.errors import ConfigError


class SweepSpec(Strict):
    """A validated sweep definition."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    base: str | dict[str, Any]
    method: Literal["grid", "random", "lhs"] = "grid"
    samples: int | None = Field(default=None, gt=0)
    seed: int = Field(default=0, ge=0)
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
        return self


def load_sweep(path: str | Path) -> tuple[SweepSpec, dict[str, Any]]:
    """The sweep spec and its base scenario as a raw mapping (not yet validated)."""
    path = Path(path)
    source = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("", f"sweep file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise ConfigError("", f"not valid YAML: {str(exc).splitlines()[0]}", source) from None
    if not isinstance(data, dict):
        raise ConfigError("", "a sweep file must be a mapping with name, base and parameters", source)
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise format_validation_error(exc, source) from None
    if isinstance(spec.base, dict):
        return spec, spec.base
    base_path = Path(spec.base)
    if not base_path.is_absolute():
        base_path = path.parent / base_path
    try:
        base = yaml.safe_load(base_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("base", f"base scenario not found: {base_path}", source) from None
    except yaml.YAMLError as exc:
        raise ConfigError("base", f"base scenario {base_path} is not valid YAML: {exc}", source) from None
    if not isinstance(base, dict):
        raise ConfigError("base", f"base scenario {base_path} is not a mapping", source)
    calibration = base.get("calibration")
    if isinstance(calibration, str) and not Path(calibration).is_absolute():
        base["calibration"] = str(base_path.parent / calibration)
    return spec, base
