"""Summary tables for the terminal (rich). Never imported by the engine."""

from __future__ import annotations

import math

import pandas as pd
from rich.console import Console
from rich.table import Table

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
