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
    """Stacked IT power (GPU, host, network) and facility power over time, as a PNG."""
    t, unit = _time_axis(timeseries["t_s"])
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.stackplot(
        t,
        timeseries["gpu_power_kw"],
        timeseries["host_power_kw"],
        timeseries["network_power_kw"],
        labels=["GPU", "host", "network"],
        step="post",
        alpha=0.8,
    )
    ax.step(t, timeseries["facility_power_kw"], where="post", color="black", label="facility")
    ax.set_xlabel(f"time ({unit})")
    ax.set_ylabel("power (kW, interval mean)")
    ax.set_title(title)
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower right")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
