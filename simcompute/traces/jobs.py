"""Job traces: CSV or Parquet files of training jobs, in the spirit of public cluster traces.

Columns (one job per row; Philly, Helios and Alibaba PAI traces map onto them):
`submit_s, gpus, name` (required), `priority` (default 0), `model` or `flops` (total training
FLOPs), `tokens` or `duration_s`, and optionally `checkpoint_every_s`. Durations and counts
accept the scenario syntax (`6h`, `300B`). A bad cell raises a `ConfigError` naming the file,
the row (1-based, header not counted) and the column.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from simcompute.config.base import MAX_DURATION_S, MAX_GPUS, MAX_NAME_CHARS, MAX_PRIORITY, MAX_TOKENS
from simcompute.config.inputs import MAX_TRACE_JOBS, check_file
from simcompute.errors import ConfigError, one_line, show
from simcompute.units import parse_count, parse_duration

REQUIRED = ("submit_s", "gpus", "name")
MAX_FLOPS = 1e30
"""Training FLOPs of one job (the largest published runs: ~4e25)."""
OPTIONAL = ("priority", "model", "flops", "tokens", "duration_s", "checkpoint_every_s")


@dataclass(frozen=True)
class TraceJob:
    """One validated row of a job trace."""

    row: int
    name: str
    submit_s: float
    gpus: int
    priority: int
    model: str | None
    flops: float | None
    tokens: float | None
    duration_s: float | None
    checkpoint_every_s: float | None


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


def _read(path: Path) -> pd.DataFrame:
    check_file(path, "job trace", "scheduling.jobs.path")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True,
                                nrows=MAX_TRACE_JOBS + 1)  # fmt: skip
    except Exception as exc:  # any reader failure means a bad input file
        reason = one_line(str(exc), 80)
        raise ConfigError(
            "scheduling.jobs.path", f"cannot read job trace {show(str(path), 80)}: {reason}"
        ) from None
    if len(frame) > MAX_TRACE_JOBS:
        raise ConfigError(
            "", f"more than {MAX_TRACE_JOBS:,} jobs; at most that many are simulated", str(path)
        )
    return frame


class _Row:
    """One raw row, with errors that name the file, row and column."""

    def __init__(self, path: Path, index: int, cells: dict[str, Any]):
        self.path, self.index, self.cells = path, index, cells

    def fail(self, column: str, message: str) -> ConfigError:
        shown = self.cells.get(column)
        got = "" if _missing(shown) else f" (got {show(shown)})"
        return ConfigError(f"row {self.index}, column '{column}'", f"{message}{got}", str(self.path))

    def parse(self, column: str, parser: Any, what: str) -> float | None:
        value = self.cells.get(column)
        if _missing(value):
            return None
        try:
            return float(parser(value.strip() if isinstance(value, str) else value))
        except (ValueError, TypeError, OverflowError):
            raise self.fail(column, f"must be {what}") from None


def read_job_trace(path: str | Path) -> list[TraceJob]:
    """Validated rows of a job trace file; the first bad cell raises a `ConfigError`."""
    path = Path(path)
    frame = _read(path)
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ConfigError(
            "", f"missing column(s) {', '.join(missing)}; required: {', '.join(REQUIRED)}", str(path)
        )
    unknown = [c for c in frame.columns if c not in REQUIRED + OPTIONAL]
    if unknown:
        raise ConfigError(
            "",
            f"unknown column(s) {', '.join(unknown)}; allowed: {', '.join(REQUIRED + OPTIONAL)}",
            str(path),
        )
    if frame.empty:
        raise ConfigError("", "the job trace has no rows", str(path))
    jobs: list[TraceJob] = []
    names: set[str] = set()
    columns = list(frame.columns)
    for i, values in enumerate(frame.itertuples(index=False, name=None), start=1):
        row = _Row(path, i, dict(zip(columns, values)))
        fail, parse, cells = row.fail, row.parse, row.cells
        name = cells["name"]
        if _missing(name):
            raise fail("name", "must not be empty")
        name = str(name).strip()
        if len(name) > MAX_NAME_CHARS or not name.isprintable():
            raise fail("name", f"must be printable text of at most {MAX_NAME_CHARS} characters")
        if name in names:
            raise fail("name", "is used twice; job names must be unique")
        names.add(name)
        submit_s = parse("submit_s", parse_duration, "a duration >= 0 (seconds or e.g. '6h')")
        if submit_s is None:
            raise fail("submit_s", "is required")
        gpus = parse("gpus", parse_count, "a positive integer")
        if gpus is None or not 1 <= gpus <= MAX_GPUS or gpus != int(gpus):
            raise fail("gpus", f"must be a whole number from 1 to {MAX_GPUS:,}")
        priority = parse("priority", float, "an integer")
        if priority is not None and not (abs(priority) <= MAX_PRIORITY and priority == int(priority)):
            raise fail("priority", f"must be an integer from -{MAX_PRIORITY:,} to {MAX_PRIORITY:,}")
        model = None if _missing(cells.get("model")) else str(cells["model"]).strip()
        flops = parse("flops", parse_count, "a FLOP count > 0 (e.g. 3e21)")
        tokens = parse("tokens", parse_count, "a token count > 0 (e.g. 300B)")
        duration_s = parse("duration_s", parse_duration, "a duration > 0 (seconds or e.g. '6h')")
        checkpoint_s = parse("checkpoint_every_s", parse_duration, "a duration > 0")
        for column, value, most in (("flops", flops, MAX_FLOPS), ("tokens", tokens, MAX_TOKENS),
                                    ("duration_s", duration_s, MAX_DURATION_S),
                                    ("checkpoint_every_s", checkpoint_s, MAX_DURATION_S),
                                    ("submit_s", submit_s, MAX_DURATION_S)):  # fmt: skip
            if value is not None and column != "submit_s" and value <= 0:
                raise fail(column, "must be > 0")
            if value is not None and value > most:
                raise fail(column, f"must be at most {most:g}")
        if duration_s is None and flops is None and (model is None or tokens is None):
            raise fail("duration_s", "give duration_s, or flops, or model and tokens")
        jobs.append(
            TraceJob(
                row=row.index,
                name=name,
                submit_s=submit_s,
                gpus=int(gpus),
                priority=int(priority or 0),
                model=model,
                flops=flops,
                tokens=tokens,
                duration_s=duration_s,
                checkpoint_every_s=checkpoint_s,
            )
        )
    return jobs
