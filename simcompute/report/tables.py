"""Summary tables for the terminal (rich). Never imported by the engine."""

from __future__ import annotations

import math

import pandas as pd
from rich.console import Console
from rich.table import Table

from simcompute.report.answer import Answer, sig
from simcompute.units import format_duration

MAX_WIDTH = 120
"""Columns of printed output when it goes to a file or pipe (and the most any table needs)."""

SHOWN = [
    ("workload", "workload", None),
    ("gpus", "GPUs", "{:,.0f}"),
    ("wall_time_s", "wall time", "duration"),
    ("gpu_hours", "GPU-h", "{:,.0f}"),
    ("mfu", "MFU", "{:.1%}"),
    ("it_energy_kwh", "IT {}", "energy"),
    ("facility_energy_kwh", "facility {}", "energy"),
    ("co2_kg", "CO2 {}", "mass"),
    ("water_l", "water {}", "water"),
    ("cost_usd", "cost USD", "{:,.0f}"),
]
SCALES = {  # per quantity: (unit name, size in the column's base unit), ascending
    "energy": [("kWh", 1.0), ("MWh", 1e3), ("GWh", 1e6)],
    "mass": [("kg", 1.0), ("t", 1e3)],
    "water": [("L", 1.0), ("m3", 1e3)],
}


def _scale(kind: str, largest: float) -> tuple[str, float]:
    """The unit of a column: the largest whose size the column's largest value reaches."""
    chosen = SCALES[kind][0]
    for unit, size in SCALES[kind]:
        if largest >= size:
            chosen = (unit, size)
    return chosen


def _fmt(value: object, fmt: str | None, size: float = 1.0) -> str:
    if _is_missing(value):
        return "-"
    if fmt is None:
        return str(value)
    if fmt == "duration":
        return format_duration(float(value))
    if fmt in SCALES:
        return sig(float(value) / size)
    return fmt.format(value)


def make_console() -> Console:
    """A console as wide as the terminal (at most 120 columns), 120 when output goes to a file or pipe."""
    probe = Console()
    return probe if probe.is_terminal and probe.width <= MAX_WIDTH else Console(width=MAX_WIDTH)


def frame_table(frame: pd.DataFrame, title: str) -> Table:
    """Any DataFrame as a rich table (NaN shown as empty, floats to 4 significant figures,
    never in scientific notation; numbers right-aligned)."""
    table = Table(title=title)
    for col in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(frame[col])
        table.add_column(str(col), justify="right" if numeric else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    return table


def _cell(value: object) -> str:
    if _is_missing(value):
        return ""
    if isinstance(value, float):
        if value.is_integer():
            return f"{value:,.0f}"
        text = sig(value, 4)
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


INTERVAL_ROWS = [  # (summary column, label, formatter) of the Monte Carlo answer
    ("wall_time_s", "wall time", "duration"),
    ("gpu_hours", "GPU-hours", "sig"),
    ("facility_energy_kwh", "energy at the meter", "energy"),
    ("co2_kg", "CO2 (operational)", "mass"),
    ("total_co2_kg", "CO2 with embodied", "mass"),
    ("water_l", "water", "water"),
    ("energy_cost_usd", "electricity cost", "usd"),
    ("hardware_cost_usd", "hardware cost", "usd"),
    ("cost_usd", "cost", "usd"),
    ("mean_pue", "PUE", "sig"),
]


def print_intervals(intervals: pd.DataFrame, title: str, console: Console | None = None) -> None:
    """The total row's P5 / P50 / P95 (and the nominal run) of a Monte Carlo, in human units."""
    from simcompute.report import answer as units

    table = Table(title=title)
    for label in ("total", "P5", "P50", "P95", "mean", "nominal"):
        table.add_column(label, justify="left" if label == "total" else "right")
    rows = intervals.set_index("column")
    for column, label, kind in INTERVAL_ROWS:
        if column not in rows.index:
            continue
        fmt = getattr(units, kind)
        table.add_row(
            label, *(fmt(float(rows.loc[column, q])) for q in ("p5", "p50", "p95", "mean", "nominal"))
        )
    (console or make_console()).print(table)


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def summary_rows(summary: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Headers and formatted rows of the summary's main columns; energy, CO2 and water in the
    unit their largest value needs (for the terminal and the HTML report)."""
    headers, sizes = [], {}
    for col, label, fmt in SHOWN:
        if fmt in SCALES:
            largest = (
                float(summary[col].abs().max()) if col in summary and summary[col].notna().any() else 0.0
            )
            unit, sizes[col] = _scale(fmt, largest)
            label = label.format(unit)
        headers.append(label)
    rows = [
        [_fmt(row.get(col), fmt, sizes.get(col, 1.0)) for col, _, fmt in SHOWN]
        for _, row in summary.iterrows()
    ]
    return headers, rows


def summary_table(summary: pd.DataFrame, title: str) -> Table:
    """The summary's main columns as a rich table."""
    table = Table(title=title)
    headers, rows = summary_rows(summary)
    for i, label in enumerate(headers):
        table.add_column(label, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*row)
    return table


def print_summary(summary: pd.DataFrame, title: str, console: Console | None = None) -> None:
    (console or make_console()).print(summary_table(summary, title))


def print_answer(ans: Answer, console: Console | None = None) -> None:
    """The headline answer: its sentences, then its notes (plain text, no markup)."""
    console = console or make_console()
    console.print(ans.title, style="bold", markup=False, highlight=False)
    for line in ans.lines:
        console.print(line, markup=False, highlight=False)
    for note in ans.notes:
        console.print(f"note: {note}", style="yellow", markup=False, highlight=False)
