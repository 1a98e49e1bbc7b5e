"""Uncertain inputs: any numeric scenario value may be a distribution instead of a number.

    site:
      pue: {dist: normal, mean: 1.2, sd: 0.05, low: 1.0}
      carbon_intensity_g_per_kwh: {dist: triangular, low: 150, mode: 250, high: 400}

A plain run uses each distribution's mean (its *nominal* value); `simcompute run --samples N`
draws N Monte Carlo replicas. A mapping is a distribution when it has the key `dist`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from simcompute.errors import ConfigError, show

DIST_KEY = "dist"
MAX_PARAMETER = 1e15
"""Largest magnitude of a distribution parameter; the sampled value must still fit its field."""
MAX_LOG_SIGMA = 10.0
"""A log-normal wider than this spans more than 1e8 between its 5th and 95th percentile."""
_FIELDS = {
    "normal": ({"mean", "sd"}, {"low", "high"}),
    "lognormal": ({"mean", "sigma"}, {"low", "high"}),
    "uniform": ({"low", "high"}, set()),
    "triangular": ({"low", "mode", "high"}, set()),
}


@dataclass(frozen=True)
class Distribution:
    """A univariate distribution with an inverse CDF (for sampling and Latin hypercubes)."""

    kind: str
    params: tuple[tuple[str, float], ...]
    integer: bool = False

    def _p(self, name: str, default: float | None = None) -> float:
        return dict(self.params).get(name, default)  # type: ignore[return-value]

    @property
    def mean(self) -> float:
        """The nominal value used by a deterministic run."""
        if self.kind in ("normal", "lognormal"):
            value = self._p("mean")
        elif self.kind == "uniform":
            value = (self._p("low") + self._p("high")) / 2
        else:
            value = (self._p("low") + self._p("mode") + self._p("high")) / 3
        return self._finish(np.array([value]))[0]

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF at probabilities `u` in (0, 1)."""
        u = np.clip(np.asarray(u, dtype=float), 1e-12, 1 - 1e-12)
        if self.kind == "normal":
            inv = np.vectorize(NormalDist(self._p("mean"), self._p("sd")).inv_cdf)
            x = inv(u) if self._p("sd") > 0 else np.full_like(u, self._p("mean"))
        elif self.kind == "lognormal":
            sigma = self._p("sigma")
            mu = math.log(self._p("mean")) - sigma**2 / 2  # so that E[X] = mean
            x = np.exp(mu + sigma * np.vectorize(NormalDist().inv_cdf)(u))
        elif self.kind == "uniform":
            x = self._p("low") + u * (self._p("high") - self._p("low"))
        else:
            lo, mode, hi = self._p("low"), self._p("mode"), self._p("high")
            split = (mode - lo) / (hi - lo) if hi > lo else 0.5
            x = np.where(
                u < split,
                lo + np.sqrt(u * (hi - lo) * (mode - lo)),
                hi - np.sqrt((1 - u) * (hi - lo) * (hi - mode)),
            )
        return self._finish(x)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.ppf(rng.random(n))

    def _finish(self, x: np.ndarray) -> np.ndarray:
        low, high = self._p("low"), self._p("high")
        if self.kind in ("normal", "lognormal") and (low is not None or high is not None):
            x = np.clip(x, low if low is not None else -np.inf, high if high is not None else np.inf)
        return np.round(x) if self.integer else x


def parse_distribution(path: str, spec: Mapping[str, Any], integer: bool = False) -> Distribution:
    """A `Distribution` from `{dist: kind, ...}`; errors name the YAML path."""
    kind = spec.get(DIST_KEY)
    if not isinstance(kind, str) or kind not in _FIELDS:
        raise ConfigError(
            f"{path}.{DIST_KEY}", f"unknown distribution {show(kind)}; use one of {', '.join(_FIELDS)}"
        )
    required, optional = _FIELDS[kind]
    if bad := [k for k in spec if not isinstance(k, str)]:
        raise ConfigError(path, f"unknown key {show(bad[0])} for a {kind} distribution")
    keys = set(spec) - {DIST_KEY, "integer"}
    if missing := required - keys:
        raise ConfigError(path, f"{kind} distribution needs {', '.join(sorted(missing))}")
    if extra := keys - required - optional:
        raise ConfigError(path, f"unknown key(s) {', '.join(sorted(extra))} for a {kind} distribution")
    params = {}
    for key in sorted(keys):
        value = spec[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigError(f"{path}.{key}", f"must be a finite number (got {show(value)})")
        if abs(value) > MAX_PARAMETER:
            raise ConfigError(
                f"{path}.{key}", f"{value:g} is beyond any physical range (at most {MAX_PARAMETER:g})"
            )
        params[key] = float(value)
    if kind == "normal" and params["sd"] < 0:
        raise ConfigError(f"{path}.sd", "must be >= 0")
    if kind == "lognormal" and (params["mean"] <= 0 or not 0 <= params["sigma"] <= MAX_LOG_SIGMA):
        raise ConfigError(path, f"lognormal needs mean > 0 and 0 <= sigma <= {MAX_LOG_SIGMA:g}")
    if kind in ("uniform", "triangular") and params["low"] > params["high"]:
        raise ConfigError(path, "low must be <= high")
    if kind == "triangular" and not params["low"] <= params["mode"] <= params["high"]:
        raise ConfigError(f"{path}.mode", "must lie between low and high")
    flag = spec.get("integer", integer)
    if not isinstance(flag, bool):
        raise ConfigError(f"{path}.integer", f"must be true or false (got {show(flag)})")
    return Distribution(kind, tuple(params.items()), integer=flag)


def _walk(data: Any, path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if isinstance(data, Mapping):
        if DIST_KEY in data:
            yield path, data
            return
        for key, value in data.items():
            yield from _walk(value, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _walk(value, f"{path}[{i}]")


def find_distributions(data: Any) -> dict[str, Distribution]:
    """Every distribution in a raw scenario mapping, by YAML path."""
    return {path: parse_distribution(path, spec) for path, spec in _walk(data, "")}


def substitute(data: Any, values: Mapping[str, float], path: str = "") -> Any:
    """A copy of `data` with the distribution at each path replaced by `values[path]`."""
    if isinstance(data, Mapping):
        if DIST_KEY in data:
            return _plain(values[path])
        return {k: substitute(v, values, f"{path}.{k}" if path else str(k)) for k, v in data.items()}
    if isinstance(data, list):
        return [substitute(v, values, f"{path}[{i}]") for i, v in enumerate(data)]
    return data


def _plain(value: float) -> float | int:
    value = float(value)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def nominal(data: Any) -> Any:
    """`data` with every distribution replaced by its mean (the deterministic scenario)."""
    dists = find_distributions(data)
    if not dists:
        return data
    return substitute(data, {p: d.mean for p, d in dists.items()})
