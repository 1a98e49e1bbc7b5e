"""Figures of a run (matplotlib, headless). Never imported by the engine."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd


def _time_axis(t_s: pd.Series) -> tuple[pd.Series, str]:
    end = float(t_s.max()) if len(t_s) else 0.0
    for unit, size in (("days", 86400.0), ("hours", 3600.0), ("minutes", 60.0)):
        if end >= 3 * size:
            return t_s / size, unit
    return t_s, "seconds"


def plot_power(timeseries: pd.DataFrame, path: str | Path, title: str) -> Path:
    """Power stack (GPU, host, network, cooling, other overhead) over time, with PUE and grid
    carbon intensity below it, as a PNG."""
    t, unit = _time_axis(timeseries["t_s"])
    fig, (ax, ax_pue) = plt.subplots(
        2, 1, figsize=(9, 6.5), sharex=True, gridspec_kw={"height_ratios": [2.2, 1]}
    )
    cooling = timeseries.get("cooling_power_kw", timeseries["facility_power_kw"] * 0)
    other = (timeseries["facility_power_kw"] - timeseries["it_power_kw"] - cooling).clip(lower=0)
    ax.stackplot(
        t,
        timeseries["gpu_power_kw"],
        timeseries["host_power_kw"],
        timeseries["network_power_kw"],
        cooling,
        other,
        labels=["GPU", "host", "network", "cooling", "distribution + other"],
        step="post",
        alpha=0.8,
    )
    ax.step(t, timeseries["facility_power_kw"], where="post", color="black", label="facility")
    ax.set_ylabel("power (kW, interval mean)")
    ax.set_title(title)
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower right", fontsize="small")
    ax_pue.step(t, timeseries["pue"], where="post", color="tab:purple", label="PUE")
    ax_pue.set_ylabel("PUE")
    ax_pue.set_xlabel(f"time ({unit})")
    if "carbon_intensity_g_per_kwh" in timeseries:
        ax_ci = ax_pue.twinx()
        ax_ci.step(t, timeseries["carbon_intensity_g_per_kwh"], where="post", color="tab:green")
        ax_ci.set_ylabel("gCO2/kWh", color="tab:green")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
