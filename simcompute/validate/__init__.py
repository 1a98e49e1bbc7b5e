"""`simcompute validate`: the training model against published training runs."""

from simcompute.validate.cases import Case, load_cases
from simcompute.validate.runner import ValidationReport, run_validation

__all__ = ["Case", "ValidationReport", "load_cases", "run_validation"]
