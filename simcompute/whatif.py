"""What-if studies on one scenario: carbon-aware start time, and a power-cap sweep (Pareto front).

`best_start` simulates once and re-accounts the same power trace with the calendar shifted
(weather, carbon intensity and prices move; the run itself does not depend on the start).
`pareto_caps` re-simulates once per GPU power cap, since a cap changes the run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simcompute.api import run
from simcompute.config import Scenario, load_scenario, scenario_from_dict
from simcompute.engine import simulate
from simcompute.engine.cluster import FAILED_OWNER, IDLE_OWNER
from simcompute.power.accounting import account
from simcompute.resolve import resolve
from simcompute.units import J_PER_KWH, SECONDS_PER_HOUR

ScenarioLike = str | Path | Mapping[str, Any] | Scenario


@dataclass(frozen=True)
class CarbonWindow:
    """Operational CO2 of the workloads for each candidate start, and the best one."""

    table: pd.DataFrame
    best_offset_s: float
    co2_now_kg: float
    co2_best_kg: float

    @property
    def saving_kg(self) -> float:
        return self.co2_now_kg - self.co2_best_kg

    @property
    def saving_share(self) -> float:
        return self.saving_kg / self.co2_now_kg if self.co2_now_kg > 0 else 0.0


def best_start(
    scenario: ScenarioLike,
    window_s: float,
    step_s: float = SECONDS_PER_HOUR,
    *,
    calibration: str | None = None,
) -> CarbonWindow:
    """The start within [0, window_s] (in steps of `step_s`) that minimises the workloads' CO2.

    CO2 counts the workloads' facility energy at the hourly carbon intensity (idle GPUs of the
    cluster are left out: they draw power whenever the job runs). Ties go to the earliest start.
    """
    if window_s < 0 or step_s <= 0:
        raise ValueError("need window_s >= 0 and step_s > 0")
    resolved = resolve(load_scenario(scenario), calibration=calibration)
    records = simulate(resolved)
    power = records.power_frame()
    busy = [i for i, name in enumerate(records.owners) if name != IDLE_OWNER]
    rows = []
    for offset in np.arange(0.0, window_s + 1e-9, step_s):
        acc = account(resolved.site, power, records.owners, records.end_s, float(offset))
        rows.append(
            {
                "start_offset_s": float(offset),
                "co2_kg": float(acc.co2_kg[busy].sum()),
                "facility_energy_kwh": float(acc.facility_j[busy].sum() / J_PER_KWH),
                "energy_cost_usd": float(acc.energy_cost_usd[busy].sum()),
            }
        )
    table = pd.DataFrame(rows)
    best = int(table["co2_kg"].to_numpy().argmin())
    return CarbonWindow(
        table=table,
        best_offset_s=float(table["start_offset_s"].iloc[best]),
        co2_now_kg=float(table["co2_kg"].iloc[0]),
        co2_best_kg=float(table["co2_kg"].iloc[best]),
    )


def pareto_caps(
    scenario: ScenarioLike, caps_w: Sequence[float | None], *, calibration: str | None = None
) -> pd.DataFrame:
    """Run the scenario once per cluster GPU power cap (None: uncapped); mark the Pareto front.

    A row is on the front when no other cap finishes the workloads sooner with no more
    facility energy (or with less energy and no later). Totals and the mean GPU power (GPU
    energy over GPU-hours) are over the workloads only: not the idle pool, not failed GPUs.
    """
    base = load_scenario(scenario).model_dump(mode="python")
    rows = []
    for cap in caps_w:
        data = {**base, "cluster": {**base["cluster"], "gpu_power_limit_w": cap}}
        result = run(scenario_from_dict(data), calibration=calibration)
        s = result.summary
        work = s[~s["workload"].isin([IDLE_OWNER, FAILED_OWNER, "total"])]
        gpu_hours = work["gpu_hours"].to_numpy()
        rows.append(
            {
                "gpu_power_limit_w": np.nan if cap is None else float(cap),
                "time_s": float(work["end_s"].max() - work["start_s"].min()),
                "it_energy_kwh": float(work["it_energy_kwh"].sum()),
                "facility_energy_kwh": float(work["facility_energy_kwh"].sum()),
                "co2_kg": float(work["co2_kg"].sum()),
                "mean_gpu_power_w": float(
                    (work["mean_gpu_power_w"].to_numpy() * gpu_hours).sum() / gpu_hours.sum()
                ),
            }
        )
    table = pd.DataFrame(rows)
    t, e = table["time_s"].to_numpy(), table["facility_energy_kwh"].to_numpy()
    dominated = [
        bool(np.any((t <= t[i]) & (e <= e[i]) & ((t < t[i]) | (e < e[i])))) for i in range(len(table))
    ]
    table["pareto"] = ~np.array(dominated, dtype=bool)
    return table
