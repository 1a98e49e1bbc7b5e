"""How far published runs scatter around the model beyond the terms' own uncertainty.

The terms of the whole-run layer carry sourced uncertainties, but the step model and the
layer have errors of their own. `residual_sd` estimates that extra log spread from published
runs: the spread of log(published / P50) between its 10th and 90th percentiles (as a normal
sd), less the typical spread the terms already give (floored at 0). `simcompute validate` estimates it for
each case from the other cases of its kind (leave-one-out); `run` uses the value from all
cases (data/residuals.yaml, written by `python -m simcompute.validate.derive`).
"""

from __future__ import annotations

import functools
import math
from importlib import resources

import numpy as np
import yaml

from simcompute.catalog.loader import SAFE_LOADER
from simcompute.realism.params import DATA

Z90 = 1.2815515655446004  # standard normal P90


def term_sd(samples: np.ndarray) -> float:
    """The log standard deviation a P10-P90 interval of `samples` corresponds to."""
    p10, p90 = np.quantile(samples, [0.1, 0.9])
    return math.log(p90 / p10) / (2.0 * Z90)


def residual_sd(log_errors: np.ndarray, term_sds: np.ndarray) -> float:
    """Extra log spread: the P10-P90 spread of `log_errors` less the median term spread, >= 0."""
    q10, q90 = np.quantile(np.asarray(log_errors, dtype=float), [0.1, 0.9])
    total = float(q90 - q10) / (2.0 * Z90)
    base = float(np.median(np.asarray(term_sds, dtype=float) ** 2))
    return math.sqrt(max(0.0, total**2 - base))


def widen(samples: np.ndarray, sd_log: float, seed: int) -> np.ndarray:
    """`samples` times an independent log-normal factor of median 1 and spread `sd_log`."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5E]))
    return samples * np.exp(sd_log * rng.standard_normal(len(samples)))


@functools.cache
def load_residuals() -> dict[str, float]:
    """{metric kind: residual sd_log} estimated from all validation cases of that kind."""
    text = resources.files(DATA).joinpath("residuals.yaml").read_text(encoding="utf-8")
    return {k: float(v["sd_log"]) for k, v in yaml.load(text, Loader=SAFE_LOADER)["residuals"].items()}
