"""simcompute: compute, energy and cost simulator for AI training and inference.

import simcompute as sc
result = sc.run("scenarios/quickstart.yaml")
result.summary, result.timeseries, result.jobs

The public names load on first use (PEP 562), so `import simcompute` and the command line's
`--help` stay fast and never import pandas, pyarrow, matplotlib, Ray or torch before they are
needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_PUBLIC = {
    "ConfigError": "simcompute.errors",
    "SimcomputeError": "simcompute.errors",
    "LocalExecutor": "simcompute.sweep",
    "RayExecutor": "simcompute.sweep",
    "load_sweep": "simcompute.sweep",
    "run_sweep": "simcompute.sweep",
    "Result": "simcompute.results",
    "Scenario": "simcompute.config",
    "load_scenario": "simcompute.config",
    "load_catalog": "simcompute.catalog",
    "monte_carlo": "simcompute.uncertainty",
    "plan_budget": "simcompute.budget",
    "run": "simcompute.api",
}

__all__ = [
    "ConfigError",
    "LocalExecutor",
    "RayExecutor",
    "Result",
    "Scenario",
    "SimcomputeError",
    "__version__",
    "load_catalog",
    "load_scenario",
    "load_sweep",
    "monte_carlo",
    "plan_budget",
    "run",
    "run_sweep",
]

if TYPE_CHECKING:
    from simcompute.api import run
    from simcompute.budget import plan_budget
    from simcompute.catalog import load_catalog
    from simcompute.config import Scenario, load_scenario
    from simcompute.errors import ConfigError, SimcomputeError
    from simcompute.results import Result
    from simcompute.sweep import LocalExecutor, RayExecutor, load_sweep, run_sweep
    from simcompute.uncertainty import monte_carlo


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'simcompute' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
