"""Figures of a run (matplotlib, headless, imported lazily). Never imported by the engine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

COMPONENTS = [  # (label, colour) of the power stack, bottom to top
    ("GPU", "#1f77b4"),
    ("host", "#ff7f0e"),
    ("network", "#2ca02c"),
    ("cooling", "#d62728"),
    ("distribution + other", "#9467bd"),
]


def _time_axis(t_s: np.ndarray) -> tuple[float, str]:
    end = float(t_s.max()) if len(t_s) else 0.0
    for unit, size in (("days", 86400.0), ("hours", 3600.0), ("minutes", 60.0)):
        if end >= 3 * size:
            return size, unit
    return 1.0, "seconds"


def _steps(timeseries: pd.DataFrame, size: float) -> tuple[np.ndarray, Callable[[object], np.ndarray]]:
    """x of a step curve over whole intervals (start and end of each), and y for a column."""
    t = timeseries["t_s"].to_numpy(dtype=float)
    end = t + timeseries["duration_s"].to_numpy(dtype=float)
    x = np.column_stack([t, end]).ravel() / size
    return x, lambda values: np.repeat(np.asarray(values, dtype=float), 2)


def _figure(**kwargs) -> Figure:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def power_figure(timeseries: pd.DataFrame, title: str) -> Figure:
    """Power stack (GPU, host, network, cooling, other overhead) over time, PUE and grid carbon
    intensity in panels of their own below it."""
    size, unit = _time_axis(timeseries["t_s"].to_numpy(dtype=float))
    x, y = _steps(timeseries, size)
    # fixed margins with the legends in the right-hand column: constrained layout cost ~0.35 s
    # of CPU per figure, a sixth of a whole quickstart run
    fig = _figure(figsize=(10, 7.5))
    fig.subplots_adjust(left=0.08, right=0.76, top=0.95, bottom=0.07, hspace=0.12)
    ax, ax_pue, ax_ci = fig.subplots(3, 1, sharex=True, gridspec_kw={"height_ratios": [2.6, 1, 1]})
    cooling = timeseries.get("cooling_power_kw", timeseries["facility_power_kw"] * 0)
    other = (timeseries["facility_power_kw"] - timeseries["it_power_kw"] - cooling).clip(lower=0)
    parts = [
        timeseries["gpu_power_kw"],
        timeseries["host_power_kw"],
        timeseries["network_power_kw"],
        cooling,
        other,
    ]
    bottom = np.zeros_like(x)
    for (label, colour), part in zip(COMPONENTS, parts):
        values = y(part.fillna(0.0))
        if not np.any(values > 1e-9):  # an empty layer gets no legend entry
            continue
        ax.fill_between(x, bottom, bottom + values, color=colour, label=label, linewidth=0, alpha=0.85)
        bottom = bottom + values
    ax.plot(x, y(timeseries["facility_power_kw"]), color="black", linewidth=1.2, label="facility")
    ax.set_ylabel("power (kW, interval mean)")
    ax.set_title(title)
    ax.set_ylim(bottom=0, top=max(float(bottom.max(initial=0.0)) * 1.08, 1e-3))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="medium")
    ax_pue.plot(x, y(timeseries["pue"]), color="tab:purple", linewidth=1.5, label="PUE (facility / IT)")
    pue = timeseries["pue"].dropna()
    if len(pue):
        low, high = float(pue.min()), float(pue.max())
        pad = max(0.05, (high - low) * 0.15)
        ax_pue.set_ylim(max(1.0, low - pad) if low >= 1.0 else low - pad, high + pad)
    ax_pue.set_ylabel("PUE")
    ax_pue.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if "carbon_intensity_g_per_kwh" in timeseries:
        ax_ci.plot(x, y(timeseries["carbon_intensity_g_per_kwh"]), color="tab:green", linewidth=1.5,
                   label="grid carbon intensity")  # fmt: skip
        ax_ci.set_ylim(bottom=0, top=max(float(timeseries["carbon_intensity_g_per_kwh"].max()) * 1.15, 1.0))
        ax_ci.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax_ci.set_ylabel("gCO2/kWh")
    ax_ci.set_xlabel(f"time ({unit})")
    for a in (ax, ax_pue, ax_ci):
        a.grid(alpha=0.3)
    return fig


def plot_power(timeseries: pd.DataFrame, path: str | Path, title: str) -> Path:
    """`power_figure` as a PNG file."""
    path = Path(path)
    fig = power_figure(timeseries, title)
    fig.savefig(path, dpi=110)
    return path


def breakdown_figure(summary: pd.DataFrame, jobs: pd.DataFrame) -> Figure:
    """Where the energy went (IT and facility overhead per workload, idle and failed GPUs) and
    where the training jobs' time went (queue, compute, checkpoints, restarts)."""
    rows = summary[summary["workload"] != "total"]
    timed = ["queue_wait_s", "compute_time_s", "checkpoint_time_s", "restart_time_s"]
    training = jobs[jobs["kind"] == "training"] if "kind" in jobs and len(jobs) else jobs.iloc[0:0]
    has_time = len(training) > 0 and all(c in training for c in timed)
    fig = _figure(figsize=(10, 1.6 + 0.45 * max(len(rows), len(training), 2)), layout="constrained")
    axes = fig.subplots(1, 2 if has_time else 1, squeeze=False)[0]
    names = rows["workload"].astype(str).tolist()[::-1]
    it = rows["it_energy_kwh"].to_numpy(dtype=float)[::-1]
    overhead = (rows["facility_energy_kwh"] - rows["it_energy_kwh"]).to_numpy(dtype=float)[::-1]
    scale, unit = (1000.0, "MWh") if np.nanmax(np.r_[it + overhead, 0]) >= 1000 else (1.0, "kWh")
    ax = axes[0]
    ax.barh(names, it / scale, color="#1f77b4", label="IT (GPU, host, network)")
    ax.barh(names, overhead / scale, left=it / scale, color="#d62728", label="facility overhead (PUE)")
    ax.set_xlabel(f"energy at the meter ({unit})")
    ax.set_title("where the energy went")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.5 / len(names)), ncol=2)
    ax.grid(axis="x", alpha=0.3)
    if has_time:
        ax = axes[1]
        names = training["workload"].astype(str).tolist()[::-1]
        left = np.zeros(len(training))
        labels = ["waiting in the queue", "computing", "writing checkpoints", "restarting"]
        colours = ["#bbbbbb", "#1f77b4", "#ff7f0e", "#d62728"]
        for col, label, colour in zip(timed, labels, colours):
            hours = training[col].fillna(0.0).to_numpy(dtype=float)[::-1] / 3600.0
            if np.any(hours > 0):
                ax.barh(names, hours, left=left, color=colour, label=label)
            left += hours
        ax.set_xlabel("hours")
        ax.set_title("where the training time went")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.5 / len(names)), ncol=2)
        ax.grid(axis="x", alpha=0.3)
    return fig


LATENCIES = [("ttft_s", "time to first token"), ("tpot_s", "time per output token"), ("e2e_s", "end to end")]


def latency_figure(requests: pd.DataFrame) -> Figure:
    """Histograms of TTFT, TPOT and end-to-end latency (ms) per service, p50 and p99 marked."""
    fig = _figure(figsize=(11, 3.6), layout="constrained")
    axes = fig.subplots(1, 3)
    for ax, (col, label) in zip(axes, LATENCIES):
        for name, group in requests.groupby("workload"):
            values = group[col].dropna().to_numpy(dtype=float) * 1000.0
            if not len(values):
                continue
            ax.hist(values, bins=60, alpha=0.6, label=str(name))
            for q, style in ((50, "--"), (99, ":")):
                ax.axvline(np.percentile(values, q), color="black", linestyle=style, linewidth=1,
                           label=f"p{q}" if name == requests["workload"].iloc[0] else None)  # fmt: skip
        ax.set_title(label)
        ax.set_xlabel("ms")
        ax.set_ylabel("requests")
        ax.legend(fontsize="small")
    return fig
