"""`simcompute validate`: the training model against published training runs, and the serving
model against published serving measurements (throughput, first-token latency, GPU energy)."""

from simcompute.validate.cases import Case, load_cases
from simcompute.validate.runner import ValidationReport, run_validation
from simcompute.validate.serving import (
    ServingCase,
    load_serving_cases,
    median_abs_error_by_metric,
    run_serving_validation,
)

__all__ = [
    "Case",
    "ServingCase",
    "ValidationReport",
    "load_cases",
    "load_serving_cases",
    "median_abs_error_by_metric",
    "run_serving_validation",
    "run_validation",
]
