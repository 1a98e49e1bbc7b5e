"""Running one sweep point, and flattening its summary into one row."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd

from simcompute.errors import SimcomputeError

PARAM_PREFIX = "param."
SKIP = {"workload", "kind"}


def flatten_summary(summary: pd.DataFrame) -> dict[str, Any]:
    """The `total` row's columns as they are, each workload's as `<workload>.<column>`."""
    row: dict[str, Any] = {}
    for record in summary.to_dict("records"):
        prefix = "" if record["workload"] == "total" else f"{record['workload']}."
        for key, value in record.items():
            if key not in SKIP:
                row[prefix + key] = value
    return row


def run_point(run_id: str, index: int, params: dict[str, Any], scenario: dict[str, Any]) -> dict[str, Any]:
    """Simulate one point; a failure becomes a row with its error, never an exception."""
    from simcompute.api import run

    row: dict[str, Any] = {"run_id": run_id, "index": index}
    row.update({PARAM_PREFIX + k: v for k, v in params.items()})
    start = time.perf_counter()
    try:
        row.update(flatten_summary(run(scenario).summary))
        row["status"], row["error"] = "ok", None
    except SimcomputeError as exc:
        row["status"], row["error"] = "failed", str(exc)
    except Exception as exc:  # a bug in one point must not stop the others; it is recorded
        row["status"], row["error"] = "failed", f"{type(exc).__name__}: {exc}"
    row["elapsed_s"] = time.perf_counter() - start
    return row
