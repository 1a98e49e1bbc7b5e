"""power.png: every panel has a legend, empty layers are left out, PUE and carbon intensity do
not share an axis, and the stack covers each interval to its end (no wedges)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simcompute.report.plots import power_figure


def _timeseries() -> pd.DataFrame:
    t = np.arange(6) * 3600.0
    gpu = np.array([100.0, 100.0, 20.0, 20.0, 100.0, 100.0])  # a failure in the middle
    host, net = np.full(6, 30.0), np.full(6, 5.0)
    it = gpu + host + net
    return pd.DataFrame({
        "t_s": t, "duration_s": 3600.0, "gpu_power_kw": gpu, "host_power_kw": host, "network_power_kw": net,
        "it_power_kw": it, "cooling_power_kw": 0.2 * it, "facility_power_kw": 1.2 * it, "pue": 1.2,
        "carbon_intensity_g_per_kwh": 300.0,
    })  # fmt: skip


def test_power_figure_panels_and_legends():
    fig = power_figure(_timeseries(), "t")
    stack, pue, carbon = fig.axes
    labels = [t.get_text() for t in stack.get_legend().get_texts()]
    assert labels == ["GPU", "host", "network", "cooling", "facility"]  # no empty "distribution + other"
    assert pue.get_legend() is not None and carbon.get_legend() is not None
    low, high = pue.get_ylim()
    assert low < 1.2 < high and high - low < 1.0  # the constant PUE line is visible in its own range
    assert carbon.get_ylim()[1] > 300.0
    top = stack.lines[0].get_data()  # the facility curve: steps over whole intervals
    assert top[0][0] == 0.0 and top[0][-1] == 6.0 and list(top[1][4:6]) == [1.2 * 55.0] * 2
