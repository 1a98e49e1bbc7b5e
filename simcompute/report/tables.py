"""Summary tables for the terminal (rich). Never imported by the engine."""

from __future__ import annotations

import math

import pandas as pd
from rich.console import Console
from rich.table import Table

from simcompute.realism.wholerun import INTERVAL_COLUMNS, JOB_COLUMNS
from simcompute.units import format_duration

SHOWN = [
    ("workload", "workload", None),
    ("gpus", "GPUs", "{:,.0f}"),
    ("wall_time_s", "wall time", "duration"),
    ("gpu_hours", "GPU-h", "{:,.0f}"),
    ("mfu", "MFU", "{:.1%}"),
    ("it_energy_kwh", "IT MWh", "mwh"),
    ("facility_energy_kwh", "facility MWh", "mwh"),
    ("co2_kg", "CO2 t", "tonnes"),
    ("water_l", "water m3", "m3"),
    ("cost_usd", "cost USD", "{:,.0f}"),
]


def _fmt(value: object, fmt: str | None) -> str:
    if _is_missing(value):
        return "-"
    if fmt is None:
        return str(value)
    if fmt == "duration":
        return format_duration(float(value))
    if fmt == "mwh":
        return f"{float(value) / 1000:,.3g}"
    if fmt == "tonnes":
        return f"{float(value) / 1000:,.3g}"
    if fmt == "m3":
        return f"{float(value) / 1000:,.3g}"
    return fmt.format(value)


def make_console() -> Console:
    """A console as wide as the terminal, or 160 columns when output goes to a file or pipe."""
    probe = Console()
    return probe if probe.is_terminal else Console(width=160)


def frame_table(frame: pd.DataFrame, title: str) -> Table:
    """Any DataFrame as a rich table (NaN shown as empty)."""
    table = Table(title=title)
    for col in frame.columns:
        table.add_column(str(col))
    for row in frame.itertuples(index=False):
        table.add_row(
            *("" if _is_missing(v) else (f"{v:.4g}" if isinstance(v, float) else str(v)) for v in row)
        )
    return table


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def summary_table(summary: pd.DataFrame, title: str) -> Table:
    table = Table(title=title)
    for _, label, _ in SHOWN:
        table.add_column(label, justify="left" if label == "workload" else "right")
    for _, row in summary.iterrows():
        table.add_row(*(_fmt(row.get(col), fmt) for col, _, fmt in SHOWN))
    return table


def print_summary(summary: pd.DataFrame, title: str, console: Console | None = None) -> None:
    (console or make_console()).print(summary_table(summary, title))


TERM_LABELS = {
    "achievable_compute": "achievable compute",
    "exposed_communication_bubble": "exposed communication + bubble",
    "stack_inefficiency": "software stack",
    "other_overheads": "stragglers, data, evaluation, ramp",
    "failures_lost_work": "failures: lost work",
    "checkpoints": "checkpoints",
    "restarts": "restarts",
    "waiting_for_gpus": "waiting for GPUs (none held)",
}
INTERVAL_LABELS = {
    "wall_time_s": ("wall time", "duration"),
    "gpu_hours": ("GPU-h", "{:,.0f}"),
    "facility_energy_kwh": ("facility MWh", "mwh"),
    "co2_kg": ("CO2 t", "tonnes"),
    "cost_usd": ("cost USD", "{:,.0f}"),
}


def waterfall_table(job: pd.Series, summary_row: pd.Series | None = None) -> Table:
    """Where one training job's wall time and IT energy went (the terms add up to both), with
    the expected run's P10/P50/P90 under it when the summary row has them."""
    table = Table(title=f"{job['workload']}: where the time and energy go")
    for label in ("term", "time", "% time", "IT MWh", "% energy"):
        table.add_column(label, justify="left" if label == "term" else "right")
    times = {t: float(job.get(c[0], 0.0) or 0.0) for t, c in JOB_COLUMNS.items()}
    energies = {t: float(job.get(c[1], 0.0) or 0.0) if c[1] else 0.0 for t, c in JOB_COLUMNS.items()}
    total_s, total_kwh = sum(times.values()), sum(energies.values())
    for term, label in TERM_LABELS.items():
        table.add_row(
            label,
            format_duration(times[term]),
            f"{times[term] / total_s:.1%}" if total_s else "-",
            f"{energies[term] / 1000:,.3g}",
            f"{energies[term] / total_kwh:.1%}" if total_kwh else "-",
        )
    table.add_row("total (wall time)", format_duration(total_s), "100%", f"{total_kwh / 1000:,.3g}", "100%")
    if summary_row is not None and not _is_missing(summary_row.get("wall_time_s_p50")):
        parts = []
        for col in INTERVAL_COLUMNS:
            label, fmt = INTERVAL_LABELS[col]
            p10, p50, p90 = (summary_row.get(f"{col}_p{q}") for q in (10, 50, 90))
            parts.append(f"{label} {_fmt(p50, fmt)} [{_fmt(p10, fmt)} - {_fmt(p90, fmt)}]")
        table.caption = "expected run P50 [P10 - P90]: " + "; ".join(parts)
    return table
