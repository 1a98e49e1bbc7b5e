"""simcompute: compute, energy and cost simulator for AI training and inference.

import simcompute as sc
result = sc.run("scenarios/quickstart.yaml")
result.summary, result.timeseries, result.jobs
"""

__version__ = "0.1.0"

from simcompute.api import run
from simcompute.catalog import load_catalog
from simcompute.config import Scenario, load_scenario
from simcompute.errors import ConfigError, SimcomputeError
from simcompute.results import Result
from simcompute.sweep import LocalExecutor, RayExecutor, load_sweep, run_sweep
from simcompute.uncertainty import monte_carlo

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
    "run",
    "run_sweep",
]
