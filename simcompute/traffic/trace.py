"""Trace replay: arrivals and token counts from a file (`arrival_s, prompt_tokens, output_tokens`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simcompute.config.base import MAX_DURATION_S, MAX_REQUEST_TOKENS
from simcompute.errors import ConfigError
from simcompute.traffic.files import check_rows, numeric_column, read_table

TRACE_COLUMNS = ("arrival_s", "prompt_tokens", "output_tokens")


@dataclass(frozen=True)
class Requests:
    """A request stream: arrival times (s, sorted) and token counts, as numpy arrays."""

    arrival_s: np.ndarray
    prompt_tokens: np.ndarray
    output_tokens: np.ndarray

    def __len__(self) -> int:
        return len(self.arrival_s)


def read_trace(path: str, field: str) -> Requests:
    """Read and check a trace: times >= 0 and sorted, token counts whole numbers >= 1."""
    frame = read_table(path, field)
    if len(frame) == 0:
        raise ConfigError(field, f"{path}: the trace has no rows")
    cols = {c: numeric_column(frame, c, path, field) for c in TRACE_COLUMNS}
    t = cols["arrival_s"]
    check_rows(t, t < 0, path, "arrival_s", field, "must be >= 0")
    check_rows(t, t > MAX_DURATION_S, path, "arrival_s", field, f"must be at most {MAX_DURATION_S:g} s")
    unsorted = np.zeros(len(t), dtype=bool)
    unsorted[1:] = t[1:] < t[:-1]
    check_rows(t, unsorted, path, "arrival_s", field, "times must be sorted (earlier than the row before)")
    counts = {}
    for c in ("prompt_tokens", "output_tokens"):
        v = cols[c]
        check_rows(v, v < 1, path, c, field, "must be >= 1")
        check_rows(v, v > MAX_REQUEST_TOKENS, path, c, field, f"must be at most {MAX_REQUEST_TOKENS:,}")
        check_rows(v, v != np.floor(v), path, c, field, "must be a whole number")
        counts[c] = v.astype(np.int64)
    return Requests(t, counts["prompt_tokens"], counts["output_tokens"])
