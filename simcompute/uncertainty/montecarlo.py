"""Monte Carlo replicas of a scenario whose inputs are distributions.

Each replica draws every distribution once (seeded from the scenario seed), runs the
scenario, and keeps its flattened summary. Intervals are the P5/P50/P95 of each column; the
drivers are Spearman rank correlations between each input and each output.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simcompute.config.distributions import find_distributions, nominal, substitute
from simcompute.errors import ConfigError
from simcompute.sweep import Executor, RunSpec, run_points
from simcompute.sweep.runner import PARAM_PREFIX, run_point

QUANTILES = {"p5": 0.05, "p50": 0.50, "p95": 0.95}


@dataclass
class MonteCarloResult:
    """Samples (one row per replica), intervals per output column, and input-output drivers."""

    samples: pd.DataFrame
    intervals: pd.DataFrame
    drivers: pd.DataFrame
    nominal: dict[str, Any]

    def write(self, out_dir: str | Path) -> None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        self.samples.to_parquet(out / "samples.parquet", index=False)
        self.intervals.to_csv(out / "intervals.csv", index=False)
        self.drivers.to_csv(out / "drivers.csv", index=False)


def sample_runs(raw: dict[str, Any], samples: int) -> list[RunSpec]:
    """`samples` concrete scenarios drawn from `raw`'s distributions, each with its own seed."""
    dists = find_distributions(raw)
    if not dists:
        raise ConfigError(
            "", "the scenario has no uncertain inputs ({dist: ...}); --samples needs at least one"
        )
    seed = int(raw.get("seed", 0) or 0)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x3C]))
    draws = {path: dist.sample(rng, samples) for path, dist in dists.items()}
    seeds = np.random.SeedSequence([seed, 0x5D]).generate_state(samples)
    runs = []
    for i in range(samples):
        values = {path: float(draws[path][i]) for path in dists}
        scenario = substitute(raw, values)
        scenario["seed"] = int(seeds[i])
        runs.append(RunSpec(f"{i:06d}", i, values, scenario))
    return runs


def _intervals(samples: pd.DataFrame, nominal_row: dict[str, Any], outputs: list[str]) -> pd.DataFrame:
    rows = []
    for col in outputs:
        values = pd.to_numeric(samples[col], errors="coerce").dropna()
        if values.empty:
            continue
        row = {"column": col, "nominal": nominal_row.get(col, np.nan), "mean": values.mean()}
        row.update({name: values.quantile(q) for name, q in QUANTILES.items()})
        rows.append(row)
    return pd.DataFrame(rows, columns=["column", "nominal", "mean", *QUANTILES])


def _drivers(samples: pd.DataFrame, inputs: list[str], outputs: list[str]) -> pd.DataFrame:
    rows = []
    for out in outputs:
        y = pd.to_numeric(samples[out], errors="coerce")
        if y.nunique() < 2:
            continue
        for inp in inputs:
            rho = samples[inp].rank().corr(y.rank())
            rows.append({"output": out, "input": inp.removeprefix(PARAM_PREFIX), "spearman_rho": rho})
    frame = pd.DataFrame(rows, columns=["output", "input", "spearman_rho"])
    order = frame["spearman_rho"].abs().sort_values(ascending=False, kind="stable").index
    return frame.loc[order].reset_index(drop=True)


def monte_carlo(
    raw: dict[str, Any],
    samples: int,
    out_dir: str | Path,
    executor: Executor | None = None,
    **sweep_options: Any,
) -> MonteCarloResult:
    """Run `samples` replicas (persisted under `out_dir/samples/` as they finish)."""
    runs = sample_runs(raw, samples)
    manifest = {"monte_carlo": {"samples": samples, "inputs": list(runs[0].params)}}
    rows = run_points(runs, Path(out_dir) / "samples", executor, manifest=manifest, **sweep_options)
    ok = rows[rows["status"] == "ok"].reset_index(drop=True)
    inputs = [PARAM_PREFIX + p for p in runs[0].params]
    outputs = [c for c in ok.columns if c not in (*inputs, "run_id", "index", "status", "error", "elapsed_s")]
    outputs = [
        c for c in outputs if pd.api.types.is_numeric_dtype(ok[c]) and not pd.api.types.is_bool_dtype(ok[c])
    ]
    nominal_row = run_point("nominal", -1, {}, nominal(raw))
    return MonteCarloResult(
        samples=rows,
        intervals=_intervals(ok, nominal_row, outputs),
        drivers=_drivers(ok, inputs, outputs),
        nominal=nominal_row,
    )
